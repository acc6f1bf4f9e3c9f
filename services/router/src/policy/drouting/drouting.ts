/**
 * Kamailio's dynamic routing (the drouting module, book §8.5, TC-93..95) over the tables
 * dr_gateways, dr_rules, dr_gw_lists and dr_groups. A lookup is `do_routing(group)` followed by
 * `use_next_gw()` until no gateway is left: the whole failover list at once.
 *
 * Rules are indexed at load in a prefix trie whose nodes hold, per routing group, the rules of
 * that prefix ordered by priority (higher first; equal priorities by rule id, where Kamailio keeps
 * the table's order). Selection, as do_routing does it:
 *  1. the group: the caller's row in dr_groups (From user, and host with use_domain), else the
 *     configured group (`do_routing(groupid)`);
 *  2. the R-URI user walked down the trie as far as it goes, then back up: at each prefix that has
 *     rules of the group, the first rule whose timerec matches now wins; none, the next shorter
 *     prefix; none at all, the rules without prefix. A character other than 0-9 * # + met on the
 *     way down fails the prefix search (the rules without prefix still apply); characters after the
 *     deepest prefix are never looked at;
 *  3. the rule's gateways (its gwlist, or the dr_gw_lists row `#<id>` names), first 32, in sort
 *     order, each with its own Request-URI (dr-gateway.ts). A gateway whose strip leaves no user
 *     fails the whole lookup, as it fails do_routing.
 *
 * Loading, as Kamailio's reload does: a missing or mistyped value refuses the load; a rule Kamailio
 * skips (bad timerec, prefix, group list or gwlist, a gateway that is not loaded) and a gateway
 * whose address is not a SIP host are left out and listed in `skipped`, naming the row.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import type { RandomSource } from '../dispatcher/random-source.js';
import { PrefixTrie } from '../prefix/prefix-trie.js';
import { drGatewayUri, parseDrGateway, requestUriParts, type DrGateway } from './dr-gateway.js';
import { DR_MAX_GATEWAYS, orderGwList, parseGwList, type DrSortOrder } from './gwlist.js';
import { parseTimeRec, timeRecMatches, type TimeRec } from './timerec.js';

/** The characters of a prefix (Kamailio's tree has a child for each). */
export const DR_PREFIX_CHARS = '0123456789*#+';

export interface DrRows {
  readonly gateways: readonly Row[];
  readonly rules: readonly Row[];
  readonly gwLists?: readonly Row[];
  readonly groups?: readonly Row[];
}

export interface DrTableOptions {
  /** Kamailio's sort_order 0, 1, 2; default in_order. */
  readonly sortOrder?: DrSortOrder;
  /** Match dr_groups rows by domain too (Kamailio's use_domain, default true). */
  readonly useDomain?: boolean;
  /** The group of callers without a dr_groups row; without groups, `do_routing(defaultGroup)`. */
  readonly defaultGroup?: number;
  /** Names the row sources in errors. */
  readonly origins?: { gateways?: string; rules?: string; gwLists?: string; groups?: string };
}

export interface DrListedGateway {
  readonly gateway: DrGateway;
  /** Its group in the gwlist (`;` starts the next). */
  readonly group: number;
}

export interface DrRule {
  readonly id: number;
  /** The routing groups the rule serves (dr_rules.groupid is a list). */
  readonly groups: readonly number[];
  /** '' for a rule without prefix. */
  readonly prefix: string;
  readonly timerec: TimeRec;
  /** Higher wins. */
  readonly priority: number;
  /** Kamailio's script route run before routing ('' or '0': none); kept for the admin view, never run. */
  readonly routeId: string;
  /** As written (`#<id>` when it names a dr_gw_lists row). */
  readonly gwlist: string;
  readonly gateways: readonly DrListedGateway[];
  readonly description: string;
}

export interface DrRequest {
  /** The R-URI user: matched against prefixes, stripped and prefixed per gateway. */
  readonly user: string;
  /** The whole Request-URI; the routes keep its scheme, password, parameters and headers. */
  readonly requestUri: string;
  /** User and host of the From URI, looked up in dr_groups. */
  readonly callerUser: string;
  readonly callerHost: string;
}

export interface DrEnvironment {
  readonly random: RandomSource;
  /** Local wall-clock seconds now (wall-clock.ts); asked at most once per lookup, when a timerec needs it. */
  readonly wallNow: () => number;
}

export interface DrRoute {
  readonly gateway: DrGateway;
  readonly uri: string;
}

/** Why a lookup found no gateway: the caller has no group, no rule matched, or a gateway's strip left no user. */
export const DR_MISSES = ['no_group', 'no_rule', 'user_too_short'] as const;
export type DrMiss = (typeof DR_MISSES)[number];

export type DrLookup =
  | { ok: true; group: number; rule: DrRule; routes: DrRoute[] }
  | { ok: false; reason: DrMiss; group: number | undefined; rule: DrRule | undefined };

export type DrTableBuild = { ok: true; table: DrTable } | { ok: false; errors: string[] };

