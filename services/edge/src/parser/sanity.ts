/**
 * Stateless request sanity checks with the semantics of Kamailio's sanity module: the same
 * checks, the same order and the same reason phrases, so operators see the replies they know.
 * Each check returns the reply to send; the caller never replies to an ACK (RFC 3261 §17.1.1.3:
 * an ACK is not answered), Kamailio's sanity does the same.
 *
 * Where this differs from Kamailio, on purpose:
 * - a Request-URI with a well-formed but unsupported scheme gets 416 (RFC 3261 §8.2.2.1;
 *   RFC 4475 §3.3.2) where Kamailio's URI parser fails first and answers 400;
 * - a missing required header is answered 400 (RFC 4475 §3.3.1), where recent Kamailio stays
 *   silent; a duplicated From/To/Call-ID/CSeq (RFC 4475 §3.3.8) says which header;
 * - octets beyond Content-Length in a datagram were discarded by the parser (RFC 3261 §18.3),
 *   so only a body shorter than Content-Length is a mismatch;
 * - Kamailio's "Ivalid To Header" is spelled "Invalid To Header";
 * - Max-Forwards is checked here too (a number 0..255, RFC 3261 §20.22).
 */
import { isToken, parseDigits } from './basic-rules.js';
import { HeaderName } from './header-names.js';
import type { SipRequest } from './sip-message.js';
import { uriScheme } from './sip-uri.js';

export const SanityCheck = {
  ruriVersion: 'ruri-version',
  ruriScheme: 'ruri-scheme',
  requiredHeaders: 'required-headers',
  cseqMethod: 'cseq-method',
  cseqValue: 'cseq-value',
  contentLength: 'content-length',
  expires: 'expires',
  proxyRequire: 'proxy-require',
  parseUris: 'parse-uris',
  maxForwards: 'max-forwards',
} as const;
export type SanityCheck = (typeof SanityCheck)[keyof typeof SanityCheck];

export interface SanityFailure {
  readonly check: SanityCheck;
  readonly status: number;
  readonly reason: string;
  /** Header lines (without CRLF) the reply must carry, e.g. Unsupported for a 420. */
  readonly headers?: readonly string[];
}

export interface SanityOptions {
  /** Option tags this proxy supports; any other in Proxy-Require gets 420 (RFC 3261 §16.3 step 5). */
  readonly supportedExtensions?: readonly string[];
  /** Checks to run; all by default. */
  readonly checks?: readonly SanityCheck[];
}

const MAX_UINT32 = 4294967295;

function failure(check: SanityCheck, status: number, reason: string, headers?: readonly string[]): SanityFailure {
  return headers === undefined ? { check, status, reason } : { check, status, reason, headers };
}

/** `undefined` when the request passes every selected check, else the reply for the first failure. */
export function checkSanity(req: SipRequest, opts: SanityOptions = {}): SanityFailure | undefined {
  const only = opts.checks;
  return (
    (on(only, SanityCheck.ruriVersion) ? checkRuriVersion(req) : undefined) ??
    (on(only, SanityCheck.ruriScheme) ? checkRuriScheme(req) : undefined) ??
    (on(only, SanityCheck.requiredHeaders) ? checkRequiredHeaders(req) : undefined) ??
    (on(only, SanityCheck.cseqMethod) ? checkCSeqMethod(req) : undefined) ??
    (on(only, SanityCheck.cseqValue) ? checkCSeqValue(req) : undefined) ??
    (on(only, SanityCheck.contentLength) ? checkContentLength(req) : undefined) ??
    (on(only, SanityCheck.expires) ? checkExpires(req) : undefined) ??
    (on(only, SanityCheck.proxyRequire) ? checkProxyRequire(req, opts.supportedExtensions ?? []) : undefined) ??
    (on(only, SanityCheck.parseUris) ? checkUris(req) : undefined) ??
    (on(only, SanityCheck.maxForwards) ? checkMaxForwards(req) : undefined)
  );
}

function on(only: readonly SanityCheck[] | undefined, check: SanityCheck): boolean {
  return only === undefined || only.includes(check);
}

function checkRuriVersion(req: SipRequest): SanityFailure | undefined {
  // The parser guarantees the "SIP/" prefix; Kamailio compares what follows the slash.
  if (req.version.slice(4) === '2.0') return undefined;
  return failure(SanityCheck.ruriVersion, 505, 'Version Not Supported (R-URI)');
}

function checkRuriScheme(req: SipRequest): SanityFailure | undefined {
  const scheme = uriScheme(req.requestUri);
  if (scheme === undefined) return failure(SanityCheck.ruriScheme, 400, 'Bad Request URI');
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') return undefined;
  return failure(SanityCheck.ruriScheme, 416, 'Unsupported URI Scheme in Request URI');
}

