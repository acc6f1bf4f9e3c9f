/**
 * Parses the value of an `Authorization` / `Proxy-Authorization` header into digest credentials
 * (RFC 3261 §25.1 `digest-response`, RFC 7235 §2.1 auth-param, RFC 7616 §3.4). A scan by index
 * over the string: parameter names are case-insensitive, values are tokens or quoted-strings with
 * `\` escapes (RFC 7230 §3.2.6), a parameter may appear once, unknown ones are ignored (RFC 7616
 * §3.4: auth-param extensions). Bad input gives a result with a stable code, never an exception.
 */
import { digestHexLength, parseDigestAlgorithm, DigestAlgorithm } from '@sipmesh/runtime';

export const CredentialsErrorCode = {
  tooLong: 'REGISTRAR_ERR_AUTH_TOO_LONG',
  notDigest: 'REGISTRAR_ERR_AUTH_NOT_DIGEST',
  syntax: 'REGISTRAR_ERR_AUTH_SYNTAX',
  duplicateParam: 'REGISTRAR_ERR_AUTH_DUPLICATE_PARAM',
  missingParam: 'REGISTRAR_ERR_AUTH_MISSING_PARAM',
  unsupportedAlgorithm: 'REGISTRAR_ERR_AUTH_UNSUPPORTED_ALGORITHM',
  userhash: 'REGISTRAR_ERR_AUTH_USERHASH',
  badUsername: 'REGISTRAR_ERR_AUTH_BAD_USERNAME',
  badNonceCount: 'REGISTRAR_ERR_AUTH_BAD_NC',
  badResponse: 'REGISTRAR_ERR_AUTH_BAD_RESPONSE',
} as const;
export type CredentialsErrorCode = (typeof CredentialsErrorCode)[keyof typeof CredentialsErrorCode];

export interface CredentialsError {
  readonly code: CredentialsErrorCode;
  /** Detail for logs; never sent on the wire. */
  readonly reason: string;
}

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  /** The `uri` parameter as sent (the digest covers it; RFC 2617 §3.2.2.5). */
  readonly uri: string;
  /** request-digest, lowercase hex. */
  readonly response: string;
  /** MD5 when the client names none (RFC 7616 §3.4). */
  readonly algorithm: DigestAlgorithm;
  /** Absent: the RFC 2069 form. Kept as sent, since it is hashed as text. */
  readonly qop?: string;
  /** The nonce count as sent (hashed as text) and its value. Present whenever qop is. */
  readonly nc?: string;
  readonly nonceCount?: number;
  readonly cnonce?: string;
  readonly opaque?: string;
}

export type ParseCredentialsResult =
  | { readonly ok: true; readonly credentials: DigestCredentials }
  | { readonly ok: false; readonly error: CredentialsError };

/** Longer values are refused before scanning; real ones are a few hundred bytes. */
export const MAX_CREDENTIALS_LENGTH = 8192;

const REQUIRED = ['realm', 'nonce', 'uri', 'response'] as const;
const NC = /^[0-9a-fA-F]{1,8}$/;
const HEX = /^[0-9a-fA-F]+$/;

export function parseDigestCredentials(value: string): ParseCredentialsResult {
  if (value.length > MAX_CREDENTIALS_LENGTH) return fail(CredentialsErrorCode.tooLong, `${value.length} characters`);
  const scanned = scanParams(value);
  if (!scanned.ok) return scanned;
  const p = scanned.params;

  const userhash = p.get('userhash');
  // RFC 7616 §3.4.4: a hashed username needs a lookup by H(user:realm); the subscriber table has none
  if (userhash !== undefined && userhash.toLowerCase() === 'true') return fail(CredentialsErrorCode.userhash, 'userhash=true is not supported');

  const username = pickUsername(p);
  if (!username.ok) return username;
  for (const name of REQUIRED) if (p.get(name) === undefined) return fail(CredentialsErrorCode.missingParam, `no ${name} parameter`);

  let algorithm: DigestAlgorithm = DigestAlgorithm.md5;
  const algorithmToken = p.get('algorithm');
  if (algorithmToken !== undefined) {
    const known = parseDigestAlgorithm(algorithmToken);
    if (!known) return fail(CredentialsErrorCode.unsupportedAlgorithm, `algorithm=${algorithmToken}`);
    algorithm = known;
  }

  const response = (p.get('response') as string).toLowerCase();
  if (!HEX.test(response) || response.length !== digestHexLength(algorithm)) {
    return fail(CredentialsErrorCode.badResponse, `response is not ${digestHexLength(algorithm)} hex digits`);
  }

  const credentials: { -readonly [K in keyof DigestCredentials]: DigestCredentials[K] } = {
    username: username.value,
    realm: p.get('realm') as string,
    nonce: p.get('nonce') as string,
    uri: p.get('uri') as string,
    response,
    algorithm,
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) credentials.opaque = opaque;

  const qop = p.get('qop');
  if (qop !== undefined) {
    // RFC 2617 §3.2.2: with qop the client MUST send cnonce and nc
    const cnonce = p.get('cnonce');
    const nc = p.get('nc');
    if (cnonce === undefined) return fail(CredentialsErrorCode.missingParam, 'qop without cnonce');
    if (nc === undefined) return fail(CredentialsErrorCode.missingParam, 'qop without nc');
    // 8LHEX on the wire; shorter forms are read too, and hashed as sent
    if (!NC.test(nc)) return fail(CredentialsErrorCode.badNonceCount, `nc=${nc}`);
    const nonceCount = Number.parseInt(nc, 16);
    // the count includes the current request, so it starts at 1 (RFC 2617 §3.2.2)
    if (nonceCount < 1) return fail(CredentialsErrorCode.badNonceCount, `nc=${nc}`);
    credentials.qop = qop;
    credentials.cnonce = cnonce;
    credentials.nc = nc;
    credentials.nonceCount = nonceCount;
  }
  return { ok: true, credentials };
}

