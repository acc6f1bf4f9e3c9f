/**
 * Kamailio's `cr_route` and `cr_next_domain` over one carrier (book §8.8, TC-98):
 *
 * - route: the longest scan_prefix of the number in the routing domain; there, the first rule group
 *   whose (flags, mask) the request's flags match (`flags & mask == flags`, largest mask first).
 *   No group matching is no route: Kamailio never falls back to a shorter prefix. In the group the
 *   dice picks the first rule whose share reaches past the face thrown (the last rule if none).
 *   That rule's rewrite_host is the new R-URI host; an empty one blocklists the number.
 * - in a failure route, a host already tried is not picked again (avoid_failed_destinations):
 *   when the dice lands on one, another rule of the group not yet tried is drawn uniformly,
 *   probabilities aside, as Kamailio does.
 * - next domain: the failure rules of the longest scan_prefix, by priority, the first whose host
 *   (or any), reply_code pattern and flags match gives the domain to route in next.
 */
import { randomIndex, type RandomSource } from '../dispatcher/random-source.js';
import type { CrCarrier, CrDomain, CrFailureRule, CrRule, CrRuleGroup } from './carrier-tables.js';
import { throwDice } from './hash-source.js';

export interface CrRequest {
  /** Matched against scan_prefix (cr_route's prefix_matching, usually $rU). */
  readonly prefixUser: string;
  /** The user the new R-URI is made from (cr_route's rewrite_user, usually $rU). */
  readonly rewriteUser: string;
  /** Kept from the R-URI: sips stays sips, anything else becomes sip. */
  readonly scheme: 'sip' | 'sips';
  /** What the dice hashes; undefined throws it with the random source (hash_source rand). */
  readonly hashKey: string | undefined;
  /** Kamailio's message flags (setflag(n) is bit 1 << n). */
  readonly flags: number;
  /** rewrite_hosts already tried for this call; avoided when not empty. */
  readonly tried: readonly string[];
}

/** Why cr_route found nothing (Kamailio returns -1 for each). */
export const CR_NO_ROUTE = {
  noDomain: 'routing domain has no rules for the carrier',
  noPrefix: 'no scan_prefix matches',
  noFlags: 'no rule group matches the flags',
  zeroProbability: 'every rule of the group has prob 0',
  allTried: 'every host of the group was tried',
} as const;
export type CrNoRoute = (typeof CR_NO_ROUTE)[keyof typeof CR_NO_ROUTE];

export type CrRouteResult =
  | { readonly kind: 'routed'; readonly uri: string; readonly user: string; readonly rule: CrRule; readonly prefix: string }
  | { readonly kind: 'blocked'; readonly rule: CrRule; readonly prefix: string }
  | { readonly kind: 'none'; readonly reason: CrNoRoute };

export function crRoute(carrier: CrCarrier, domainId: number, req: CrRequest, random: RandomSource): CrRouteResult {
  const domain = carrier.domains.get(domainId);
  if (!domain) return { kind: 'none', reason: CR_NO_ROUTE.noDomain };
  const selected = selectGroup(domain, req.prefixUser, req.flags);
  if (typeof selected === 'string') return { kind: 'none', reason: selected };
  const { group, prefix } = selected;
  if (group.diceMax === 0) return { kind: 'none', reason: CR_NO_ROUTE.zeroProbability };
  const face = throwDice(req.hashKey, group.diceMax, random);
  // A group always has a rule: it is created for one.
  let rule = group.rules.find((r) => r.diceTo > face) ?? (group.rules[group.rules.length - 1] as CrRule);
  if (req.tried.includes(rule.host)) {
    const fresh = group.rules.filter((r) => !req.tried.includes(r.host));
    if (fresh.length === 0) return { kind: 'none', reason: CR_NO_ROUTE.allTried };
    rule = fresh[randomIndex(random, fresh.length)] as CrRule;
  }
  if (rule.host === '') return { kind: 'blocked', rule, prefix };
  const user = rewrittenUser(rule, req.rewriteUser);
  return { kind: 'routed', uri: user === '' ? `${req.scheme}:${rule.host}` : `${req.scheme}:${user}@${rule.host}`, user, rule, prefix };
}

/** The rule group cr_route uses for this number and these flags, or why there is none. */
export function selectGroup(domain: CrDomain, prefixUser: string, flags: number): { group: CrRuleGroup; prefix: string } | CrNoRoute {
  const m = domain.routeGroups(prefixUser);
  if (!m) return CR_NO_ROUTE.noPrefix;
  const group = m.entries.find((g) => flagsMatch(flags, g));
  return group ? { group, prefix: m.prefix } : CR_NO_ROUTE.noFlags;
}

/**
 * The new user part: rewrite_prefix + the user without its first `strip` characters +
 * rewrite_suffix. An empty user stays empty (the R-URI becomes `sip:<rewrite_host>`).
 */
export function rewrittenUser(rule: CrRule, user: string): string {
  if (user === '') return '';
  return `${rule.rewritePrefix}${user.slice(Math.min(rule.strip, user.length))}${rule.rewriteSuffix}`;
}

/** `cr_next_domain`: the failure rule deciding where a call that failed on `host` with `status` goes next. */
export function crNextDomain(carrier: CrCarrier, domainId: number, prefixUser: string, host: string, status: number, flags: number): CrFailureRule | undefined {
  const rules = carrier.domains.get(domainId)?.failureRules(prefixUser)?.entries;
  const code = String(status);
  return rules?.find((r) => flagsMatch(flags, r) && (r.host === '' || r.host === host) && replyCodeMatches(r.replyCode, code));
}

/** Kamailio's `(msg_flags & mask) == flags`, on unsigned 32-bit values. */
export function flagsMatch(flags: number, rule: { readonly flags: number; readonly mask: number }): boolean {
  return (flags & rule.mask) >>> 0 === rule.flags;
}

/** A three-character pattern where `.` matches any digit, against a three-digit status. */
export function replyCodeMatches(pattern: string, code: string): boolean {
  if (pattern.length !== code.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== '.' && pattern[i] !== code[i]) return false;
  return true;
}
