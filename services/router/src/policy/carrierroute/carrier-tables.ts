/**
 * Kamailio's carrierroute data (book §8.8, TC-98): carriers (carrier_name), routing domains
 * (domain_name) and, per carrier and domain, two prefix tries built once when rows are loaded: one
 * of route rules (carrierroute) and one of failure rules (carrierfailureroute).
 *
 * The orders that decide results are kept as Kamailio's database loader leaves them, so a number
 * and a hash source reach the same host here as there:
 * - rules of one prefix are grouped by (flags, mask); groups are kept by mask, largest first,
 *   groups of equal mask in load order;
 * - in a group, rules with prob 0 come first in load order, the others follow in reverse load order
 *   (Kamailio inserts each one ahead of those already loaded): with the book's 50/50 rows for 137,
 *   the second row holds the lower half of the dice;
 * - a rule's share of the dice is prob x 1000, cut to an integer; the shares add up to the dice
 *   size, so probabilities are in effect normalised to their sum;
 * - failure rules of one prefix are kept by priority: a named host before none, fewer `.` wildcards
 *   in reply_code first, larger mask first; of equal ones, the later row first.
 * Rows are taken in id order when they have ids, the order of a table only ever inserted into,
 * which is what Kamailio's unordered SELECT returns then.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { PrefixTrie } from '../prefix/prefix-trie.js';

/** Characters matched (Kamailio match_mode): digits only (10, leading non-digits skipped), or ASCII (128). */
export const CR_MATCH_MODES = ['digits', 'ascii'] as const;
export type CrMatchMode = (typeof CR_MATCH_MODES)[number];

/** Kamailio's DICE_MAX: a rule of prob 1 covers 1000 faces of the dice. */
export const CR_DICE_FACES = 1000;

export interface CarrierRouteRows {
  readonly routes: readonly Row[];
  readonly carriers: readonly Row[];
  readonly domains: readonly Row[];
  /** carrierfailureroute rows; none when failure routing is not used. */
  readonly failureRoutes?: readonly Row[];
}

export interface CarrierRouteOptions {
  readonly matchMode?: CrMatchMode;
  /** Names the row sources in errors. */
  readonly origins?: { routes?: string; carriers?: string; domains?: string; failureRoutes?: string };
}

export interface CrRule {
  readonly id: number | undefined;
  readonly prefix: string;
  /** rewrite_host: host[:port][;params] of the new R-URI; '' blocklists the prefix. */
  readonly host: string;
  readonly strip: number;
  readonly rewritePrefix: string;
  readonly rewriteSuffix: string;
  readonly prob: number;
  /** The rule takes the dice values below this bound that the rules before it do not. */
  readonly diceTo: number;
  readonly description: string;
}

export interface CrRuleGroup {
  readonly flags: number;
  readonly mask: number;
  readonly rules: readonly CrRule[];
  /** Faces of the dice: the sum of the rules' shares; 0 when every rule has prob 0. */
  readonly diceMax: number;
}

export interface CrFailureRule {
  readonly id: number | undefined;
  readonly prefix: string;
  /** The failed host the rule is for ('' = any), compared with the rewrite_host that failed. */
  readonly host: string;
  /** Three characters, `.` matching any digit. */
  readonly replyCode: string;
  readonly flags: number;
  readonly mask: number;
  /** The domain to route in next; undefined (NULL) ends failure routing. */
  readonly nextDomain: number | undefined;
  readonly description: string;
}

/** The longest prefix of a number that has entries, and those entries. */
export interface CrPrefixMatch<T> {
  readonly prefix: string;
  readonly entries: readonly T[];
}

export class CrDomain {
  constructor(
    readonly id: number,
    readonly name: string,
    private readonly matchMode: CrMatchMode,
    readonly routes: PrefixTrie<CrRuleGroup[]>,
    readonly failures: PrefixTrie<CrFailureRule[]>,
  ) {}

  /** The rule groups of the longest scan_prefix of `user`; Kamailio never falls back to a shorter one. */
  routeGroups(user: string): CrPrefixMatch<CrRuleGroup> | undefined {
    return longest(this.routes, matchKey(user, this.matchMode));
  }

  /** The failure rules of the longest scan_prefix of `user`, by priority. */
  failureRules(user: string): CrPrefixMatch<CrFailureRule> | undefined {
    return longest(this.failures, matchKey(user, this.matchMode));
  }
}

export interface CrCarrier {
  readonly id: number;
  readonly name: string;
  /** Domains with route or failure rows for this carrier. */
  readonly domains: ReadonlyMap<number, CrDomain>;
}

