/**
 * The address of record a REGISTER is about, in the canonical form bindings are stored under
 * (RFC 3261 §10.3 step 5): `user@domain`, user part as is (case-sensitive, escapes resolved),
 * domain lower-cased, no scheme, port or parameters; `user` alone when domains are not used
 * (Kamailio use_domain=0).
 */

export type AorResult = { readonly ok: true; readonly aor: string } | { readonly ok: false; readonly reason: string };

/** Accepts `user@domain` or a SIP/SIPS URI (`sip:user@domain:port;params`). */
export function canonicalAor(value: string, useDomain: boolean): AorResult {
  let s = value.trim();
  const lower = s.toLowerCase();
  if (lower.startsWith('sip:')) s = s.slice(4);
  else if (lower.startsWith('sips:')) s = s.slice(5);
  const end = s.search(/[;?]/);
  if (end >= 0) s = s.slice(0, end);
  const at = s.lastIndexOf('@');
  if (at <= 0) return { ok: false, reason: `no user part in ${value}` };
  const user = unescape(s.slice(0, at).split(':', 1)[0] ?? '');
  if (user.length === 0) return { ok: false, reason: `no user part in ${value}` };
  if (!useDomain) return { ok: true, aor: user };
  const domain = stripPort(s.slice(at + 1)).toLowerCase();
  if (domain.length === 0) return { ok: false, reason: `no domain in ${value}` };
  return { ok: true, aor: `${user}@${domain}` };
}

function stripPort(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(0, hostport.indexOf(']') + 1);
  const colon = hostport.indexOf(':');
  return colon < 0 ? hostport : hostport.slice(0, colon);
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
