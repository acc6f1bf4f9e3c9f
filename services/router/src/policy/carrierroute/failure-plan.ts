/**
 * carrierfailureroute as rtjson re-asks. In Kamailio a failure_route calls
 * `cr_next_domain(carrier, domain, $rU, <host tried>, $T_reply_code)` and then `cr_route` in the
 * domain it gives. The router keeps nothing between the asks of one call, so:
 *
 * - With the route, the answer lists in `on_failure` (action ask) exactly the reply codes for
 *   which a failure rule gives the chosen host a next domain of the carrier: the edge asks again
 *   only when there is somewhere to go, and forwards any other failure as it would anyway.
 * - On the re-ask, the chain is replayed from what the edge reports: every branch tried so far,
 *   each with its status. Starting in the step's domain, the branch whose host belongs to the rule
 *   group of the domain reached so far is the one tried there, and its status picks the next
 *   domain. Branches are matched by host rather than taken by position because the edge lists
 *   routes that could not be sent before those that were.
 */
import type { BranchOutcome, CodePattern } from '@sipmesh/contracts';
import type { CrCarrier } from './carrier-tables.js';
import { crNextDomain, selectGroup } from './cr-route.js';

/** Final statuses a failure route sees. */
const FIRST_FAILURE = 300;
const LAST_FAILURE = 699;

/** The statuses of a failure on `host` that lead to a domain of the carrier; [] when there are no failure rules. */
export function failoverCodes(carrier: CrCarrier, domainId: number, prefixUser: string, host: string, flags: number): number[] {
  if (!carrier.domains.get(domainId)?.failureRules(prefixUser)) return [];
  const codes: number[] = [];
  for (let status = FIRST_FAILURE; status <= LAST_FAILURE; status++) {
    const next = crNextDomain(carrier, domainId, prefixUser, host, status, flags)?.nextDomain;
    if (next !== undefined && carrier.domains.has(next)) codes.push(status);
  }
  return codes;
}

/** Codes as the route answer writes them: a whole class as `5xx`, other codes one by one. */
export function codePatterns(codes: readonly number[]): CodePattern[] {
  const out: CodePattern[] = [];
  for (let cls = 3; cls <= 6; cls++) {
    const inClass = codes.filter((c) => Math.floor(c / 100) === cls);
    if (inClass.length === 100) out.push(`${cls}xx`);
    else out.push(...inClass);
  }
  return out;
}

export type FailureReplay =
  /** No branch the edge reports was routed by this step: the failure is another step's. */
  | { readonly kind: 'not-ours' }
  /** The last failure has no next domain (or names none of the carrier's). */
  | { readonly kind: 'end' }
  /** Route in `domain`, avoiding the hosts tried. */
  | { readonly kind: 'next'; readonly domain: number; readonly tried: readonly string[] };

export function replayFailures(carrier: CrCarrier, firstDomain: number, prefixUser: string, flags: number, branches: readonly BranchOutcome[]): FailureReplay {
  const remaining = branches.map((b) => ({ host: hostOfUri(b.uri), status: b.status }));
  const tried: string[] = [];
  let domain = firstDomain;
  // Each round consumes a branch, so the loop ends.
  for (;;) {
    const d = carrier.domains.get(domain);
    const group = d && selectGroup(d, prefixUser, flags);
    if (!group || typeof group === 'string') break;
    const hosts = new Set(group.group.rules.map((r) => r.host));
    const at = remaining.findIndex((b) => b.host !== '' && hosts.has(b.host));
    if (at === -1) break;
    const [branch] = remaining.splice(at, 1) as [(typeof remaining)[number]];
    tried.push(branch.host);
    const next = crNextDomain(carrier, domain, prefixUser, branch.host, branch.status, flags)?.nextDomain;
    if (next === undefined || !carrier.domains.has(next)) return { kind: 'end' };
    domain = next;
  }
  return tried.length === 0 ? { kind: 'not-ours' } : { kind: 'next', domain, tried };
}

/** What follows the user part of a branch's Request-URI: the rewrite_host it was routed to. */
export function hostOfUri(uri: string): string {
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@', colon + 1);
  return uri.slice(at === -1 ? colon + 1 : at + 1);
}
