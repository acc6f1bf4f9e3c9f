/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966). Parsing validates the character
 * classes of each part and resolves %-escapes in the user, password, parameters and headers, so
 * that comparisons see `%75ser` and `user` as the same user (§19.1.4); `raw` keeps the URI as
 * written and `formatUri` re-escapes what needs escaping.
 */
export interface SipUri {
  /** Lower-case: 'sip', 'sips' or 'tel'. */
  readonly scheme: string;
  /** Unescaped; case-sensitive (§19.1.4). For tel, the telephone-subscriber number. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** As written; IPv6 references keep their brackets. Empty for tel. */
  readonly host: string;
  readonly port: number | undefined;
  /** Lower-case names, unescaped values, `null` for a parameter without a value. */
  readonly params: ReadonlyMap<string, string | null>;
  readonly headers: ReadonlyMap<string, string>;
  readonly raw: string;
}

const MARK = "-_.!~*'()";
const USER_CHARS = charTable(MARK + '&=+$,;?/%', true);
const PASSWORD_CHARS = charTable(MARK + '&=+$,%', true);
const PARAM_CHARS = charTable(MARK + '[]/:&+$%', true);
const HEADER_CHARS = charTable(MARK + '[]/?:+$%', true);
const HOST_CHARS = charTable('-._', true);
const IPV6_CHARS = charTable(':.abcdefABCDEF', true);
const TEL_CHARS = charTable(MARK + '+#%/:&=$,[]', true);

function charTable(extra: string, alphanum: boolean): Uint8Array {
  const table = new Uint8Array(128);
  if (alphanum) {
    for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
    for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
    for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  }
  for (let i = 0; i < extra.length; i++) table[extra.charCodeAt(i)] = 1;
  return table;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Every character in the class and every `%` followed by two hex digits (escaped). */
function allIn(s: string, table: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] !== 1) return false;
    if (c === 0x25 && !(isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}

/** Resolves %HH escapes (validated beforehand); the octets are read as UTF-8. */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Escapes every octet outside `table` (and `%` itself) as %HH. */
function escapePart(s: string, table: Uint8Array): string {
  let simple = true;
  for (let i = 0; i < s.length && simple; i++) {
    const c = s.charCodeAt(i);
    simple = c < 128 && table[c] === 1 && c !== 0x25;
  }
  if (simple) return s;
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    out += byte < 128 && table[byte] === 1 && byte !== 0x25 ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower-cased; undefined when malformed. */
export function uriScheme(s: string): string | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0) return undefined;
  for (let i = 0; i < colon; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20;
    const alpha = lower >= 0x61 && lower <= 0x7a;
    const other = (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
    if (!alpha && (i === 0 || !other)) return undefined;
  }
  return s.slice(0, colon).toLowerCase();
}

export function parseUri(s: string): SipUri | undefined {
  const scheme = uriScheme(s);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, scheme, scheme.length + 1);
  if (scheme === 'tel') return parseTelUri(s, scheme.length + 1);
  return undefined;
}

function parseSipUri(raw: string, scheme: string, from: number): SipUri | undefined {
  // '@' may appear neither in the host, the parameters nor the headers: the last one ends userinfo.
  const at = raw.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  let i = from;
  if (at >= from) {
    const userinfo = raw.slice(from, at);
    const colon = userinfo.indexOf(':');
    const userPart = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (userPart.length === 0 || !allIn(userPart, USER_CHARS)) return undefined;
    user = unescapeUriPart(userPart);
    if (colon >= 0) {
      const passwordPart = userinfo.slice(colon + 1);
      if (!allIn(passwordPart, PASSWORD_CHARS)) return undefined;
      password = unescapeUriPart(passwordPart);
    }
    i = at + 1;
  }
  const hostStart = i;
  if (raw.charCodeAt(i) === 0x5b) {
    const close = raw.indexOf(']', i);
    if (close < 0 || !allIn(raw.slice(i + 1, close), IPV6_CHARS) || close === i + 1) return undefined;
    i = close + 1;
  } else {
    while (i < raw.length && raw.charCodeAt(i) < 128 && HOST_CHARS[raw.charCodeAt(i)] === 1) i++;
    if (i === hostStart) return undefined;
  }
  const host = raw.slice(hostStart, i);
  let port: number | undefined;
  if (raw.charCodeAt(i) === 0x3a) {
    const portStart = ++i;
    while (i < raw.length && raw.charCodeAt(i) >= 0x30 && raw.charCodeAt(i) <= 0x39) i++;
    if (i === portStart || i - portStart > 5) return undefined;
    port = Number(raw.slice(portStart, i));
    if (port > 65535) return undefined;
  }
  const params = new Map<string, string | null>();
  while (raw.charCodeAt(i) === 0x3b) {
    let end = i + 1;
    while (end < raw.length && raw.charCodeAt(end) !== 0x3b && raw.charCodeAt(end) !== 0x3f) end++;
    if (!addPair(raw.slice(i + 1, end), params, PARAM_CHARS, true)) return undefined;
    i = end;
  }
  const headers = new Map<string, string>();
  if (raw.charCodeAt(i) === 0x3f) {
    for (const pair of raw.slice(i + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || !allIn(pair.slice(0, eq), HEADER_CHARS) || !allIn(pair.slice(eq + 1), HEADER_CHARS)) return undefined;
      headers.set(unescapeUriPart(pair.slice(0, eq)), unescapeUriPart(pair.slice(eq + 1)));
    }
    i = raw.length;
  }
  if (i !== raw.length) return undefined;
  return { scheme, user, password, host, port, params, headers, raw };
}

