/**
 * URI equality of RFC 3261 §19.1.4, which decides whether a REGISTER's Contact names an existing
 * binding (§10.3 step 7) and which binding `ul.rm_contact` removes. Kamailio compares the strings
 * byte for byte; the RFC rules are kinder to phones that change the case of a host or reorder
 * parameters between refreshes.
 */

interface ComparableUri {
  readonly scheme: string;
  /** user[:password], unescaped, case kept (§19.1.4: userinfo is case-sensitive). */
  readonly userinfo: string | undefined;
  /** Lower-cased host. */
  readonly host: string;
  /** The port as written; absent and 5060 differ (§19.1.4). */
  readonly port: string | undefined;
  /** Parameter names lower-cased, values unescaped and lower-cased. */
  readonly params: ReadonlyMap<string, string>;
  /** Header names lower-cased, values unescaped (compared case-sensitively). */
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * Parameters that make URIs differ when only one of them has it: user, ttl, method and maddr by
 * the rules of §19.1.4, transport by its examples ("can resolve to different transports"), which
 * are stricter than its rule text; for bindings the stricter reading is the safe one.
 */
const MUST_MATCH_WHEN_ONE_HAS = ['transport', 'user', 'ttl', 'method', 'maddr'] as const;

export function sameContactUri(a: string, b: string): boolean {
  if (a === b) return true;
  const ua = parseComparable(a);
  const ub = parseComparable(b);
  // Not a SIP/SIPS URI (tel:, urn:): no rule beyond the scheme's; compare the text case-insensitively.
  if (ua === undefined || ub === undefined) return a.trim().toLowerCase() === b.trim().toLowerCase();
  if (ua.scheme !== ub.scheme || ua.userinfo !== ub.userinfo || ua.host !== ub.host || ua.port !== ub.port) return false;
  for (const [name, value] of ua.params) {
    const other = ub.params.get(name);
    if (other !== undefined && other !== value) return false;
  }
  for (const name of MUST_MATCH_WHEN_ONE_HAS) if (ua.params.has(name) !== ub.params.has(name)) return false;
  if (ua.headers.size !== ub.headers.size) return false;
  for (const [name, value] of ua.headers) if (ub.headers.get(name) !== value) return false;
  return true;
}

function parseComparable(uri: string): ComparableUri | undefined {
  const s = uri.trim();
  const colon = s.indexOf(':');
  if (colon < 0) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;
  let rest = s.slice(colon + 1);
  let headerPart = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    headerPart = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  // '@' may not appear unescaped in params, so the last '@' before the first ';' ends the userinfo.
  const semi = rest.indexOf(';');
  const hostAndUser = semi < 0 ? rest : rest.slice(0, semi);
  const paramPart = semi < 0 ? '' : rest.slice(semi + 1);
  const at = hostAndUser.lastIndexOf('@');
  const userinfo = at < 0 ? undefined : unescape(hostAndUser.slice(0, at));
  const hostport = at < 0 ? hostAndUser : hostAndUser.slice(at + 1);
  const hp = splitHostPort(hostport);
  if (hp === undefined) return undefined;
  const params = new Map<string, string>();
  for (const p of paramPart.split(';')) {
    if (p.length === 0) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    params.set(name, eq < 0 ? '' : unescape(p.slice(eq + 1).trim()).toLowerCase());
  }
  const headers = new Map<string, string>();
  for (const h of headerPart.split('&')) {
    if (h.length === 0) continue;
    const eq = h.indexOf('=');
    headers.set((eq < 0 ? h : h.slice(0, eq)).toLowerCase(), eq < 0 ? '' : unescape(h.slice(eq + 1)));
  }
  return { scheme, userinfo, host: hp.host.toLowerCase(), port: hp.port, params, headers };
}

function splitHostPort(hostport: string): { host: string; port: string | undefined } | undefined {
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return undefined;
    const after = hostport.slice(close + 1);
    if (after.length > 0 && !after.startsWith(':')) return undefined;
    return { host: hostport.slice(0, close + 1), port: after.length > 0 ? after.slice(1) : undefined };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return hostport.length > 0 ? { host: hostport, port: undefined } : undefined;
  return { host: hostport.slice(0, colon), port: hostport.slice(colon + 1) };
}

/** %HH escapes compare equal to the characters they stand for (§19.1.4); a broken escape stays as is. */
function unescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
