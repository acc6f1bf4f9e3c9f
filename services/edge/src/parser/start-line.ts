/**
 * Request-Line and Status-Line (RFC 3261 §7.1, §7.2), read from byte offsets. Runs of SP between
 * the elements are tolerated (a proxy gains nothing by dropping such a request); a Request-URI
 * containing white space is not, since it cannot be told apart from the elements around it.
 */
import { isTokenByte } from './basic-rules.js';
import { DIGIT_0, DIGIT_9, SLASH, SP } from './byte-constants.js';
import type { ParseError } from './parse-error.js';
import { ParseErrorCode } from './parse-error.js';

export interface RequestLine {
  readonly kind: 'request';
  readonly method: string;
  readonly uriStart: number;
  readonly uriEnd: number;
  readonly version: string;
}

export interface StatusLine {
  readonly kind: 'response';
  readonly version: string;
  readonly status: number;
  readonly reason: string;
}

/** "SIP/" at `i`, the protocol name compared case-insensitively (§25: literals are case-insensitive). */
function isSipVersionAt(buf: Buffer, i: number, end: number): boolean {
  return (
    end - i >= 4 &&
    ((buf[i] ?? 0) | 0x20) === 0x73 &&
    ((buf[i + 1] ?? 0) | 0x20) === 0x69 &&
    ((buf[i + 2] ?? 0) | 0x20) === 0x70 &&
    buf[i + 3] === SLASH
  );
}

function badStartLine(reason: string): ParseError {
  return { code: ParseErrorCode.badStartLine, reason };
}

export function parseStartLine(buf: Buffer, start: number, end: number): RequestLine | StatusLine | ParseError {
  if (isSipVersionAt(buf, start, end)) return parseStatusLine(buf, start, end);
  let i = start;
  while (i < end && isTokenByte(buf[i] ?? 0)) i++;
  if (i === start || buf[i] !== SP) return badStartLine('request line does not start with a method token and SP');
  const method = buf.toString('latin1', start, i);
  let lastSp = end - 1;
  while (lastSp > i && buf[lastSp] !== SP) lastSp--;
  if (lastSp <= i) return badStartLine('request line has no SIP-Version');
  if (!isSipVersionAt(buf, lastSp + 1, end)) return badStartLine('request line does not end with SIP/x.y');
  let uriStart = i;
  while (uriStart < lastSp && buf[uriStart] === SP) uriStart++;
  let uriEnd = lastSp;
  while (uriEnd > uriStart && buf[uriEnd - 1] === SP) uriEnd--;
  if (uriEnd === uriStart) return badStartLine('request line has no Request-URI');
  for (let j = uriStart; j < uriEnd; j++) {
    const b = buf[j] ?? 0;
    if (b <= SP || b >= 0x7f) return badStartLine('Request-URI contains white space or a control character');
  }
  return { kind: 'request', method, uriStart, uriEnd, version: buf.toString('latin1', lastSp + 1, end) };
}

function parseStatusLine(buf: Buffer, start: number, end: number): StatusLine | ParseError {
  let i = start;
  while (i < end && buf[i] !== SP) i++;
  const version = buf.toString('latin1', start, i);
  while (i < end && buf[i] === SP) i++;
  const codeStart = i;
  let status = 0;
  while (i < end && (buf[i] ?? 0) >= DIGIT_0 && (buf[i] ?? 0) <= DIGIT_9) {
    status = status * 10 + ((buf[i] ?? 0) - DIGIT_0);
    i++;
  }
  // Status-Code = 3DIGIT; RFC 3261 §21 defines classes 1xx to 6xx only.
  if (i - codeStart !== 3 || status < 100 || status > 699) return badStartLine('status code is not three digits from 100 to 699');
  if (i < end && buf[i] !== SP) return badStartLine('status code is not followed by SP');
  const reasonStart = i < end ? i + 1 : end;
  return { kind: 'response', version, status, reason: buf.toString('utf8', reasonStart, end) };
}

export function isParseError(v: RequestLine | StatusLine | ParseError): v is ParseError {
  return 'code' in v;
}
