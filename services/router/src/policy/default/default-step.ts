/**
 * The book's default proxy decisions for an initial request (Kamailio's sample request_route,
 * after the checks the edge already made), in its order:
 *
 *   neither From nor R-URI domain is ours   → 403 Not relaying           (route[AUTH], anti open relay)
 *   R-URI domain is not ours                 → relay to it, `P-hint: outbound`   (route[SIPOUT])
 *   REGISTER                                  → 503: the edge hands REGISTER to the registrar,
 *                                               one reaching a policy means there is none (route[REGISTRAR])
 *   no user in the R-URI                      → 484 Address Incomplete
 *   otherwise                                 → the user's registered contacts, 404 Not Found when none
 *                                                                         (route[LOCATION])
 *
 * Contacts are forked by q (RFC 3261 §16.6, Kamailio lookup + t_load_contacts): the contacts of the
 * highest q in parallel; when all of them fail (408, 480, 5xx) the edge asks again and the next q
 * group is tried; when none is left, `480 Temporarily Unavailable`. A contact registered through
 * another edge is reached through that edge (DESIGN §4): a Route to it carrying the contact's real
 * address in `received`.
 */
import { CONTRACT_VERSION, type Route, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { answer, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { RegistrarUnavailable, type LocationContact, type LocationService } from './location.js';

export interface DefaultStepOptions {
  /** Absent: no registrar in this deployment (local users get 404). */
  readonly location?: LocationService;
  /** Add `P-hint: outbound` to requests leaving for foreign domains (the book does). */
  readonly outboundHint?: boolean;
  /** Ignore the domain when looking up users (Kamailio `use_domain=0`). */
  readonly lookupWithoutDomain?: boolean;
}

const reply = (code: number, reason: string): StepResult => answer({ version: CONTRACT_VERSION, reply: { code, reason } });

const NOT_RELAYING = reply(403, 'Not relaying');
const ADDRESS_INCOMPLETE = reply(484, 'Address Incomplete');
const NOT_FOUND = reply(404, 'Not Found');
const NO_REGISTRAR = reply(503, 'Registrar not available');
const LOCATION_UNAVAILABLE = reply(503, 'Location service unavailable');
const ALL_CONTACTS_FAILED = reply(480, 'Temporarily Unavailable');
/** Failures of a contact group that move on to the next one (the edge's default failover codes). */
const NEXT_GROUP_CODES = [408, 480, '5xx'];

export class DefaultStep implements PolicyStep {
  readonly kind = 'default';
  private readonly outboundHint: boolean;

  constructor(private readonly options: DefaultStepOptions = {}) {
    this.outboundHint = options.outboundHint ?? true;
  }

  run(ctx: RouteContext): StepResult | Promise<StepResult> {
    const p = ctx.params;
    // Rewrites by earlier steps decide where the request goes: "ours" is about the original R-URI,
    // so a translation to a foreign host counts as leaving.
    const ruriOurs = p.ours.ruri && ctx.ruriHost === p.ruri_parts.host;
    if (!p.ours.from && !ruriOurs) return NOT_RELAYING;
    if (!ruriOurs) {
      const route: Route = { uri: ctx.ruri };
      if (this.outboundHint) route.headers = { extra: ['P-hint: outbound'] };
      return answer({ version: CONTRACT_VERSION, routing: 'serial', routes: [route] });
    }
    // The edge hands REGISTER to the registrar; one that reaches a policy found no registrar.
    if (p.method === 'REGISTER') return NO_REGISTRAR;
    if (ctx.ruriUser === '') return ADDRESS_INCOMPLETE;
    const location = this.options.location;
    if (!location) return NOT_FOUND;
    const aor = this.options.lookupWithoutDomain ? ctx.ruriUser : `${ctx.ruriUser}@${ctx.ruriHost}`;
    return location.lookup(aor).then(
      (groups) => contactAnswer(groups, p),
      // No registrar running in this deployment: nobody can be registered (Kamailio lookup -1).
      (e: unknown) => (e instanceof RegistrarUnavailable && e.absent ? NOT_FOUND : LOCATION_UNAVAILABLE),
    );
  }
}

/**
 * The first contact group not tried yet (a re-ask names the branches that failed), as routes; 404
 * when nobody is registered, 480 when every contact has failed.
 */
export function contactAnswer(groups: readonly (readonly LocationContact[])[], p: RouteParams): StepResult {
  if (groups.length === 0) return NOT_FOUND;
  const tried = new Set((p.failure?.branches ?? []).map((b) => b.uri));
  for (let i = 0; i < groups.length; i++) {
    const fresh = (groups[i] ?? []).filter((c) => !tried.has(c.uri));
    if (fresh.length === 0) continue;
    const routes = fresh.map((c) => contactRoute(c, p.edge));
    const a: RouteAnswer = { version: CONTRACT_VERSION, routing: routes.length > 1 ? 'parallel' : 'serial', routes };
    if (groups.slice(i + 1).some((g) => g.some((c) => !tried.has(c.uri)))) a.on_failure = { action: 'ask', codes: NEXT_GROUP_CODES };
    return answer(a);
  }
  return ALL_CONTACTS_FAILED;
}

/** One contact as a route: from the edge that owns it straight to it, from any other edge through the owner. */
export function contactRoute(c: LocationContact, edge: string): Route {
  const r: Route = { uri: c.uri };
  const path = c.path ?? [];
  if (c.edge === edge || c.edge_uri === undefined) {
    if (c.received !== undefined) r.dst_uri = c.received;
    if (path.length > 0) r.path = path.join(',');
    return r;
  }
  // The owning edge holds the phone's NAT binding or connection: a loose Route to it naming where the
  // phone really is (Kamailio path `received`), then any Path the phone registered with.
  const target = c.received ?? c.uri;
  const owner = `<${c.edge_uri};lr;received=${encodeURIComponent(target)}>`;
  r.path = [owner, ...path].join(',');
  return r;
}