export type CarrierRouteBuild = { ok: true; tables: CarrierRouteTables } | { ok: false; errors: string[] };

export class CarrierRouteTables {
  private constructor(
    readonly matchMode: CrMatchMode,
    private readonly carriers: ReadonlyMap<number, CrCarrier>,
    private readonly domainNames: ReadonlyMap<number, string>,
    readonly ruleCount: number,
    readonly failureRuleCount: number,
  ) {}

  /**
   * Reads the four tables. As in Kamailio, a route or failure row naming a carrier or domain that
   * carrier_name or domain_name do not list, a scan_prefix with characters the match mode cannot
   * hold, or a reply_code that is not three characters refuses the load, with the row it is in.
   * A negative prob or strip is refused too (Kamailio would load it and misroute).
   */
  static build(rows: CarrierRouteRows, options: CarrierRouteOptions = {}): CarrierRouteBuild {
    return runAtOnce(CarrierRouteTables.buildRows(rows, options));
  }

  /** build as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: CarrierRouteRows, options: CarrierRouteOptions = {}): SlicedWork<CarrierRouteBuild> {
    const matchMode = options.matchMode ?? 'digits';
    const origin = { routes: 'carrierroute', carriers: 'carrier_name', domains: 'domain_name', failureRoutes: 'carrierfailureroute', ...options.origins };
    const errors: string[] = [];
    function* each(list: readonly Row[], name: string, fn: (r: RowReader, where: string) => void): SlicedWork<void> {
      const ordered = yield* inIdOrder(list);
      for (let i = 0; i < ordered.length; i++) {
        const { row, n } = ordered[i] as NumberedRow;
        if (atCheckpoint(i)) yield;
        const where = `${name} row ${n}`;
        try {
          fn(new RowReader(row, where), where);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }

    const carrierNames = yield* names(rows.carriers, origin.carriers, 'carrier', errors);
    const domainNames = yield* names(rows.domains, origin.domains, 'domain', errors);
    const building = new Map<number, Map<number, DomainBuild>>([...carrierNames.keys()].map((id) => [id, new Map()]));
    const domainOf = (r: RowReader, where: string): DomainBuild => {
      const carrier = r.int('carrier');
      const domain = r.int('domain');
      const domains = building.get(carrier);
      if (!domains) throw new Error(`${where}: carrier ${carrier} is not in ${origin.carriers}`);
      if (!domainNames.has(domain)) throw new Error(`${where}: domain ${domain} is not in ${origin.domains}`);
      let d = domains.get(domain);
      if (!d) {
        d = { routes: new PrefixTrie(), failures: new PrefixTrie() };
        domains.set(domain, d);
      }
      return d;
    };

    let ruleCount = 0;
    yield* each(rows.routes, origin.routes, (r, where) => {
      const d = domainOf(r, where);
      const prefix = scanPrefix(r, matchMode, where);
      const prob = r.num('prob', 0);
      if (prob < 0) throw new Error(`${where}: prob ${prob} is negative`);
      const strip = r.int('strip', 0);
      if (strip < 0) throw new Error(`${where}: strip ${strip} is negative`);
      const rule: MutableRule = {
        id: optionalId(r),
        prefix,
        host: r.str('rewrite_host', ''),
        strip,
        rewritePrefix: r.str('rewrite_prefix', ''),
        rewriteSuffix: r.str('rewrite_suffix', ''),
        prob,
        diceTo: 0,
        description: r.str('description', ''),
      };
      addRule(d.routes, prefix, flagBits(r, 'flags', where), flagBits(r, 'mask', where), rule);
      ruleCount++;
    });

    let failureRuleCount = 0;
    yield* each(rows.failureRoutes ?? [], origin.failureRoutes, (r, where) => {
      const d = domainOf(r, where);
      const prefix = scanPrefix(r, matchMode, where);
      const replyCode = r.str('reply_code', '');
      if (!/^[0-9.]{3}$/.test(replyCode)) throw new Error(`${where}: reply_code "${replyCode}" is not three digits or "." wildcards`);
      const nextDomain = r.str('next_domain', '') === '' ? undefined : r.int('next_domain');
      const rule: CrFailureRule = {
        id: optionalId(r),
        prefix,
        host: r.str('host_name', ''),
        replyCode,
        flags: flagBits(r, 'flags', where),
        mask: flagBits(r, 'mask', where),
        nextDomain,
        description: r.str('description', ''),
      };
      const list = d.failures.get(prefix);
      if (list) list.splice(firstNotAbove(list, rule), 0, rule);
      else d.failures.set(prefix, [rule]);
      failureRuleCount++;
    });

    if (errors.length > 0) return { ok: false, errors };
    const carriers = new Map<number, CrCarrier>();
    let settled = 0;
    for (const [id, domains] of building) {
      const built = new Map<number, CrDomain>();
      for (const [domainId, d] of domains) {
        for (const [, groups] of d.routes.entries()) {
          groups.forEach(settleDice);
          if (atCheckpoint(settled++)) yield;
        }
        built.set(domainId, new CrDomain(domainId, domainNames.get(domainId) ?? String(domainId), matchMode, d.routes, d.failures));
      }
      carriers.set(id, { id, name: carrierNames.get(id) ?? String(id), domains: built });
    }
    return { ok: true, tables: new CarrierRouteTables(matchMode, carriers, domainNames, ruleCount, failureRuleCount) };
  }

  /** A carrier by id, or by name (a numeric string is an id, as in Kamailio's cr_route). */
  carrier(ref: string | number): CrCarrier | undefined {
    const id = typeof ref === 'number' ? ref : idOf(ref, this.carrierIdsByName());
    return id === undefined ? undefined : this.carriers.get(id);
  }