type RulesByGroup = Map<number, DrRule[]>;

interface RuleFields {
  readonly id: number;
  readonly groupid: string;
  readonly prefix: string;
  readonly timerec: string;
  readonly priority: number;
  readonly routeId: string;
  readonly gwlist: string;
  readonly description: string;
}

export class DrTable {
  private constructor(
    private readonly tree: PrefixTrie<RulesByGroup>,
    private readonly prefixless: RulesByGroup,
    private readonly callerGroups: ReadonlyMap<string, number>,
    readonly sortOrder: DrSortOrder,
    readonly useDomain: boolean,
    readonly defaultGroup: number | undefined,
    readonly gateways: ReadonlyMap<number, DrGateway>,
    /** Every loaded rule, in table order. */
    readonly rules: readonly DrRule[],
    /** Rows left out, with the row and the reason ("dr_rules row 4: rule 7 skipped: bad time definition ..."). */
    readonly skipped: readonly string[],
  ) {}

  static build(rows: DrRows, options: DrTableOptions = {}): DrTableBuild {
    return runAtOnce(DrTable.buildRows(rows, options));
  }

  /** build as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: DrRows, options: DrTableOptions = {}): SlicedWork<DrTableBuild> {
    const errors: string[] = [];
    const skipped: string[] = [];
    const origin = { gateways: 'dr_gateways', rules: 'dr_rules', gwLists: 'dr_gw_lists', groups: 'dr_groups', ...options.origins };
    function* each(list: readonly Row[], name: string, fn: (r: RowReader, row: Row, where: string) => void): SlicedWork<void> {
      for (let i = 0; i < list.length; i++) {
        const row = list[i] as Row;
        if (atCheckpoint(i)) yield;
        const where = `${name} row ${i + 1}`;
        try {
          fn(new RowReader(row, where), row, where);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }

    const gateways = new Map<number, DrGateway>();
    const gatewayIds = new Set<number>();
    yield* each(rows.gateways, origin.gateways, (_r, row, where) => {
      const parsed = parseDrGateway(row, where);
      const id = parsed.ok ? parsed.gateway.id : parsed.id;
      if (gatewayIds.has(id)) throw new Error(`${where}: gateway id ${id} is given twice`);
      gatewayIds.add(id);
      if (parsed.ok) gateways.set(id, parsed.gateway);
      else skipped.push(`${where}: gateway ${id} skipped: ${parsed.reason}`);
    });

    const lists = new Map<number, string>();
    yield* each(rows.gwLists ?? [], origin.gwLists, (r, _row, where) => {
      const id = r.int('id');
      if (lists.has(id)) throw new Error(`${where}: list id ${id} is given twice`);
      lists.set(id, r.str('gwlist'));
    });

    const useDomain = options.useDomain ?? true;
    const callerGroups = new Map<string, number>();
    yield* each(rows.groups ?? [], origin.groups, (r, _row, where) => {
      const user = r.str('username');
      const domain = r.str('domain', '').toLowerCase();
      const group = r.int('groupid', 0);
      if (group < 0) throw new Error(`${where}: groupid ${group} is negative`);
      const key = useDomain ? `${user}@${domain}` : user;
      const earlier = callerGroups.get(key);
      // Kamailio takes the first row the query returns: one group per user.
      if (earlier === undefined) callerGroups.set(key, group);
      else skipped.push(`${where}: caller ${key} skipped: already in group ${earlier}`);
    });

    const rules: DrRule[] = [];
    const ruleIds = new Set<number>();
    yield* each(rows.rules, origin.rules, (r, _row, where) => {
      const fields: RuleFields = {
        id: r.int('ruleid'),
        groupid: r.str('groupid'),
        prefix: r.str('prefix', ''),
        timerec: r.str('timerec', ''),
        priority: r.int('priority', 0),
        routeId: r.str('routeid', ''),
        gwlist: r.str('gwlist'),
        description: r.str('description', ''),
      };
      if (ruleIds.has(fields.id)) throw new Error(`${where}: rule id ${fields.id} is given twice`);
      ruleIds.add(fields.id);
      const rule = buildRule(fields, gateways, lists);
      if (typeof rule === 'string') skipped.push(`${where}: rule ${fields.id} skipped: ${rule}`);
      else rules.push(rule);
    });
    if (errors.length > 0) return { ok: false, errors };

    const tree = new PrefixTrie<RulesByGroup>();
    const prefixless: RulesByGroup = new Map();
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as DrRule;
      if (atCheckpoint(i)) yield;
      let byGroup = prefixless;
      if (rule.prefix !== '') {
        byGroup = tree.get(rule.prefix) ?? new Map();
        tree.set(rule.prefix, byGroup);
      }
      for (const group of rule.groups) {
        const list = byGroup.get(group);
        if (list) list.push(rule);
        else byGroup.set(group, [rule]);
      }
    }
    for (const byGroup of [prefixless, ...[...tree.entries()].map(([, v]) => v)]) {
      for (const list of byGroup.values()) list.sort(byPriority);
    }
    return { ok: true, table: new DrTable(tree, prefixless, callerGroups, options.sortOrder ?? 'in_order', useDomain, options.defaultGroup, gateways, rules, skipped) };
  }

  /** The caller's routing group: its dr_groups row, else the default group. */
  groupOf(callerUser: string, callerHost: string): number | undefined {
    const key = this.useDomain ? `${callerUser}@${callerHost.toLowerCase()}` : callerUser;
    return this.callerGroups.get(key) ?? this.defaultGroup;
  }

