/**
 * One loaded dispatcher list and everything that changes while it serves: destination states,
 * round-robin positions, weight tables, call loads and latency stats (Kamailio `ds_select_dst`,
 * `ds_next_dst` failover lists, `dispatcher.set_state`, `ds_is_from_list`). A reload builds a new
 * Dispatcher, as a Kamailio reload starts its sets afresh; nothing here is global.
 *
 * The design keeps each rule of the algorithms in a small pure unit (hash keys, weight tables,
 * latency ranking, failover order, source matching) and only the mutable state in this class.
 * Selection never throws: "no destination" is a result, and the caller answers 404.
 */
import type { DispatcherAlgorithm } from './algorithms.js';
import { isUsable, parseDispatcherList, type Destination, type DestinationStatus, type DispatcherSet } from './dispatcher-list.js';
import { answerPositions, failoverOrder, firstUsable, pickSpan, type AnswerShape } from './failover-list.js';
import { fnv1a, uriHashKey, type HashTemplate } from './hash-key.js';
import { isFromList, type FromListQuery, type FromListResult } from './is-from-list.js';
import { latencyRanking, rankingLatency, seededLatencyStats, updateLatencyStats, type LatencyStats } from './latency.js';
import { randomIndex, type RandomSource } from './random-source.js';
import { authUsername, type RequestFacts } from './request-facts.js';
import { buildRelativeWeightTable, buildWeightTable, WEIGHT_SLOTS } from './weight-table.js';

export interface DispatcherOptions {
  /** Source of randomness for the random algorithm and the weight-table shuffles; Math.random by default. */
  random?: RandomSource;
  /** Weight of the previous latency estimate in the moving average, strictly between 0 and 1 (Kamailio `ds_latency_estimator_alpha` / 1000); 0.9 by default. */
  latencyAlpha?: number;
  /** Forget a call counted by call-load whose end never came after this long (Kamailio ds_hash_expire); 2 h by default. */
  callLoadExpireMs?: number;
  /** Clock for call-load expiry; Date.now by default. */
  now?: () => number;
}

/** How one dispatcher rule selects (the arguments of Kamailio `ds_select_dst_limit` plus its module parameters). */
export interface SelectionConfig {
  algorithm: DispatcherAlgorithm;
  /** Return the other usable destinations as failover routes (Kamailio flags bit 2). Default true. */
  failover?: boolean;
  /** Most destinations returned, the selected one included; 0 or absent for no limit. */
  limit?: number;
  /** The last destination of the set is only the final fallback (Kamailio `use_default`). */
  useDefault?: boolean;
  /** Template hashed by the hash-pvar algorithm (Kamailio `hash_pvar`). */
  hashPvar?: HashTemplate;
  /** Hash only the user part of From/To/R-URI (Kamailio flags bit 1). */
  hashUserOnly?: boolean;
}

export const NoDestination = {
  unknownSet: 'unknown-set',
  noUsableDestination: 'no-usable-destination',
  /** The hash key is missing: an unparsable URI, or a hash_pvar template that renders empty. */
  noHashKey: 'no-hash-key',
} as const;
export type NoDestination = (typeof NoDestination)[keyof typeof NoDestination];

export type Selection = { ok: true; destinations: readonly Destination[] } | { ok: false; reason: NoDestination };

/** What `dispatcher.list` shows of one destination. */
export interface DestinationSnapshot {
  destination: Destination;
  status: DestinationStatus;
  /** Calls counted for its duid (call-load), undefined without a duid. */
  load: number | undefined;
  latency: LatencyStats | undefined;
}

interface SetRuntime {
  readonly set: DispatcherSet;
  readonly status: DestinationStatus[];
  readonly latency: (LatencyStats | undefined)[];
  /** Kamailio's `last`: the next round-robin position, also the rotation start of the latency algorithm. */
  next: number;
  weightTable: readonly number[];
  weightNext: number;
  relativeTable: readonly number[];
  relativeNext: number;
}

/** Where an algorithm points: a position to walk from to the next usable one, or a final choice. */
type Pick = { walkFrom: number; roundRobin?: boolean } | { chosen: number; countLoad: true } | { none: NoDestination };

export class Dispatcher {
  private readonly runtimes = new Map<number, SetRuntime>();
  /** Calls in progress by duid. Shared by every set that names the same duid: it is one trunk. */
  private readonly loads = new Map<string, number>();
  /** Calls counted by call-load, by Call-ID, oldest first (Kamailio's ds_hash): what their end takes back. */
  private readonly callLoads = new Map<string, { duid: string; atMs: number }>();
  private readonly callLoadExpireMs: number;
  private readonly now: () => number;
  private readonly random: RandomSource;
  private readonly latencyAlpha: number;