  /** A routing domain id by id or name; undefined when domain_name does not list it. */
  domainId(ref: string | number): number | undefined {
    if (typeof ref === 'number') return this.domainNames.has(ref) ? ref : undefined;
    const id = idOf(ref, invert(this.domainNames));
    return id !== undefined && this.domainNames.has(id) ? id : undefined;
  }

  domainName(id: number): string | undefined {
    return this.domainNames.get(id);
  }

  /** Every carrier, domain and prefix with its rules, in lookup order (Kamailio's `cr.dump_routes`). */
  dump(): CarrierDump[] {
    return [...this.carriers.values()].map((c) => ({
      carrier: c.id,
      name: c.name,
      domains: [...c.domains.values()].map((d) => ({
        domain: d.id,
        name: d.name,
        prefixes: [...d.routes.entries()].map(([prefix, groups]) => ({ prefix, groups })),
        failure_prefixes: [...d.failures.entries()].map(([prefix, rules]) => ({ prefix, rules })),
      })),
    }));
  }

  private carrierIdsByName(): Map<string, number> {
    return new Map([...this.carriers.values()].sort((a, b) => b.id - a.id).map((c) => [c.name, c.id]));
  }
}

export interface CarrierDump {
  carrier: number;
  name: string;
  domains: { domain: number; name: string; prefixes: { prefix: string; groups: CrRuleGroup[] }[]; failure_prefixes: { prefix: string; rules: CrFailureRule[] }[] }[];
}

interface DomainBuild {
  readonly routes: PrefixTrie<CrRuleGroup[]>;
  readonly failures: PrefixTrie<CrFailureRule[]>;
}

type MutableRule = { -readonly [K in keyof CrRule]: CrRule[K] };

/** The number as the trie is walked: in digit mode Kamailio skips leading non-digits (`+49…` is `49…`). */
function matchKey(user: string, mode: CrMatchMode): string {
  if (mode === 'ascii') return user;
  let i = 0;
  while (i < user.length && !isDigit(user.charCodeAt(i))) i++;
  return user.slice(i);
}

