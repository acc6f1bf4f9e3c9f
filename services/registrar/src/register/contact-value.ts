/**
 * One Contact header value of a REGISTER, as the edge hands it (comma lists already split):
 * `*`, a name-addr `["Alice"] <sip:...>;q=0.5;expires=60;+sip.instance="<urn:uuid:...>";reg-id=1`,
 * or a bare addr-spec `sip:alice@host;expires=0`, whose parameters belong to the header, not the
 * URI (RFC 3261 §20.10). Bad input is a result with a stable code, never an exception.
 */

export const ContactValueErrorCode = {
  empty: 'REGISTRAR_ERR_CONTACT_EMPTY',
  syntax: 'REGISTRAR_ERR_CONTACT_SYNTAX',
  uri: 'REGISTRAR_ERR_CONTACT_URI',
  q: 'REGISTRAR_ERR_CONTACT_Q',
  expires: 'REGISTRAR_ERR_CONTACT_EXPIRES',
  regId: 'REGISTRAR_ERR_CONTACT_REG_ID',
  instance: 'REGISTRAR_ERR_CONTACT_INSTANCE',
} as const;
export type ContactValueErrorCode = (typeof ContactValueErrorCode)[keyof typeof ContactValueErrorCode];

export interface ContactBinding {
  readonly kind: 'contact';
  /** Display name, unquoted; undefined when none. */
  readonly displayName: string | undefined;
  /** The URI without angle brackets. */
  readonly uri: string;
  /** q (RFC 3261 §20.10 qvalue); undefined when not given. */
  readonly q: number | undefined;
  /** expires parameter, delta-seconds capped at 2^32-1 (RFC 3261 §20.19); undefined when not given. */
  readonly expiresSec: number | undefined;
  /** +sip.instance value without its quotes, e.g. `<urn:uuid:...>` (RFC 5626 §4.1). */
  readonly instance: string | undefined;
  /** reg-id, 1..2^31-1 (RFC 5626 §4.2). */
  readonly regId: number | undefined;
  /** RFC 3840 `methods` feature tag, upper-cased. */
  readonly methods: readonly string[] | undefined;
  /** Every header parameter: lower-case names, unquoted values, null when valueless. */
  readonly params: ReadonlyMap<string, string | null>;
}

export type ContactValue = { readonly kind: 'star' } | ContactBinding;

export type ContactValueResult =
  | { readonly ok: true; readonly value: ContactValue }
  | { readonly ok: false; readonly code: ContactValueErrorCode; readonly reason: string };

/** RFC 3261 §20.19: delta-seconds range. */
export const MAX_DELTA_SECONDS = 4_294_967_295;
const MAX_REG_ID = 2_147_483_647;

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
const DIGITS = /^\d+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// token characters of RFC 3261 §25.1
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]$/;