  static fromList(text: string, options: DispatcherOptions = {}): { ok: true; dispatcher: Dispatcher } | { ok: false; errors: string[] } {
    const parsed = parseDispatcherList(text);
    return parsed.ok ? { ok: true, dispatcher: new Dispatcher(parsed.sets, options) } : parsed;
  }

  constructor(
    readonly sets: ReadonlyMap<number, DispatcherSet>,
    options: DispatcherOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.callLoadExpireMs = options.callLoadExpireMs ?? 2 * 3600_000;
    this.now = options.now ?? Date.now;
    this.latencyAlpha = options.latencyAlpha ?? 0.9;
    if (!(this.latencyAlpha > 0 && this.latencyAlpha < 1)) throw new RangeError(`latencyAlpha ${this.latencyAlpha} is not between 0 and 1`);
    for (const set of sets.values()) {
      const runtime: SetRuntime = {
        set,
        status: set.destinations.map((d) => ({ ...d.initial })),
        latency: set.destinations.map((d) => (d.attrs.latencyMs === undefined ? undefined : seededLatencyStats(d.attrs.latencyMs))),
        next: 0,
        weightTable: buildWeightTable(
          set.destinations.map((d) => d.attrs.weight),
          this.random,
        ),
        weightNext: 0,
        relativeTable: new Array<number>(WEIGHT_SLOTS).fill(0),
        relativeNext: 0,
      };
      this.rebuildRelativeTable(runtime);
      this.runtimes.set(set.id, runtime);
    }
  }

  /** Kamailio `ds_select_dst_limit`: the destinations for one request, selected first, failover after. */
  select(setId: number, config: SelectionConfig, facts: RequestFacts): Selection {
    const rt = this.runtimes.get(setId);
    if (!rt || rt.set.destinations.length === 0) return { ok: false, reason: 'unknown-set' };
    const n = rt.set.destinations.length;
    const usable = (i: number): boolean => isUsable(statusAt(rt, i));
    const shape: AnswerShape = { failover: (config.failover ?? true) || config.algorithm === 'parallel', useDefault: config.useDefault ?? false };
    if (config.limit) shape.limit = config.limit;
    if (config.algorithm === 'latency') return this.selectByLatency(rt, shape, usable);

    const pick = this.pick(rt, config, facts, usable);
    if ('none' in pick) return { ok: false, reason: pick.none };
    const chosen = 'chosen' in pick ? pick.chosen : firstUsable(pick.walkFrom, n, usable, shape.useDefault);
    if (chosen === undefined) return { ok: false, reason: 'no-usable-destination' };
    if ('roundRobin' in pick && pick.roundRobin) rt.next = (chosen + 1) % n;
    const countLoad = 'countLoad' in pick;
    // With call-load, failover skips destinations at their maxload too (Kamailio does the same).
    const eligible = countLoad ? (i: number): boolean => usable(i) && this.belowMaxload(destinationAt(rt, i)) : usable;
    const positions = answerPositions(failoverOrder(chosen, n), n, eligible, shape);
    if (countLoad) this.countCall(facts.call_id, destinationAt(rt, chosen));
    return { ok: true, destinations: positions.map((i) => destinationAt(rt, i)) };
  }

  /**
   * Kamailio `dispatcher.set_state`: sets the state and probing flag of the destination with this URI
   * (case-insensitive, first match) or of every destination of the set for "all". False when the set
   * or the URI is unknown. The relative-weight table is rebuilt when a weighted destination starts or
   * stops taking calls. Unlike Kamailio, the no-ping and skip-DNS flags stay as the file set them.
   */
  setState(setId: number, uri: string, status: DestinationStatus): boolean {
    const rt = this.runtimes.get(setId);
    if (!rt) return false;
    const wanted = uri.toLowerCase();
    const positions = rt.set.destinations.flatMap((d, i) => (uri === 'all' || d.uri.toLowerCase() === wanted ? [i] : []));
    const targets = uri === 'all' ? positions : positions.slice(0, 1);
    if (targets.length === 0) return false;
    let reweigh = false;
    for (const i of targets) {
      if (destinationAt(rt, i).attrs.rweight > 0 && isUsable(statusAt(rt, i)) !== isUsable(status)) reweigh = true;
      rt.status[i] = { ...status };
    }
    if (reweigh) this.rebuildRelativeTable(rt);
    return true;
  }

  statusOf(setId: number, uri: string): DestinationStatus | undefined {
    const rt = this.runtimes.get(setId);
    const i = rt?.set.destinations.findIndex((d) => d.uri.toLowerCase() === uri.toLowerCase()) ?? -1;
    return rt && i !== -1 ? { ...statusAt(rt, i) } : undefined;
  }

  /** A call routed by call-load has ended (BYE, CANCEL; Kamailio `ds_load_update`). */
  callEnded(duid: string): void {
    this.removeLoad(duid);
  }