  /** The rule do_routing picks for `user` in `group` (step 2 of the module note). */
  match(user: string, group: number, wallNow: () => number): DrRule | undefined {
    let now: number | undefined;
    const inTime = (rule: DrRule): boolean => rule.timerec.start === undefined || timeRecMatches(rule.timerec, (now ??= wallNow()));
    const levels = this.walk(user) ?? [];
    for (let l = levels.length - 1; l >= 0; l--) {
      const rule = levels[l]?.get(group)?.find(inTime);
      if (rule) return rule;
    }
    return this.prefixless.get(group)?.find(inTime);
  }

  /** `do_routing` then `use_next_gw` until none is left: the gateways to try, in order, with their URIs. */
  lookup(request: DrRequest, env: DrEnvironment): DrLookup {
    const group = this.groupOf(request.callerUser, request.callerHost);
    if (group === undefined) return { ok: false, reason: 'no_group', group, rule: undefined };
    const rule = this.match(request.user, group, env.wallNow);
    if (!rule) return { ok: false, reason: 'no_rule', group, rule };
    const parts = requestUriParts(request.requestUri);
    const routes: DrRoute[] = [];
    for (const { gateway } of orderGwList(rule.gateways, this.sortOrder, env.random, (a, b) => a.gateway === b.gateway)) {
      const uri = drGatewayUri(gateway, request.user, parts);
      if (uri === undefined) return { ok: false, reason: 'user_too_short', group, rule };
      routes.push({ gateway, uri });
    }
    return { ok: true, group, rule, routes };
  }

  /** Rules of the prefixes met walking `user` down the trie, shortest first; undefined when a character outside 0-9*#+ is met. */
  private walk(user: string): RulesByGroup[] | undefined {
    const found: RulesByGroup[] = [];
    let node = this.tree.root;
    for (const ch of user) {
      if (!DR_PREFIX_CHARS.includes(ch)) return undefined;
      const child = node.children?.get(ch);
      if (!child) break;
      if (child.value) found.push(child.value);
      if (!child.children) break;
      node = child;
    }
    return found;
  }
}

function byPriority(a: DrRule, b: DrRule): number {
  return b.priority - a.priority || a.id - b.id;
}

/** The rule, or why Kamailio would skip it. */
function buildRule(f: RuleFields, gateways: ReadonlyMap<number, DrGateway>, lists: ReadonlyMap<number, string>): DrRule | string {
  const timerec = parseTimeRec(f.timerec);
  if (!timerec.ok) return `bad time definition <${f.timerec}>: ${timerec.error}`;
  const groups = parseGroupList(f.groupid);
  if (typeof groups === 'string') return groups;
  const bad = [...f.prefix].find((c) => !DR_PREFIX_CHARS.includes(c));
  if (bad !== undefined) return `prefix ${f.prefix} has "${bad}"; prefixes hold only 0-9, *, # and +`;
  let listText = f.gwlist;
  // A gwlist starting with '#' names one dr_gw_lists row as a whole (Kamailio allows nothing else with it).
  if (listText.trim().startsWith('#')) {
    const ref = listText.trim().slice(1);
    const named = /^\d+$/.test(ref) ? lists.get(Number(ref)) : undefined;
    if (named === undefined) return `invalid reference to a gateway list <${f.gwlist}>`;
    listText = named;
  }
  const parsed = parseGwList(listText);
  if (!parsed.ok) return parsed.error;
  const listed: DrListedGateway[] = [];
  for (const entry of parsed.entries) {
    const gateway = gateways.get(entry.gwid);
    if (!gateway) return `gateway ${entry.gwid} of gwlist <${listText}> is not loaded`;
    listed.push({ gateway, group: entry.group });
  }
  const routeId = f.routeId.trim() === '0' ? '' : f.routeId.trim();
  return {
    id: f.id,
    groups,
    prefix: f.prefix,
    timerec: timerec.rec,
    priority: f.priority,
    routeId,
    gwlist: f.gwlist,
    gateways: listed.slice(0, DR_MAX_GATEWAYS),
    description: f.description,
  };
}

/** dr_rules.groupid: group ids separated by `,` or `|`. */
function parseGroupList(text: string): number[] | string {
  const items = text.split(/[,|]/).map((s) => s.trim());
  if (items.length > 1 && items[items.length - 1] === '') items.pop();
  if (!items.every((s) => /^\d+$/.test(s))) return `bad group list <${text}>: groups are ids separated by , or |`;
  return [...new Set(items.map(Number))];
}