export function parseContactValue(raw: string): ContactValueResult {
  const s = raw.trim();
  if (s.length === 0) return fail(ContactValueErrorCode.empty, 'empty Contact value');
  if (s === '*') return { ok: true, value: { kind: 'star' } };
  let i = 0;
  let displayName: string | undefined;
  if (s[0] === '"') {
    const q = readQuoted(s, 0);
    if (q === undefined) return fail(ContactValueErrorCode.syntax, 'unterminated quoted display name');
    displayName = q.value;
    i = skipWs(s, q.end);
    if (s[i] !== '<') return fail(ContactValueErrorCode.syntax, 'quoted display name without <URI>');
  } else {
    const lt = s.indexOf('<');
    if (lt > 0 && [...s.slice(0, lt)].every((c) => c === ' ' || c === '\t' || TOKEN.test(c))) {
      const words = s.slice(0, lt).trim().split(/[ \t]+/).join(' ');
      displayName = words.length > 0 ? words : undefined;
      i = lt;
    }
  }
  let uri: string;
  if (s[i] === '<') {
    const gt = s.indexOf('>', i + 1);
    if (gt < 0) return fail(ContactValueErrorCode.syntax, 'unterminated <URI>');
    uri = s.slice(i + 1, gt).trim();
    i = gt + 1;
  } else {
    // §20.10: without angle brackets everything from the first ';' on is a header parameter.
    const semi = s.indexOf(';', i);
    const end = semi < 0 ? s.length : semi;
    uri = s.slice(i, end).trim();
    if (/[\s<>,"]/.test(uri)) return fail(ContactValueErrorCode.syntax, `not an addr-spec: ${uri}`);
    i = end;
  }
  const uriProblem = checkUri(uri);
  if (uriProblem !== undefined) return fail(ContactValueErrorCode.uri, uriProblem);
  const params = new Map<string, string | null>();
  const paramProblem = readParams(s, i, params);
  if (paramProblem !== undefined) return fail(ContactValueErrorCode.syntax, paramProblem);
  return interpret(displayName, uri, params);
}

function interpret(displayName: string | undefined, uri: string, params: Map<string, string | null>): ContactValueResult {
  const q = params.get('q');
  if (q !== undefined && (q === null || !QVALUE.test(q))) return fail(ContactValueErrorCode.q, `invalid q: ${String(q)}`);
  const expires = params.get('expires');
  if (expires !== undefined && (expires === null || !DIGITS.test(expires))) return fail(ContactValueErrorCode.expires, `invalid expires: ${String(expires)}`);
  const instance = params.get('+sip.instance');
  if (instance !== undefined && (instance === null || instance.length === 0)) return fail(ContactValueErrorCode.instance, '+sip.instance without a value');
  const regId = params.get('reg-id');
  if (regId !== undefined && (regId === null || !DIGITS.test(regId) || Number(regId) < 1 || Number(regId) > MAX_REG_ID)) {
    return fail(ContactValueErrorCode.regId, `invalid reg-id: ${String(regId)}`);
  }
  const methods = params.get('methods');
  return {
    ok: true,
    value: {
      kind: 'contact',
      displayName,
      uri,
      q: q === undefined ? undefined : Number(q),
      expiresSec: expires === undefined ? undefined : Math.min(Number(expires), MAX_DELTA_SECONDS),
      instance: instance ?? undefined,
      regId: regId === undefined || regId === null ? undefined : Number(regId),
      methods: methods === undefined || methods === null ? undefined : methods.split(',').map((m) => m.trim().toUpperCase()).filter((m) => m.length > 0),
      params,
    },
  };
}

function checkUri(uri: string): string | undefined {
  if (!SCHEME.test(uri)) return `no scheme in URI: ${uri}`;
  const colon = uri.indexOf(':');
  const scheme = uri.slice(0, colon).toLowerCase();
  const rest = uri.slice(colon + 1);
  if (rest.length === 0) return `empty URI: ${uri}`;
  if (scheme === 'sip' || scheme === 'sips') {
    const hostPart = rest.split(/[;?]/, 1)[0] ?? '';
    const host = hostPart.slice(hostPart.lastIndexOf('@') + 1);
    if (host.length === 0 || host.startsWith(':')) return `no host in URI: ${uri}`;
  }
  return undefined;
}

/** `*(SEMI generic-param)` from `i` to the end; returns a problem or undefined. */
function readParams(s: string, start: number, out: Map<string, string | null>): string | undefined {
  let i = skipWs(s, start);
  while (i < s.length) {
    if (s[i] !== ';') return `unexpected '${s[i] ?? ''}' after the URI`;
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < s.length && TOKEN.test(s[i] ?? '')) i++;
    const name = s.slice(nameStart, i).toLowerCase();
    if (name.length === 0) return 'empty parameter name';
    i = skipWs(s, i);
    let value: string | null = null;
    if (s[i] === '=') {
      i = skipWs(s, i + 1);
      if (s[i] === '"') {
        const q = readQuoted(s, i);
        if (q === undefined) return `unterminated quoted value of ${name}`;
        value = q.value;
        i = q.end;
      } else {
        const valueStart = i;
        while (i < s.length && s[i] !== ';' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(valueStart, i);
        if (value.length === 0) return `empty value of ${name}`;
      }
    }
    out.set(name, value);
    i = skipWs(s, i);
  }
  return undefined;
}

/** quoted-string at `start` (which is '"'): its unescaped content and the index after it. */
function readQuoted(s: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      if (i >= s.length) return undefined;
      value += s[i];
    } else if (c === '"') {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  return undefined;
}

function skipWs(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t') i++;
  return i;
}

function fail(code: ContactValueErrorCode, reason: string): ContactValueResult {
  return { ok: false, code, reason };
}