/** `name[=value]` of a URI parameter into `params`; false when a part has a forbidden character. */
function addPair(pair: string, params: Map<string, string | null>, table: Uint8Array, lowerName: boolean): boolean {
  const eq = pair.indexOf('=');
  const name = eq < 0 ? pair : pair.slice(0, eq);
  if (name.length === 0 || !allIn(name, table)) return false;
  const unescaped = unescapeUriPart(name);
  const key = lowerName ? unescaped.toLowerCase() : unescaped;
  if (eq < 0) {
    if (!params.has(key)) params.set(key, null);
    return true;
  }
  const value = pair.slice(eq + 1);
  if (value.length === 0 || !allIn(value, table)) return false;
  if (!params.has(key)) params.set(key, unescapeUriPart(value));
  return true;
}

/** tel URIs (RFC 3966) are kept opaque apart from their parameters. */
function parseTelUri(raw: string, from: number): SipUri | undefined {
  let end = raw.indexOf(';', from);
  if (end < 0) end = raw.length;
  const number = raw.slice(from, end);
  if (number.length === 0 || !allIn(number, TEL_CHARS)) return undefined;
  const params = new Map<string, string | null>();
  let i = end;
  while (i < raw.length) {
    let next = raw.indexOf(';', i + 1);
    if (next < 0) next = raw.length;
    if (!addPair(raw.slice(i + 1, next), params, PARAM_CHARS, true)) return undefined;
    i = next;
  }
  return { scheme: 'tel', user: unescapeUriPart(number), password: undefined, host: '', port: undefined, params, headers: new Map(), raw };
}

export function formatUri(u: SipUri): string {
  let out = u.scheme + ':';
  if (u.scheme === 'tel') {
    out += escapePart(u.user ?? '', TEL_CHARS);
  } else {
    if (u.user !== undefined) {
      out += escapePart(u.user, USER_CHARS);
      if (u.password !== undefined) out += ':' + escapePart(u.password, PASSWORD_CHARS);
      out += '@';
    }
    out += u.host;
    if (u.port !== undefined) out += ':' + String(u.port);
  }
  for (const [name, value] of u.params) {
    out += ';' + escapePart(name, PARAM_CHARS);
    if (value !== null) out += '=' + escapePart(value, PARAM_CHARS);
  }
  let sep = '?';
  for (const [name, value] of u.headers) {
    out += sep + escapePart(name, HEADER_CHARS) + '=' + escapePart(value, HEADER_CHARS);
    sep = '&';
  }
  return out;
}

/**
 * The transport a URI asks for (RFC 3263 §4.1 without DNS): its `transport` parameter,
 * upper-cased, else TLS for sips and UDP for sip.
 */
export function uriTransport(u: SipUri): string {
  const param = u.params.get('transport');
  if (param !== undefined && param !== null) return param.toUpperCase();
  return u.scheme === 'sips' ? 'TLS' : 'UDP';
}

/** A Route/Record-Route URI with `lr` marks a loose router (RFC 3261 §16.4, §19.1.1). */
export function isLooseRouter(u: SipUri): boolean {
  return u.params.has('lr');
}

/**
 * Host comparison (RFC 3261 §19.1.4): case-insensitive; IPv6 references compared in their
 * canonical form, so `[2001:DB8::1]` equals `[2001:db8:0:0:0:0:0:1]`.
 */
export function hostsEqual(a: string, b: string): boolean {
  if (a.length === b.length && a.toLowerCase() === b.toLowerCase()) return true;
  const a6 = canonicalIpv6(a);
  return a6 !== undefined && a6 === canonicalIpv6(b);
}

function canonicalIpv6(host: string): string | undefined {
  const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (inner.indexOf(':') < 0) return undefined;
  try {
    return new URL(`http://[${inner}]/`).hostname;
  } catch {
    return undefined;
  }
}

/** The port a URI names, or the default of its scheme (RFC 3261 §19.1.2: 5060, 5061 for sips). */
export function uriPortOrDefault(u: SipUri): number {
  return u.port ?? (u.scheme === 'sips' ? 5061 : 5060);
}