  /** A call routed by call-load failed before it was answered (3xx-6xx; Kamailio `ds_load_unset`). */
  callFailed(duid: string): void {
    this.removeLoad(duid);
  }

  /** The call with this Call-ID ended (BYE): its load goes back, if call-load counted it. */
  callEndedById(callId: string): boolean {
    return this.releaseCall(callId);
  }

  /** The call with this Call-ID failed before an answer (3xx-6xx, CANCEL): its load goes back. */
  callFailedById(callId: string): boolean {
    return this.releaseCall(callId);
  }

  /** Calls counted and not ended yet. */
  get countedCalls(): number {
    return this.callLoads.size;
  }

  loadOf(duid: string): number {
    return this.loads.get(duid) ?? 0;
  }

  /**
   * A keepalive round trip to the destination(s) with this URI (any set), for the latency
   * algorithm. Kamailio records it only for destinations flagged probing; here whoever probes
   * decides. Returns how many destinations were updated.
   */
  recordLatency(uri: string, ms: number): number {
    const wanted = uri.toLowerCase();
    let updated = 0;
    for (const rt of this.runtimes.values()) {
      rt.set.destinations.forEach((d, i) => {
        if (d.uri.toLowerCase() !== wanted) return;
        rt.latency[i] = updateLatencyStats(rt.latency[i], ms, this.latencyAlpha);
        updated++;
      });
    }
    return updated;
  }

  /** Kamailio `ds_is_from_list`; see is-from-list.ts for the matching rules. */
  isFromList(query: FromListQuery): FromListResult {
    const active = (d: Destination): boolean => {
      const rt = this.runtimes.get(d.setId);
      const i = rt?.set.destinations.indexOf(d) ?? -1;
      return rt !== undefined && i !== -1 && isUsable(statusAt(rt, i));
    };
    return isFromList(this.sets, active, query);
  }

  /** Every set in ascending id with the run-time view of each destination, for `dispatcher.list`. */
  snapshot(): { id: number; destinations: DestinationSnapshot[] }[] {
    return [...this.runtimes.values()].map((rt) => ({
      id: rt.set.id,
      destinations: rt.set.destinations.map((destination, i) => ({
        destination,
        status: { ...statusAt(rt, i) },
        load: destination.attrs.duid === undefined ? undefined : this.loadOf(destination.attrs.duid),
        latency: rt.latency[i] ? { ...rt.latency[i] } : undefined,
      })),
    }));
  }

  private pick(rt: SetRuntime, config: SelectionConfig, facts: RequestFacts, usable: (i: number) => boolean): Pick {
    const userOnly = config.hashUserOnly ?? false;
    switch (config.algorithm) {
      case 'hash-call-id':
        return { walkFrom: fnv1a(facts.call_id.trim()) };
      case 'hash-from':
        return hashOf(uriHashKey(facts.from.uri, userOnly));
      case 'hash-to':
        return hashOf(uriHashKey(facts.to.uri, userOnly));
      case 'hash-ruri':
        return hashOf(uriHashKey(facts.ruri, userOnly));
      case 'round-robin':
        return this.roundRobin(rt);
      case 'hash-auth-user': {
        const user = authUsername(facts);
        return user === undefined ? this.roundRobin(rt) : { walkFrom: fnv1a(user) };
      }
      case 'random':
        return { walkFrom: randomIndex(this.random, pickSpan(rt.set.destinations.length, config.useDefault ?? false)) };
      case 'hash-pvar': {
        const key = config.hashPvar?.render(facts).trim() ?? '';
        return key === '' ? { none: 'no-hash-key' } : { walkFrom: fnv1a(key) };
      }
      case 'weight': {
        const walkFrom = rt.weightTable[rt.weightNext] ?? 0;
        rt.weightNext = (rt.weightNext + 1) % WEIGHT_SLOTS;
        return { walkFrom };
      }
      case 'relative-weight': {
        const walkFrom = rt.relativeTable[rt.relativeNext] ?? 0;
        rt.relativeNext = (rt.relativeNext + 1) % WEIGHT_SLOTS;
        return { walkFrom };
      }
      case 'call-load': {
        // Only an INVITE starts a call. Anything else takes the first usable destination and is not
        // counted, as Kamailio falls back to its "first entry" for other methods.
        if (facts.method !== 'INVITE') return { walkFrom: 0 };
        const chosen = this.leastLoaded(rt, config.useDefault ?? false, usable);
        return chosen === undefined ? { none: 'no-usable-destination' } : { chosen, countLoad: true };
      }
      case 'priority':
      case 'parallel':
      case 'latency':
        return { walkFrom: 0 };
    }
  }

  private roundRobin(rt: SetRuntime): Pick {
    const walkFrom = rt.next;
    rt.next = (rt.next + 1) % rt.set.destinations.length;
    return { walkFrom, roundRobin: true };
  }

