/**
 * parseMessage: one pass over the bytes that finds the start line and every header line (with
 * folding, RFC 3261 §7.3.1) and records offsets only; then the routing facts are read from the
 * few header values that carry them. No regex, no decoding of the whole message.
 */
import { isTokenByte, parseDigits } from './basic-rules.js';
import { COLON, CR, HTAB, LF, SP } from './byte-constants.js';
import { HeaderName, lookupHeaderName } from './header-names.js';
import { decodeHeaderValue, splitListRanges } from './header-value.js';
import { parseNameAddr } from './name-addr.js';
import type { NameAddr } from './name-addr.js';
import type { ParseError } from './parse-error.js';
import { ParseErrorCode } from './parse-error.js';
import type { CSeq, HeaderField, MessageInit, SipMessage } from './sip-message.js';
import { EMPTY_NAME_ADDR, SipRequest, SipResponse } from './sip-message.js';
import { isParseError, parseStartLine } from './start-line.js';
import { parseVia } from './via.js';

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: ParseError };

const MAX_UINT32 = 4294967295;

function fail(code: ParseError['code'], reason: string): ParseResult {
  return { ok: false, error: { code, reason } };
}

/** Offset just past the line ending (CRLF or bare LF) that starts at `lineEnd`. */
function afterEol(buf: Buffer, lineEnd: number): number {
  return buf[lineEnd] === CR ? lineEnd + 2 : lineEnd + 1;
}

/** End of the line whose LF is at `lf`, excluding a CR before it. */
function lineEndBefore(buf: Buffer, lf: number): number {
  return lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf;
}

export function parseMessage(buf: Buffer): ParseResult {
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  let messageStart = 0;
  while (messageStart < buf.length && (buf[messageStart] === CR || buf[messageStart] === LF)) messageStart++;
  if (messageStart >= buf.length) return fail(ParseErrorCode.empty, 'no start line');
  const firstLf = buf.indexOf(LF, messageStart);
  if (firstLf < 0) return fail(ParseErrorCode.noHeaderEnd, 'start line is not terminated');
  const startLineEnd = lineEndBefore(buf, firstLf);
  const startLine = parseStartLine(buf, messageStart, startLineEnd);
  if (isParseError(startLine)) return { ok: false, error: startLine };

  const headers: HeaderField[] = [];
  let pos = firstLf + 1;
  let headerBlockEnd = -1;
  let bodyStart = -1;
  while (pos < buf.length) {
    if (buf[pos] === LF || (buf[pos] === CR && buf[pos + 1] === LF)) {
      headerBlockEnd = pos;
      bodyStart = afterEol(buf, pos);
      break;
    }
    const lineStart = pos;
    while (pos < buf.length && isTokenByte(buf[pos] ?? 0)) pos++;
    if (pos === lineStart) return fail(ParseErrorCode.badHeader, `header line at offset ${lineStart} does not start with a name`);
    const nameEnd = pos;
    // HCOLON = *( SP / HTAB ) ":" SWS
    while (buf[pos] === SP || buf[pos] === HTAB) pos++;
    if (buf[pos] !== COLON) return fail(ParseErrorCode.badHeader, `header line at offset ${lineStart} has no colon after its name`);
    pos++;
    // Leading white space of the value, including folds (the value may begin on the next line).
    for (;;) {
      while (buf[pos] === SP || buf[pos] === HTAB) pos++;
      const eol = buf[pos] === CR && buf[pos + 1] === LF ? 2 : buf[pos] === LF ? 1 : 0;
      const next = buf[pos + eol];
      if (eol > 0 && (next === SP || next === HTAB)) pos += eol;
      else break;
    }
    const valueStart = pos;
    let lf = buf.indexOf(LF, pos);
    while (lf >= 0 && (buf[lf + 1] === SP || buf[lf + 1] === HTAB)) lf = buf.indexOf(LF, lf + 1);
    if (lf < 0) return fail(ParseErrorCode.noHeaderEnd, 'header fields are not terminated by an empty line');
    const lineEnd = Math.max(lineEndBefore(buf, lf), valueStart);
    let valueEnd = lineEnd;
    while (valueEnd > valueStart) {
      const b = buf[valueEnd - 1];
      if (b !== SP && b !== HTAB && b !== CR && b !== LF) break;
      valueEnd--;
    }
    headers.push({ name: lookupHeaderName(buf, lineStart, nameEnd), lineStart, lineEnd, valueStart, valueEnd });
    pos = lf + 1;
  }
  if (headerBlockEnd < 0) return fail(ParseErrorCode.noHeaderEnd, 'header fields are not terminated by an empty line');

  const facts = readRoutingFacts(buf, headers);
  if ('code' in facts) return { ok: false, error: facts };

  const available = buf.length - bodyStart;
  const { contentLength } = facts;
  // RFC 3261 §18.3: octets beyond Content-Length in a datagram are discarded; a shorter body is
  // kept as is for the sanity check to reject.
  const bodyEnd = contentLength !== undefined && contentLength < available ? bodyStart + contentLength : buf.length;
  const init: MessageInit = {
    raw: buf,
    messageStart,
    startLineEnd,
    headers,
    headerBlockEnd,
    bodyStart,
    body: buf.subarray(bodyStart, bodyEnd),
    contentLength,
    contentLengthInvalid: facts.contentLengthInvalid,
    topVia: facts.topVia,
    callId: facts.callId,
    cseq: facts.cseq,
    from: facts.from,
    to: facts.to,
    maxForwards: facts.maxForwards,
    maxForwardsInvalid: facts.maxForwardsInvalid,
  };
  return { ok: true, message: startLine.kind === 'request' ? new SipRequest(init, startLine) : new SipResponse(init, startLine) };
}

