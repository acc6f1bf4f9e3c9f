/**
 * Whether the digest `uri` parameter names the Request-URI (RFC 2617 §3.2.2.5: the server MUST
 * check that they designate the same resource, or a response captured for one request could be
 * replayed against another). Equal strings match; otherwise SIP and SIPS URIs are compared by the
 * rules of RFC 3261 §19.1.4: userinfo case-sensitive, the rest case-insensitive, escapes of
 * unreserved characters equal to the characters, a port only equal to the same port, the user,
 * ttl, method, maddr and transport parameters compared when either URI has them, other parameters
 * only when both have them, headers always. Other schemes must be equal ignoring case.
 */

interface SipUri {
  readonly scheme: string;
  readonly userinfo: string | undefined;
  readonly host: string;
  readonly port: string | undefined;
  readonly params: Map<string, string>;
  readonly headers: Map<string, string>;
}

/** Parameters that make two URIs differ when only one has them (RFC 3261 §19.1.4). */
const SIGNIFICANT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'] as const;

export function digestUriMatches(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = parseSipUri(digestUri);
  const b = parseSipUri(requestUri);
  if (!a || !b) return digestUri.toLowerCase() === requestUri.toLowerCase();
  if (a.scheme !== b.scheme || a.userinfo !== b.userinfo || a.host !== b.host || a.port !== b.port) return false;
  for (const name of SIGNIFICANT_PARAMS) if (a.params.get(name) !== b.params.get(name)) return false;
  for (const [name, value] of a.params) if (b.params.has(name) && b.params.get(name) !== value) return false;
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, value] of a.headers) if (b.headers.get(name) !== value) return false;
  return true;
}

/** A sip: / sips: URI broken into comparable parts, or undefined for anything else. */
function parseSipUri(text: string): SipUri | undefined {
  const m = /^(sips?):(.*)$/i.exec(text.trim());
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  let rest = m[2] as string;
  // '@' cannot appear unescaped after the userinfo (RFC 3261 §25.1)
  const at = rest.indexOf('@');
  const userinfo = at < 0 ? undefined : unescape(rest.slice(0, at), false);
  rest = at < 0 ? rest : rest.slice(at + 1);
  const q = rest.indexOf('?');
  const headerPart = q < 0 ? '' : rest.slice(q + 1);
  const beforeHeaders = q < 0 ? rest : rest.slice(0, q);
  const [hostport = '', ...paramParts] = beforeHeaders.split(';');
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostport);
  if (!hp || hp[1] === '') return undefined;
  const params = new Map<string, string>();
  for (const p of paramParts) {
    const eq = p.indexOf('=');
    const name = unescape(eq < 0 ? p : p.slice(0, eq), true);
    params.set(name, eq < 0 ? '' : unescape(p.slice(eq + 1), true));
  }
  const headers = new Map<string, string>();
  for (const h of headerPart === '' ? [] : headerPart.split('&')) {
    const eq = h.indexOf('=');
    headers.set(unescape(eq < 0 ? h : h.slice(0, eq), true), eq < 0 ? '' : unescape(h.slice(eq + 1), false));
  }
  return { scheme, userinfo, host: (hp[1] as string).toLowerCase(), port: hp[2] === undefined ? undefined : String(Number(hp[2])), params, headers };
}

const UNRESERVED = /[A-Za-z0-9\-_.!~*'()]/;

/** Decodes escapes of unreserved characters (RFC 3261 §19.1.4); other escapes stay, uppercased. */
function unescape(s: string, lowercase: boolean): string {
  const decoded = s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const c = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
  return lowercase ? decoded.toLowerCase() : decoded;
}