const REQUIRED: readonly [string, string][] = [
  [HeaderName.from, 'From'],
  [HeaderName.to, 'To'],
  [HeaderName.callId, 'Call-ID'],
  [HeaderName.cseq, 'CSeq'],
];

/** RFC 3261 §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via; Kamailio requires the first four. */
function checkRequiredHeaders(req: SipRequest): SanityFailure | undefined {
  const counts = new Map<string, number>();
  for (const h of req.headers) counts.set(h.name, (counts.get(h.name) ?? 0) + 1);
  for (const [name] of REQUIRED) {
    if (!counts.has(name)) return failure(SanityCheck.requiredHeaders, 400, 'Missing Required Header in Request');
  }
  for (const [name, spelled] of REQUIRED) {
    if ((counts.get(name) ?? 0) > 1) return failure(SanityCheck.requiredHeaders, 400, `Duplicate ${spelled} Header`);
  }
  return undefined;
}

/** The two parts of the CSeq value: number and method, split at the first white space. */
function cseqParts(req: SipRequest): [string, string] {
  const value = req.header(HeaderName.cseq) ?? '';
  let i = 0;
  while (i < value.length && value.charCodeAt(i) !== 0x20 && value.charCodeAt(i) !== 0x09) i++;
  return [value.slice(0, i), value.slice(i).trim()];
}

function checkCSeqMethod(req: SipRequest): SanityFailure | undefined {
  const [, method] = cseqParts(req);
  if (method.length === 0) return failure(SanityCheck.cseqMethod, 400, 'Missing method in CSeq header');
  // Methods are case-sensitive (RFC 3261 §7.1); a CSeq must name the request's method (§8.1.1.5).
  if (method !== req.method) return failure(SanityCheck.cseqMethod, 400, 'CSeq method does not match request method');
  return undefined;
}

/** A valid 32-bit unsigned integer (RFC 3261 §8.1.1.5: less than 2**31 when chosen, any uint32 when received). */
function isUint32(s: string): boolean {
  if (s.length === 0 || s.length > 10) return false;
  const n = parseDigits(s);
  return n !== undefined && n <= MAX_UINT32;
}

function checkCSeqValue(req: SipRequest): SanityFailure | undefined {
  const [number] = cseqParts(req);
  if (number.length === 0) return failure(SanityCheck.cseqValue, 400, 'Missing number in CSeq header');
  if (!isUint32(number)) return failure(SanityCheck.cseqValue, 400, 'CSeq number is illegal');
  return undefined;
}

function checkContentLength(req: SipRequest): SanityFailure | undefined {
  if (req.contentLengthInvalid) return failure(SanityCheck.contentLength, 400, 'Content-Length Failure');
  if (req.contentLength !== undefined && req.contentLength !== req.body.length) {
    return failure(SanityCheck.contentLength, 400, 'Content-Length mis-match');
  }
  return undefined;
}

/** Expires = delta-seconds (RFC 3261 §20.19). */
function checkExpires(req: SipRequest): SanityFailure | undefined {
  const value = req.header(HeaderName.expires);
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length === 0) return failure(SanityCheck.expires, 400, 'Missing number in Expires header');
  if (parseDigits(text) === undefined) return failure(SanityCheck.expires, 400, 'Bad Expires Header');
  if (!isUint32(text)) return failure(SanityCheck.expires, 400, 'Expires value is illegal');
  return undefined;
}

/**
 * Every Proxy-Require option tag must be supported (RFC 3261 §16.3 step 5); the 420 lists all
 * unsupported ones in Unsupported (§8.2.2.3). Option tags are tokens, compared case-insensitively.
 */
function checkProxyRequire(req: SipRequest, supported: readonly string[]): SanityFailure | undefined {
  const values = req.headerValues(HeaderName.proxyRequire);
  if (values.length === 0) return undefined;
  const known = new Set(supported.map((s) => s.toLowerCase()));
  const unsupported: string[] = [];
  for (const tag of values) {
    if (!isToken(tag)) return failure(SanityCheck.proxyRequire, 400, 'Bad Proxy Require Header');
    if (!known.has(tag.toLowerCase())) unsupported.push(tag);
  }
  if (unsupported.length === 0) return undefined;
  return failure(SanityCheck.proxyRequire, 420, 'Bad Proxy Require Extension', [`Unsupported: ${unsupported.join(', ')}`]);
}

function checkUris(req: SipRequest): SanityFailure | undefined {
  if (req.uri === undefined) return failure(SanityCheck.parseUris, 400, 'Bad Request URI');
  if (req.fromUri === undefined) return failure(SanityCheck.parseUris, 400, 'Invalid From Header');
  if (req.toUri === undefined) return failure(SanityCheck.parseUris, 400, 'Invalid To Header');
  return undefined;
}

function checkMaxForwards(req: SipRequest): SanityFailure | undefined {
  return req.maxForwardsInvalid ? failure(SanityCheck.maxForwards, 400, 'Bad Max-Forwards') : undefined;
}