type RoutingFacts = Omit<MessageInit, 'raw' | 'messageStart' | 'startLineEnd' | 'headers' | 'headerBlockEnd' | 'bodyStart' | 'body'>;

/** The facts every message needs before any routing decision, from the first line of each header. */
function readRoutingFacts(buf: Buffer, headers: readonly HeaderField[]): RoutingFacts | ParseError {
  let via: HeaderField | undefined;
  let from: HeaderField | undefined;
  let to: HeaderField | undefined;
  let callId: HeaderField | undefined;
  let cseq: HeaderField | undefined;
  let maxForwards: HeaderField | undefined;
  let contentLength: HeaderField | undefined;
  for (const field of headers) {
    switch (field.name) {
      case HeaderName.via:
        via ??= field;
        break;
      case HeaderName.from:
        from ??= field;
        break;
      case HeaderName.to:
        to ??= field;
        break;
      case HeaderName.callId:
        callId ??= field;
        break;
      case HeaderName.cseq:
        cseq ??= field;
        break;
      case HeaderName.maxForwards:
        maxForwards ??= field;
        break;
      case HeaderName.contentLength:
        contentLength ??= field;
        break;
    }
  }
  // Without a top Via no response can be routed back (RFC 3261 §18.2.2): nothing to answer.
  if (via === undefined) return { code: ParseErrorCode.missingVia, reason: 'no Via header' };
  const ranges = splitListRanges(buf, via.valueStart, via.valueEnd);
  const topVia = ranges.length >= 2 ? parseVia(decodeHeaderValue(buf, ranges[0] ?? 0, ranges[1] ?? 0)) : undefined;
  if (topVia === undefined) return { code: ParseErrorCode.badVia, reason: 'top Via does not parse' };

  const mf = maxForwards === undefined ? undefined : parseDigits(decodeHeaderValue(buf, maxForwards.valueStart, maxForwards.valueEnd));
  const cl = contentLength === undefined ? undefined : parseDigits(decodeHeaderValue(buf, contentLength.valueStart, contentLength.valueEnd));
  return {
    topVia,
    callId: callId === undefined ? '' : decodeHeaderValue(buf, callId.valueStart, callId.valueEnd),
    cseq: readCSeq(buf, cseq),
    from: readNameAddr(buf, from),
    to: readNameAddr(buf, to),
    maxForwards: mf !== undefined && mf <= 255 ? mf : undefined,
    maxForwardsInvalid: maxForwards !== undefined && (mf === undefined || mf > 255),
    contentLength: cl,
    contentLengthInvalid: contentLength !== undefined && cl === undefined,
  };
}

function readNameAddr(buf: Buffer, field: HeaderField | undefined): NameAddr {
  if (field === undefined) return EMPTY_NAME_ADDR;
  return parseNameAddr(decodeHeaderValue(buf, field.valueStart, field.valueEnd)) ?? EMPTY_NAME_ADDR;
}

/** CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16); leading zeros allowed (RFC 4475 §3.1.1.1). */
function readCSeq(buf: Buffer, field: HeaderField | undefined): CSeq {
  if (field === undefined) return { seq: Number.NaN, method: '' };
  const value = decodeHeaderValue(buf, field.valueStart, field.valueEnd);
  let space = 0;
  while (space < value.length && value.charCodeAt(space) !== 0x20 && value.charCodeAt(space) !== 0x09) space++;
  const numberPart = value.slice(0, space);
  const methodPart = value.slice(space).trim();
  const seq = numberPart.length <= 10 ? parseDigits(numberPart) : undefined;
  return {
    seq: seq !== undefined && seq <= MAX_UINT32 ? seq : Number.NaN,
    method: isMethodToken(methodPart) ? methodPart : '',
  };
}

function isMethodToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || !isTokenByte(c)) return false;
  }
  return true;
}