type ScanResult = { readonly ok: true; readonly params: Map<string, string> } | { readonly ok: false; readonly error: CredentialsError };

/** `Digest` SP auth-param *( "," auth-param ), names lowercased (RFC 7235 §2.1). */
/**
 * The auth-params of a `Digest` challenge or credentials value (RFC 7235 §2.1), names lower-cased,
 * quoted values unescaped: what a client reads out of WWW-Authenticate / Proxy-Authenticate.
 */
export function parseDigestParams(value: string): { ok: true; params: ReadonlyMap<string, string> } | { ok: false; error: CredentialsError } {
  if (value.length > MAX_CREDENTIALS_LENGTH) return fail(CredentialsErrorCode.tooLong, `${value.length} characters`);
  return scanParams(value);
}

function scanParams(value: string): ScanResult {
  const params = new Map<string, string>();
  let i = skipSpace(value, 0);
  const schemeEnd = scanToken(value, i);
  const scheme = value.slice(i, schemeEnd);
  if (scheme.toLowerCase() !== 'digest') return fail(CredentialsErrorCode.notDigest, scheme === '' ? 'no auth scheme' : `scheme ${scheme}`);
  i = skipSpace(value, schemeEnd);
  if (i === schemeEnd && i < value.length) return fail(CredentialsErrorCode.syntax, 'no space after Digest');
  while (i < value.length) {
    // empty list elements are allowed (RFC 7230 §7)
    if (value[i] === ',') {
      i = skipSpace(value, i + 1);
      continue;
    }
    const nameEnd = scanToken(value, i);
    if (nameEnd === i) return fail(CredentialsErrorCode.syntax, `unexpected ${JSON.stringify(value[i])} at ${i}`);
    const name = value.slice(i, nameEnd).toLowerCase();
    i = skipSpace(value, nameEnd);
    if (value[i] !== '=') return fail(CredentialsErrorCode.syntax, `parameter ${name} has no value`);
    i = skipSpace(value, i + 1);
    const read = value[i] === '"' ? scanQuoted(value, i) : scanBare(value, i);
    if (!read) return fail(CredentialsErrorCode.syntax, `bad value of ${name}`);
    // RFC 7235 §2.1: each parameter name only once
    if (params.has(name)) return fail(CredentialsErrorCode.duplicateParam, `${name} appears twice`);
    params.set(name, read.value);
    i = skipSpace(value, read.end);
    if (i < value.length && value[i] !== ',') return fail(CredentialsErrorCode.syntax, `expected "," at ${i}`);
  }
  if (params.size === 0) return fail(CredentialsErrorCode.missingParam, 'no parameters');
  return { ok: true, params };
}

/** `username`, or the RFC 5987 `username*` of RFC 7616 §3.4.4 (never both). */
function pickUsername(p: Map<string, string>): { ok: true; value: string } | { ok: false; error: CredentialsError } {
  const plain = p.get('username');
  const extended = p.get('username*');
  if (plain !== undefined && extended !== undefined) return fail(CredentialsErrorCode.badUsername, 'both username and username*');
  if (extended !== undefined) {
    const m = /^UTF-8'[^']*'(.+)$/i.exec(extended);
    if (!m) return fail(CredentialsErrorCode.badUsername, 'username* is not UTF-8\'\'<pct-encoded>');
    try {
      return { ok: true, value: decodeURIComponent(m[1] as string) };
    } catch {
      return fail(CredentialsErrorCode.badUsername, 'bad percent-encoding in username*');
    }
  }
  if (plain === undefined) return fail(CredentialsErrorCode.missingParam, 'no username parameter');
  if (plain === '') return fail(CredentialsErrorCode.badUsername, 'empty username');
  return { ok: true, value: plain };
}

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const DEL = 0x7f;

/** LWS, folded lines included (RFC 3261 §25.1). */
function skipSpace(s: string, from: number): number {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB && c !== CR && c !== LF) break;
  }
  return i;
}

/** tchar of RFC 7230 §3.2.6. */
function isTokenChar(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return true;
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

function scanToken(s: string, from: number): number {
  let i = from;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * An unquoted value. RFC 7616 wants tokens, but phones send `uri=sip:...` or `nc=00000001` bare,
 * so anything up to whitespace or a comma is taken.
 */
function scanBare(s: string, from: number): { value: string; end: number } | undefined {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2c || c === SP || c === HTAB || c === CR || c === LF) break;
    if (c === DQUOTE || c < SP || c === DEL) return undefined;
  }
  return i === from ? undefined : { value: s.slice(from, i), end: i };
}

/** quoted-string with quoted-pair (RFC 7230 §3.2.6); `from` is at the opening quote. */
function scanQuoted(s: string, from: number): { value: string; end: number } | undefined {
  let out = '';
  let start = from + 1;
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) return { value: out + s.slice(start, i), end: i + 1 };
    if (c === BACKSLASH) {
      const next = s.charCodeAt(i + 1);
      if (Number.isNaN(next) || (next < SP && next !== HTAB) || next === DEL) return undefined;
      out += s.slice(start, i) + s[i + 1];
      i++;
      start = i + 1;
      continue;
    }
    if ((c < SP && c !== HTAB) || c === DEL) return undefined;
  }
  return undefined; // no closing quote
}

function fail(code: CredentialsErrorCode, reason: string): { ok: false; error: CredentialsError } {
  return { ok: false, error: { code, reason } };
}
