/**
 * Kamailio's least-cost routing (`load_gws` + `next_gw`, book §8.3, TC-89..91) over the tables
 * lcr_gw, lcr_rule and lcr_rule_target of one lcr instance.
 *
 * Rules are indexed by prefix in a trie at load, so a lookup walks the user once, collects the
 * rules whose prefix it starts with, and checks only those (Kamailio hashes rules per prefix length
 * instead; the result is the same). Selection, as `load_gws` does it:
 *  1. rules from the longest prefix to the shortest; a rule matches when its from_uri pattern
 *     matches the caller URI, its request_uri pattern the whole Request-URI, and its mt_tvalue is
 *     among the caller tree's values for the caller's user; a matching stopper rule ends the search
 *     (its own targets count);
 *  2. every target of every matching rule whose gateway is not defunct;
 *  3. ordered by rule prefix length (longest first), then priority (lower first), then
 *     weight x random (higher first): weights 1 and 2 put the weight-1 gateway first in 1/4 of the
 *     cases, not 1/3, as Kamailio's `weight * rand` does; `priorityOrdering` drops the first key;
 *  4. a gateway reached through several rules keeps its best place.
 */
import type { RandomSource } from '../dispatcher/random-source.js';
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { lcrGatewayUris, parseLcrGateway, type LcrGateway } from './lcr-gateway.js';
import type { MTree } from './mtree.js';
import { PrefixTrie } from './prefix-trie.js';

/** A route answer carries at most 64 routes (contract route-answer.json). */
export const LCR_MAX_GATEWAYS = 64;

export interface LcrRows {
  readonly gateways: readonly Row[];
  readonly rules: readonly Row[];
  readonly targets: readonly Row[];
}

export interface LcrTableOptions {
  /** The lcr instance (rows of other instances are ignored; gateways with lcr_id 0 serve every instance). */
  readonly lcrId: number;
  /** Tree the caller's user is matched in (mode all) for rules with an mt_tvalue (Kamailio's `mtree` param, tree "lcr"). */
  readonly callerTree?: MTree;
  /** Order by priority first, ignoring prefix length (Kamailio `priority_ordering=1`). */
  readonly priorityOrdering?: boolean;
  /** Names the row sources in errors. */
  readonly origins?: { gateways?: string; rules?: string; targets?: string };
}

export interface LcrRequest {
  /** The user rules match and gateways rewrite (Kamailio: the R-URI user). */
  readonly user: string;
  /** Matched by from_uri patterns (`load_gws` caller_uri); '' when there is none. */
  readonly callerUri: string;
  /** User part of the caller URI, matched in the caller tree for mt_tvalue rules. */
  readonly callerUser?: string;
  /** The whole Request-URI, scheme included, matched by request_uri patterns. */
  readonly requestUri: string;
}

export interface LcrEnvironment {
  readonly random: RandomSource;
  /** Current UNIX time in seconds, compared with the gateways' defunct column. */
  readonly nowSec: number;
}

/** One gateway to try, in order: the URIs for it and what brought it in. */
export interface LcrChoice {
  readonly gateway: LcrGateway;
  /** The rule whose target brought the gateway in (Kamailio's rule_id_avp). */
  readonly ruleId: number;
  readonly ruri: string;
  readonly dstUri: string | undefined;
}

interface LcrTarget {
  readonly gateway: LcrGateway;
  readonly priority: number;
  readonly weight: number;
}

interface LcrRule {
  readonly id: number;
  readonly fromUri: RegExp | undefined;
  readonly requestUri: RegExp | undefined;
  readonly mtTvalue: string | undefined;
  readonly stopper: boolean;
  readonly targets: LcrTarget[];
}

interface Candidate {
  readonly target: LcrTarget;
  readonly ruleId: number;
  readonly prefixLength: number;
  readonly randomWeight: number;
}

/** A rule as `lcr.dump_rules` shows it. */
export interface LcrRuleDump {
  readonly lcr_id: number;
  readonly id: number;
  readonly prefix: string;
  readonly from_uri: string;
  readonly request_uri: string;
  readonly mt_tvalue: string;
  readonly stopper: 0 | 1;
  readonly targets: readonly { gw_id: number; gw_name: string; priority: number; weight: number }[];
}

export type LcrTableBuild = { ok: true; table: LcrTable } | { ok: false; errors: string[] };

