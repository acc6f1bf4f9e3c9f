/**
 * Byte-level reading of one header field value: decoding it with line folding collapsed, and
 * finding the elements of a comma-separated list without splitting inside quoted strings or
 * <URI>s. Both work on offsets into the received buffer so that the serializer can cut values out
 * of a line without re-encoding it.
 */
import { BACKSLASH, COMMA, CR, DQUOTE, HTAB, LAQUOT, LF, RAQUOT, SP } from './byte-constants.js';

function isLwsByte(b: number | undefined): boolean {
  return b === SP || b === HTAB || b === CR || b === LF;
}

/**
 * The value in `buf[start, end)` as a string. Folding (`*WSP CRLF 1*WSP`) becomes one SP, as RFC
 * 3261 §7.3.1 lets a receiver do before interpreting the value.
 */
export function decodeHeaderValue(buf: Buffer, start: number, end: number): string {
  let lf = buf.indexOf(LF, start);
  if (lf < 0 || lf >= end) return buf.toString('utf8', start, end);
  let out = '';
  let segStart = start;
  while (lf >= 0 && lf < end) {
    let segEnd = lf;
    while (segEnd > segStart && isLwsByte(buf[segEnd - 1])) segEnd--;
    out += buf.toString('utf8', segStart, segEnd) + ' ';
    let next = lf + 1;
    while (next < end && (buf[next] === SP || buf[next] === HTAB)) next++;
    segStart = next;
    lf = buf.indexOf(LF, next);
  }
  return out + buf.toString('utf8', segStart, end);
}

/**
 * Elements of the comma-separated list in `buf[start, end)` as flattened `[start, end]` pairs,
 * trimmed of LWS, empty elements skipped (RFC 3261 §7.3.1). Commas inside a quoted string or
 * between `<` and `>` do not separate elements (§25.1: a URI in a name-addr may contain commas).
 */
export function splitListRanges(buf: Buffer, start: number, end: number): number[] {
  const out: number[] = [];
  let elemStart = start;
  let i = start;
  while (i <= end) {
    const b = i < end ? buf[i] : COMMA;
    if (b === DQUOTE) {
      i++;
      while (i < end && buf[i] !== DQUOTE) i += buf[i] === BACKSLASH ? 2 : 1;
      if (i >= end) {
        // Unterminated: the rest is one element.
        i = end;
        continue;
      }
    } else if (b === LAQUOT) {
      while (i < end && buf[i] !== RAQUOT) i++;
      if (i >= end) {
        i = end;
        continue;
      }
    } else if (b === COMMA) {
      let s = elemStart;
      let e = Math.min(i, end);
      while (s < e && isLwsByte(buf[s])) s++;
      while (e > s && isLwsByte(buf[e - 1])) e--;
      if (e > s) out.push(s, e);
      elemStart = i + 1;
    }
    i++;
  }
  return out;
}
