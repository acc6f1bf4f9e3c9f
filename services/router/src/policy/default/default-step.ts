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
 * Contacts of the highest q go in parallel; lower q values are not forked to (they need a second
 * round after the first fails, which the registrar integration adds).
 */
import { CONTRACT_VERSION, type Route, type RouteAnswer } from '@sipmesh/contracts';
import { answer, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { LocationService, RegisteredContact } from './location.js';

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
    return location.lookup(aor).then((contacts) => (contacts.length === 0 ? NOT_FOUND : answer(contactRoutes(contacts))));
  }
}

/** The contacts of the highest q as one parallel route set (one contact: a serial set of one). */
export function contactRoutes(contacts: readonly RegisteredContact[]): RouteAnswer {
  const q = (c: RegisteredContact): number => c.q ?? 1;
  const top = Math.max(...contacts.map(q));
  const chosen = contacts.filter((c) => q(c) === top);
  const routes = chosen.map((c): Route => {
    const r: Route = { uri: c.uri };
    if (c.received !== undefined) r.dst_uri = c.received;
    if (c.path !== undefined && c.path.length > 0) r.path = c.path.join(',');
    return r;
  });
  return { version: CONTRACT_VERSION, routing: routes.length > 1 ? 'parallel' : 'serial', routes };
}
