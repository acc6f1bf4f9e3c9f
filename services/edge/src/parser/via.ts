/**
 * One via-parm (RFC 3261 §20.42, §25.1): `SIP / 2.0 / transport sent-by *( ; via-params )`,
 * with LWS allowed around the slashes, the colon and the parameters (RFC 4475 §3.1.1.1).
 */
import { parseDigits, parseGenericParams, scanToken, skipLws } from './basic-rules.js';

export interface Via {
  /** Upper-case: UDP TCP TLS WS WSS SCTP, or whatever token was sent. */
  readonly transport: string;
  /** sent-by host as written; IPv6 references keep their brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** Compared as is (RFC 3261 §17.2.3). */
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** RFC 3581: `null` when present without a value (a request asking for it). */
  readonly rport: number | null | undefined;
  /** All parameters, lower-case names, values as written. */
  readonly params: ReadonlyMap<string, string | null>;
  /** The via-parm as received (folding collapsed, trimmed). */
  readonly raw: string;
}

/** The RFC 3261 §8.1.1.7 branch prefix of transactions created by compliant elements. */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

export function parseVia(value: string): Via | undefined {
  const raw = value.trim();
  let i = expectToken(raw, 0);
  if (i < 0 || raw.slice(0, i).trim().toUpperCase() !== 'SIP') return undefined;
  i = expectSlash(raw, i);
  if (i < 0) return undefined;
  // Any protocol-version is accepted so that a request with SIP/7.0 can still be answered with
  // 505 (RFC 4475 §3.1.2.16) through its Via.
  i = expectToken(raw, i);
  if (i < 0) return undefined;
  i = expectSlash(raw, i);
  if (i < 0) return undefined;
  const transportEnd = scanToken(raw, i);
  if (transportEnd === i) return undefined;
  const transport = raw.slice(i, transportEnd).toUpperCase();
  i = skipLws(raw, transportEnd);
  if (i === transportEnd) return undefined;

  const hostStart = i;
  if (raw.charCodeAt(i) === 0x5b) {
    const close = raw.indexOf(']', i);
    if (close < 0) return undefined;
    i = close + 1;
  } else {
    while (i < raw.length && isHostChar(raw.charCodeAt(i))) i++;
  }
  if (i === hostStart) return undefined;
  const host = raw.slice(hostStart, i);
  let port: number | undefined;
  let j = skipLws(raw, i);
  if (raw.charCodeAt(j) === 0x3a) {
    j = skipLws(raw, j + 1);
    const portStart = j;
    while (j < raw.length && raw.charCodeAt(j) >= 0x30 && raw.charCodeAt(j) <= 0x39) j++;
    port = parseDigits(raw.slice(portStart, j));
    if (port === undefined || port > 65535) return undefined;
    i = j;
  }
  const params = new Map<string, string | null>();
  if (!parseGenericParams(raw, i, params)) return undefined;
  const branch = params.get('branch');
  const received = params.get('received');
  const rportValue = params.get('rport');
  let rport: number | null | undefined;
  if (rportValue === null) rport = null;
  else if (rportValue !== undefined) {
    rport = parseDigits(rportValue);
    if (rport === undefined || rport > 65535) return undefined;
  }
  return {
    transport,
    host,
    port,
    branch: branch === null ? undefined : branch,
    received: received === null ? undefined : received,
    rport,
    params,
    raw,
  };
}

function isHostChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f;
}

/** Skips LWS then a token; returns the index after the token, or -1. */
function expectToken(s: string, i: number): number {
  const start = skipLws(s, i);
  const end = scanToken(s, start);
  return end === start ? -1 : end;
}

/** Skips LWS "/" LWS; returns the index after, or -1. */
function expectSlash(s: string, i: number): number {
  const j = skipLws(s, i);
  if (s.charCodeAt(j) !== 0x2f) return -1;
  return skipLws(s, j + 1);
}
