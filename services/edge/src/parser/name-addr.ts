/**
 * name-addr / addr-spec values of From, To, Contact, Route, Record-Route and friends
 * (RFC 3261 §20.10, §25.1): `[display-name] <URI> *(;param)` or a bare `URI *(;param)`.
 */
import { isTokenChar, parseGenericParams, readQuotedString, skipLws } from './basic-rules.js';

export interface NameAddr {
  /** Unquoted, quoted-pairs resolved; token display names with their LWS collapsed to one SP. */
  readonly display: string | undefined;
  /** The URI as written, without the angle brackets. */
  readonly uri: string;
  /** Header parameters: lower-case names, values as written, `null` when valueless. */
  readonly params: ReadonlyMap<string, string | null>;
  /** The `tag` parameter, compared as is (RFC 3261 §19.3). */
  readonly tag: string | undefined;
  /** The whole value as received (folding collapsed, trimmed). */
  readonly raw: string;
}

/** One name-addr or addr-spec value (a single element of a list header); undefined when malformed. */
export function parseNameAddr(value: string): NameAddr | undefined {
  const raw = value.trim();
  let i = skipLws(raw, 0);
  if (i >= raw.length) return undefined;
  let display: string | undefined;
  let uri: string;
  if (raw.charCodeAt(i) === 0x22) {
    const quoted = readQuotedString(raw, i);
    if (quoted === undefined) return undefined;
    display = quoted.value;
    i = skipLws(raw, quoted.end);
    if (raw.charCodeAt(i) !== 0x3c) return undefined;
  } else {
    const lt = raw.indexOf('<', i);
    if (lt >= 0 && isTokenDisplay(raw, i, lt)) {
      const words = raw.slice(i, lt).trim();
      display = words.length === 0 ? undefined : collapseLws(words);
      i = lt;
    }
  }
  if (raw.charCodeAt(i) === 0x3c) {
    const gt = raw.indexOf('>', i + 1);
    if (gt < 0) return undefined;
    // LWS just inside the brackets is not allowed by §25.1, but tolerated: it changes no meaning.
    uri = raw.slice(i + 1, gt).trim();
    i = gt + 1;
  } else {
    // §20.10: in an addr-spec, everything from the first ';' on is a header parameter.
    let end = raw.indexOf(';', i);
    if (end < 0) end = raw.length;
    uri = raw.slice(i, end).trim();
    if (uri.indexOf(' ') >= 0 || uri.indexOf('\t') >= 0 || uri.indexOf('<') >= 0 || uri.indexOf('>') >= 0) return undefined;
    i = end;
  }
  if (uri.length === 0) return undefined;
  const params = new Map<string, string | null>();
  if (!parseGenericParams(raw, i, params)) return undefined;
  const tag = params.get('tag');
  return { display, uri, params, tag: tag === null ? undefined : tag, raw };
}

/** display-name = *(token LWS): only token characters and white space before the '<'. */
function isTokenDisplay(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isTokenChar(c) && c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

function collapseLws(s: string): string {
  let out = '';
  let space = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09) {
      space = true;
    } else {
      if (space) out += ' ';
      space = false;
      out += s.charAt(i);
    }
  }
  return out;
}

/** A display name as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 quoted-pair). */
export function quoteDisplayName(display: string): string {
  let out = '"';
  for (let i = 0; i < display.length; i++) {
    const ch = display.charAt(i);
    out += ch === '"' || ch === '\\' ? '\\' + ch : ch;
  }
  return out + '"';
}
