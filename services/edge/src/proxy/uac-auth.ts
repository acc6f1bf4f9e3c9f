/**
 * uac_auth credentials of relayed requests (Kamailio uac `uac_auth()`): a route's `auth` answers a
 * 401/407 with the client digest of the runtime (answerChallenge); here only what the edge adds,
 * keeping those credentials out of logs and events.
 */
import type { Route } from '@sipmesh/contracts';

/** The credentials of one route (rtjson `routes[i].auth`). */
export type RouteCredentials = NonNullable<Route['auth']>;

/** A route fit for logs: its credentials replaced by a marker (they never reach a log or an event). */
export function withoutCredentials(route: Route): Omit<Route, 'auth'> & { auth?: '[redacted]' } {
  const { auth, ...rest } = route;
  return auth === undefined ? rest : { ...rest, auth: '[redacted]' };
}
