/**
 * The facts of a route request the dispatcher reads: a narrow view of the route request params so
 * the selection can be tested without building a whole request.
 */
import type { RouteParams } from '@sipmesh/contracts';

export type RequestFacts = Pick<RouteParams, 'method' | 'ruri' | 'ruri_parts' | 'from' | 'to' | 'call_id' | 'headers' | 'source' | 'auth'>;

const USERNAME = /(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/i;

/**
 * The digest username of the request (RFC 3261 §22.4), user part only: Proxy-Authorization first,
 * then Authorization, as Kamailio's `ds_hash_authusername` and `$au` do. The credentials need not be
 * verified. Falls back to what the edge authenticated when the headers are absent.
 */
export function authUsername(facts: RequestFacts): string | undefined {
  for (const header of ['proxy-authorization', 'authorization']) {
    for (const value of facts.headers[header] ?? []) {
      const m = USERNAME.exec(value);
      const username = m?.[1] ?? m?.[2];
      if (username) return userPart(username.trim());
    }
  }
  return facts.auth?.user ? userPart(facts.auth.user) : undefined;
}

function userPart(username: string): string {
  const at = username.indexOf('@');
  return at === -1 ? username : username.slice(0, at);
}