function longest<T>(trie: PrefixTrie<T[]>, key: string): CrPrefixMatch<T> | undefined {
  // The walk stops at a character no prefix has (a non-digit, a non-ASCII one): prefixes never hold one.
  const m = trie.longestPrefixOf(key);
  return m && { prefix: key.slice(0, m.length), entries: m.value };
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function scanPrefix(r: RowReader, mode: CrMatchMode, where: string): string {
  const prefix = r.str('scan_prefix', '');
  for (let i = 0; i < prefix.length; i++) {
    const code = prefix.charCodeAt(i);
    if (mode === 'digits' ? !isDigit(code) : code > 127) {
      throw new Error(`${where}: scan_prefix ${prefix} has "${prefix[i] ?? ''}", which match mode ${mode} cannot match`);
    }
  }
  return prefix;
}

/** flags and mask are Kamailio's unsigned 32-bit message flags; PostgreSQL INTEGER holds bit 31 as a negative number. */
function flagBits(r: RowReader, column: string, where: string): number {
  const v = r.int(column, 0);
  if (v < -0x80000000 || v > 0xffffffff) throw new Error(`${where}: ${column} ${v} is not a 32-bit value`);
  return v >>> 0;
}

function optionalId(r: RowReader): number | undefined {
  return r.str('id', '') === '' ? undefined : r.int('id');
}

interface NumberedRow {
  readonly row: Row;
  /** Its row number in the table, from 1. */
  readonly n: number;
  readonly id: number;
}

/** The rows numbered, in id order when every row has one, as sliced work. */
function* inIdOrder(rows: readonly Row[]): SlicedWork<NumberedRow[]> {
  const numbered: NumberedRow[] = [];
  let allIds = true;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as Row;
    if (atCheckpoint(i)) yield;
    const id = row['id'] === null || row['id'] === undefined || row['id'] === '' ? NaN : Number(row['id']);
    if (!Number.isFinite(id)) allIds = false;
    numbered.push({ row, n: i + 1, id });
  }
  if (!allIds) return numbered;
  // Rows usually come in id order; sorting 100,000 of them would hold the event loop.
  if (numbered.every((x, i) => i === 0 || (numbered[i - 1] as NumberedRow).id <= x.id)) return numbered;
  // Array.prototype.sort is stable: rows of equal id keep their order.
  return numbered.sort((a, b) => a.id - b.id);
}

function* names(rows: readonly Row[], origin: string, column: string, errors: string[]): SlicedWork<Map<number, string>> {
  const out = new Map<number, string>();
  const ordered = yield* inIdOrder(rows);
  for (let i = 0; i < ordered.length; i++) {
    const { row, n } = ordered[i] as NumberedRow;
    if (atCheckpoint(i)) yield;
    const where = `${origin} row ${n}`;
    try {
      const r = new RowReader(row, where);
      const id = r.int('id');
      const name = r.str(column, '');
      if (name === '') throw new Error(`${where}: ${column} name is empty`);
      if (out.has(id)) throw new Error(`${where}: id ${id} is given twice`);
      out.set(id, name);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return out;
}

function addRule(trie: PrefixTrie<CrRuleGroup[]>, prefix: string, flags: number, mask: number, rule: MutableRule): void {
  let groups = trie.get(prefix);
  if (!groups) {
    groups = [];
    trie.set(prefix, groups);
  }
  let group = groups.find((g) => g.flags === flags && g.mask === mask);
  if (!group) {
    group = { flags, mask, rules: [], diceMax: 0 };
    const at = groups.findIndex((g) => g.mask < mask);
    groups.splice(at === -1 ? groups.length : at, 0, group);
  }
  const rules = group.rules as MutableRule[];
  // After the leading prob-0 rules, ahead of the other rules loaded so far.
  const at = rules.findIndex((x) => x.prob !== 0);
  rules.splice(at === -1 ? rules.length : at, 0, rule);
}

function settleDice(group: CrRuleGroup): void {
  let to = 0;
  for (const rule of group.rules as MutableRule[]) {
    to += diceShare(rule.prob);
    rule.diceTo = to;
  }
  (group as { diceMax: number }).diceMax = to;
}

/**
 * prob x 1000 cut to an integer, as Kamailio stores it. The epsilon keeps decimal values whole
 * (0.7 x 1000 in binary is 699.99…); Kamailio reading a PostgreSQL REAL as float cuts some to 699.
 */
function diceShare(prob: number): number {
  return Math.floor(prob * CR_DICE_FACES + 1e-6);
}

/** Priority order of failure rules: where a new rule goes, ahead of the first that is not above it. */
function firstNotAbove(list: readonly CrFailureRule[], rule: CrFailureRule): number {
  const at = list.findIndex((other) => failurePriority(rule, other) <= 0);
  return at === -1 ? list.length : at;
}

/** Negative when `a` is tried before `b`. */
function failurePriority(a: CrFailureRule, b: CrFailureRule): number {
  if ((a.host === '') !== (b.host === '')) return a.host === '' ? 1 : -1;
  const wildcards = (s: string): number => [...s].filter((c) => c === '.').length;
  return wildcards(a.replyCode) - wildcards(b.replyCode) || b.mask - a.mask;
}

function idOf(ref: string, byName: ReadonlyMap<string, number>): number | undefined {
  if (/^[+-]?\d+$/.test(ref.trim())) return Number(ref.trim());
  return byName.get(ref);
}

/** name → lowest id of that name (the first Kamailio's name search finds in its id-sorted map). */
function invert(m: ReadonlyMap<number, string>): Map<string, number> {
  return new Map([...m].sort((a, b) => b[0] - a[0]).map(([id, name]) => [name, id]));
}
