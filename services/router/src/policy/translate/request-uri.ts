/**
 * Whole-URI rewrites of the context's Request-URI, beside route-context's user and host setters:
 * Kamailio's `rewrite_uri` ($ru = …, used by alias_db and speeddial), and `strip` followed by
 * `sethostall` (pdt: host, port, parameters and headers all replaced by one string).
 */
import type { RouteContext } from '../pipeline/route-context.js';

export interface UriUserHost {
  /** User part ('' when the URI has none); a password after ':' is not part of it. */
  readonly user: string;
  /** Host without port; an IPv6 reference keeps its brackets. */
  readonly host: string;
}

/** User and host of `scheme:[user[:password]@]host[:port][;params][?headers]`; undefined when there is no scheme or host. */
export function uriUserHost(uri: string): UriUserHost | undefined {
  const colon = uri.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(uri.slice(0, colon))) return undefined;
  const at = uri.indexOf('@', colon + 1);
  const userinfo = at === -1 ? '' : uri.slice(colon + 1, at);
  const rest = uri.slice(at === -1 ? colon + 1 : at + 1);
  const host = rest.startsWith('[') ? rest.slice(0, rest.indexOf(']') + 1) : (/^[^:;?]*/.exec(rest)?.[0] ?? '');
  if (host === '') return undefined;
  const pw = userinfo.indexOf(':');
  return { user: pw === -1 ? userinfo : userinfo.slice(0, pw), host };
}

/** Replaces the whole Request-URI; false (nothing changed) when `uri` has no scheme or host. */
export function setRuri(ctx: RouteContext, uri: string): boolean {
  const parts = uriUserHost(uri);
  if (!parts) return false;
  ctx.ruri = uri;
  ctx.ruriUser = parts.user;
  ctx.ruriHost = parts.host;
  return true;
}

/**
 * Sets the user part to `user` (a password after it stays) and replaces everything after the
 * user part (host, port, parameters, headers) with `hostAll`; false (nothing changed) when the
 * result has no host.
 */
export function setRuriUserHostAll(ctx: RouteContext, user: string, hostAll: string): boolean {
  const uri = ctx.ruri;
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@', colon + 1);
  const userinfo = at === -1 ? '' : uri.slice(colon + 1, at);
  const pw = userinfo.indexOf(':');
  const password = pw === -1 ? '' : userinfo.slice(pw);
  return setRuri(ctx, `${uri.slice(0, colon + 1)}${user === '' ? '' : `${user}${password}@`}${hostAll}`);
}

/** `host` without `prefix` when it starts with it (case-insensitive) and is longer (Kamailio's domain_prefix). */
export function stripDomainPrefix(host: string, prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix.length >= host.length) return host;
  return host.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase() ? host.slice(prefix.length) : host;
}
