/**
 * The basic rules of RFC 3261 §25.1 that every header parser shares: token characters, linear
 * white space, quoted strings with quoted-pairs, and generic parameters. Byte-level predicates
 * serve the Buffer scanners; the string-level readers serve the per-header parsers, which work on
 * one decoded header value at a time.
 */
import { HTAB, SP } from './byte-constants.js';

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN = buildTable("-.!%*_+`'~", true);

function buildTable(extra: string, alphanum: boolean): Uint8Array {
  const table = new Uint8Array(256);
  if (alphanum) {
    for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  }
  for (let i = 0; i < extra.length; i++) table[extra.charCodeAt(i)] = 1;
  return table;
}

export function isTokenByte(b: number): boolean {
  return TOKEN[b] === 1;
}

/** WSP = SP / HTAB */
export function isWsp(b: number): boolean {
  return b === SP || b === HTAB;
}

export function isTokenChar(code: number): boolean {
  return code < 256 && TOKEN[code] === 1;
}

/** A non-empty string of token characters. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/** Index of the first character at or after `i` that is not LWS (SP, HTAB, CR, LF). */
export function skipLws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

/** Index after the last token character of a run starting at `i`. */
export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

export interface QuotedString {
  /** Content with the quotes removed and quoted-pairs resolved. */
  readonly value: string;
  /** Index just past the closing quote. */
  readonly end: number;
}

/**
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; quoted-pair = "\" (%x00-09 /
 * %x0B-0C / %x0E-7F). `s[i]` must be the opening quote; undefined when it is never closed.
 */
export function readQuotedString(s: string, i: number): QuotedString | undefined {
  let value = '';
  let runStart = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) {
      if (j + 1 >= s.length) return undefined;
      value += s.slice(runStart, j) + s.charAt(j + 1);
      j++;
      runStart = j + 1;
    } else if (c === 0x22) {
      return { value: value + s.slice(runStart, j), end: j + 1 };
    }
  }
  return undefined;
}

/** Index just past the closing quote of the quoted string opening at `s[i]`, or -1. */
export function skipQuotedString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** The value of a gen-value as written: quoted strings lose their quotes and escapes. */
export function unquote(value: string): string {
  if (value.length >= 2 && value.charCodeAt(0) === 0x22) {
    const q = readQuotedString(value, 0);
    if (q !== undefined && q.end === value.length) return q.value;
  }
  return value;
}

/**
 * Parses `*( SEMI generic-param )` from `s[i]` to the end of `s` into `params` (names
 * lower-cased, RFC 3261 §7.3.1; values as written, quoted strings keeping their quotes, `null`
 * for a parameter without a value). generic-param = token [ EQUAL gen-value ]. Returns false on
 * anything else, including an empty parameter name (`;;`).
 */
export function parseGenericParams(s: string, i: number, params: Map<string, string | null>): boolean {
  for (;;) {
    i = skipLws(s, i);
    if (i >= s.length) return true;
    if (s.charCodeAt(i) !== 0x3b) return false;
    i = skipLws(s, i + 1);
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) return false;
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipLws(s, nameEnd);
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipLws(s, i + 1);
      const valueStart = i;
      if (i < s.length && s.charCodeAt(i) === 0x22) {
        i = skipQuotedString(s, i);
        if (i < 0) return false;
      } else {
        while (i < s.length) {
          const c = s.charCodeAt(i);
          if (c === 0x3b || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
          i++;
        }
        if (i === valueStart) return false;
      }
      if (!params.has(name)) params.set(name, s.slice(valueStart, i));
    } else if (!params.has(name)) {
      params.set(name, null);
    }
  }
}

/** Digits only, as a number; undefined for anything else (RFC 3261 §25.1: 1*DIGIT). */
export function parseDigits(s: string): number | undefined {
  if (s.length === 0) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n;
}