  /**
   * Least loaded usable destination below its maxload, lowest position on ties (Kamailio
   * `ds_get_leastloaded`). With use_default the default destination is only the fallback here too;
   * Kamailio counts it in and then takes a modulo that can route to another destination than the
   * one whose load it counted.
   */
  private leastLoaded(rt: SetRuntime, useDefault: boolean, usable: (i: number) => boolean): number | undefined {
    const n = rt.set.destinations.length;
    let best: number | undefined;
    let bestLoad = Infinity;
    for (let i = 0; i < pickSpan(n, useDefault); i++) {
      const d = destinationAt(rt, i);
      const load = d.attrs.duid === undefined ? 0 : this.loadOf(d.attrs.duid);
      if (usable(i) && this.belowMaxload(d) && load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    if (best === undefined && useDefault && n > 1 && usable(n - 1) && this.belowMaxload(destinationAt(rt, n - 1))) best = n - 1;
    return best;
  }

  /**
   * Latency-optimised (alg 13): rank usable destinations by adjusted priority, ties in rotation order
   * from Kamailio's `last`, take the first and move `last` past it. The ranking is the failover
   * order. With use_default the default destination stays out of the ranking (Kamailio's rotation
   * with use_default skips positions irregularly) and is the final fallback.
   */
  private selectByLatency(rt: SetRuntime, shape: AnswerShape, usable: (i: number) => boolean): Selection {
    const n = rt.set.destinations.length;
    const span = pickSpan(n, shape.useDefault);
    const candidates = rt.set.destinations.slice(0, span).map((d, i) => ({
      priority: d.priority,
      latencyMs: rankingLatency(rt.latency[i], d.attrs.congestionControl),
      usable: usable(i),
    }));
    let order = latencyRanking(candidates, rt.next % span);
    if (order.length === 0 && shape.useDefault && n > 1 && usable(n - 1)) order = [n - 1];
    const [chosen] = order;
    if (chosen === undefined) return { ok: false, reason: 'no-usable-destination' };
    rt.next = (chosen + 1) % n;
    return { ok: true, destinations: answerPositions(order, n, usable, shape).map((i) => destinationAt(rt, i)) };
  }

  private belowMaxload(d: Destination): boolean {
    if (d.attrs.maxload === 0 || d.attrs.duid === undefined) return true;
    return this.loadOf(d.attrs.duid) < d.attrs.maxload;
  }

  /**
   * One more call on the destination's duid, remembered by Call-ID so that its end takes it back.
   * A Call-ID asked about again (a re-ask after a failure) moves its load. Calls whose end never
   * came are forgotten after `callLoadExpireMs` (Kamailio ds_hash_expire, 2 h by default).
   */
  private countCall(callId: string, d: Destination): void {
    const now = this.now();
    for (const [id, c] of this.callLoads) {
      if (now - c.atMs < this.callLoadExpireMs) break;
      this.callLoads.delete(id);
      this.removeLoad(c.duid);
    }
    this.releaseCall(callId);
    this.addLoad(d);
    if (d.attrs.duid !== undefined) this.callLoads.set(callId, { duid: d.attrs.duid, atMs: now });
  }

  private releaseCall(callId: string): boolean {
    const c = this.callLoads.get(callId);
    if (!c) return false;
    this.callLoads.delete(callId);
    this.removeLoad(c.duid);
    return true;
  }

  /** Counted per duid; a destination without one is selected but not counted (Kamailio logs and does the same). */
  private addLoad(d: Destination): void {
    if (d.attrs.duid !== undefined) this.loads.set(d.attrs.duid, this.loadOf(d.attrs.duid) + 1);
  }

  private removeLoad(duid: string): void {
    const load = this.loadOf(duid);
    if (load > 1) this.loads.set(duid, load - 1);
    else this.loads.delete(duid);
  }

  private rebuildRelativeTable(rt: SetRuntime): void {
    const table = buildRelativeWeightTable(
      rt.set.destinations.map((d) => d.attrs.rweight),
      rt.status.map(isUsable),
      this.random,
    );
    if (table) rt.relativeTable = table;
  }
}

function hashOf(key: string | undefined): Pick {
  return key === undefined ? { none: 'no-hash-key' } : { walkFrom: fnv1a(key) };
}

function destinationAt(rt: SetRuntime, i: number): Destination {
  const d = rt.set.destinations[i];
  if (!d) throw new RangeError(`set ${rt.set.id} has no destination at ${i}`);
  return d;
}

function statusAt(rt: SetRuntime, i: number): DestinationStatus {
  const s = rt.status[i];
  if (!s) throw new RangeError(`set ${rt.set.id} has no destination at ${i}`);
  return s;
}