export class LcrTable {
  private constructor(
    readonly lcrId: number,
    /** Rules of one prefix, in rule id order. */
    private readonly rules: PrefixTrie<LcrRule[]>,
    readonly gateways: ReadonlyMap<number, LcrGateway>,
    private readonly callerTree: MTree | undefined,
    private readonly priorityOrdering: boolean,
    readonly ruleCount: number,
  ) {}

  /**
   * Reads the three tables as Kamailio's reload does: disabled rules and gateways defunct "forever"
   * stay out, targets naming a rule or gateway that is not loaded are skipped; a wrong value
   * (an unknown transport, a pattern that does not compile, a weight outside 1-254…) refuses the
   * load with the row it is in.
   */
  static build(rows: LcrRows, options: LcrTableOptions): LcrTableBuild {
    return runAtOnce(LcrTable.buildRows(rows, options));
  }

  /** build as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: LcrRows, options: LcrTableOptions): SlicedWork<LcrTableBuild> {
    const errors: string[] = [];
    const origin = { gateways: 'lcr_gw', rules: 'lcr_rule', targets: 'lcr_rule_target', ...options.origins };
    const mine = (r: RowReader): boolean => r.int('lcr_id', options.lcrId) === options.lcrId;
    function* each(list: readonly Row[], name: string, fn: (r: RowReader, row: Row, where: string) => void): SlicedWork<void> {
      for (let i = 0; i < list.length; i++) {
        const row = list[i] as Row;
        const where = `${name} row ${i + 1}`;
        try {
          fn(new RowReader(row, where), row, where);
        } catch (e) {
          errors.push((e as Error).message);
        }
        if (atCheckpoint(i)) yield;
      }
    }

    const gateways = new Map<number, LcrGateway>();
    yield* each(rows.gateways, origin.gateways, (r, row, where) => {
      const lcrId = r.int('lcr_id', options.lcrId);
      if (lcrId !== options.lcrId && lcrId !== 0) return;
      const gw = parseLcrGateway(row, where);
      if (!gw) return;
      if (gateways.has(gw.id)) throw new Error(`${where}: gateway id ${gw.id} is given twice`);
      gateways.set(gw.id, gw);
    });

    const byId = new Map<number, LcrRule & { prefix: string }>();
    yield* each(rows.rules, origin.rules, (r, _row, where) => {
      if (!mine(r)) return;
      const id = r.int('id');
      const enabled = zeroOrOne(r, 'enabled', 1, where);
      const stopper = zeroOrOne(r, 'stopper', 0, where);
      if (!enabled) return;
      if (byId.has(id)) throw new Error(`${where}: rule id ${id} is given twice`);
      const mtTvalue = optional(r, 'mt_tvalue');
      if (mtTvalue !== undefined && !options.callerTree) throw new Error(`${where}: mt_tvalue ${mtTvalue} needs a caller tree (setting caller_tree)`);
      byId.set(id, {
        id,
        prefix: r.str('prefix', ''),
        fromUri: pattern(optional(r, 'from_uri'), 'from_uri', where),
        requestUri: pattern(optional(r, 'request_uri'), 'request_uri', where),
        mtTvalue,
        stopper,
        targets: [],
      });
    });

    yield* each(rows.targets, origin.targets, (r, _row, where) => {
      if (!mine(r)) return;
      const priority = r.int('priority');
      if (priority < 0 || priority > 255) throw new Error(`${where}: priority ${priority} is not 0-255`);
      const weight = r.int('weight', 1);
      if (weight < 1 || weight > 254) throw new Error(`${where}: weight ${weight} is not 1-254`);
      const rule = byId.get(r.int('rule_id'));
      const gateway = gateways.get(r.int('gw_id'));
      // Kamailio skips targets of rules or gateways it did not load (disabled, defunct, other instance).
      if (rule && gateway) rule.targets.push({ gateway, priority, weight });
    });

    if (errors.length > 0) return { ok: false, errors };
    const trie = new PrefixTrie<LcrRule[]>();
    const ordered = [...byId.values()];
    // Rows usually come in id order; sorting 100,000 of them would hold the event loop.
    if (!ordered.every((r, i) => i === 0 || (ordered[i - 1] as LcrRule).id < r.id)) ordered.sort((a, b) => a.id - b.id);
    for (let i = 0; i < ordered.length; i++) {
      const rule = ordered[i] as LcrRule & { prefix: string };
      const list = trie.get(rule.prefix);
      if (list) list.push(rule);
      else trie.set(rule.prefix, [rule]);
      if (atCheckpoint(i)) yield;
    }
    return { ok: true, table: new LcrTable(options.lcrId, trie, gateways, options.callerTree, options.priorityOrdering ?? false, byId.size) };
  }

  /**
   * The enabled rules, by prefix then id, with their targets (Kamailio `lcr.dump_rules`); `prefix`
   * keeps the rules whose prefix starts with it.
   */
  dumpRules(prefix = ''): LcrRuleDump[] {
    const out: LcrRuleDump[] = [];
    for (const [rulePrefix, rules] of this.rules.entries()) {
      if (!rulePrefix.startsWith(prefix)) continue;
      for (const r of rules) {
        out.push({
          lcr_id: this.lcrId,
          id: r.id,
          prefix: rulePrefix,
          from_uri: r.fromUri?.source ?? '',
          request_uri: r.requestUri?.source ?? '',
          mt_tvalue: r.mtTvalue ?? '',
          stopper: r.stopper ? 1 : 0,
          targets: r.targets.map((t) => ({ gw_id: t.gateway.id, gw_name: t.gateway.name, priority: t.priority, weight: t.weight })),
        });
      }
    }
    return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.id - b.id));
  }

  /** `load_gws` then `next_gw` until none is left: the gateways to try, in order, with their URIs. */
  lookup(request: LcrRequest, env: LcrEnvironment): LcrChoice[] {
    const candidates: Candidate[] = [];
    let callerValues: readonly string[] | undefined;
    const callerMatches = (value: string): boolean => {
      callerValues ??= this.callerTree?.match(request.callerUser ?? '', 'all')?.values ?? [];
      return callerValues.includes(value);
    };
    const levels = this.rules.prefixesOf(request.user);
    search: for (let l = levels.length - 1; l >= 0; l--) {
      const { length: prefixLength, value: rules } = levels[l] as (typeof levels)[number]; // l is in range
      for (const rule of rules) {
        if (rule.fromUri && !rule.fromUri.test(request.callerUri)) continue;
        // Kamailio checks mt_tvalue only when load_gws was given a caller URI.
        if (rule.mtTvalue !== undefined && request.callerUri !== '' && !callerMatches(rule.mtTvalue)) continue;
        if (rule.requestUri && !rule.requestUri.test(request.requestUri)) continue;
        for (const target of rule.targets) {
          if (target.gateway.defunctUntil > env.nowSec) continue;
          candidates.push({ target, ruleId: rule.id, prefixLength, randomWeight: target.weight * env.random() });
        }
        if (rule.stopper) break search;
      }
    }
    candidates.sort(this.priorityOrdering ? byPriority : byPrefixThenPriority);
    const seen = new Set<number>();
    const choices: LcrChoice[] = [];
    for (const c of candidates) {
      const gw = c.target.gateway;
      if (seen.has(gw.id)) continue;
      seen.add(gw.id);
      const uris = lcrGatewayUris(gw, request.user);
      if (!uris) continue;
      choices.push({ gateway: gw, ruleId: c.ruleId, ruri: uris.ruri, dstUri: uris.dstUri });
      if (choices.length === LCR_MAX_GATEWAYS) break;
    }
    return choices;
  }
}

function byPriority(a: Candidate, b: Candidate): number {
  return a.target.priority - b.target.priority || b.randomWeight - a.randomWeight;
}

function byPrefixThenPriority(a: Candidate, b: Candidate): number {
  return b.prefixLength - a.prefixLength || byPriority(a, b);
}

function zeroOrOne(r: RowReader, column: string, fallback: number, where: string): boolean {
  const v = r.int(column, fallback);
  if (v !== 0 && v !== 1) throw new Error(`${where}: ${column} ${v} is neither 0 nor 1`);
  return v === 1;
}

/** Kamailio compiles these as PCRE; JavaScript patterns share the syntax rules use (classes, anchors, alternation). */
function pattern(source: string | undefined, column: string, where: string): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`${where}: ${column} ${source} does not compile: ${(e as Error).message}`, { cause: e });
  }
}

function optional(r: RowReader, column: string): string | undefined {
  const v = r.str(column, '');
  return v === '' ? undefined : v;
}
