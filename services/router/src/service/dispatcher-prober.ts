/**
 * Keepalive probing of dispatcher destinations (Kamailio `ds_ping_interval` and friends). Every
 * interval the router asks an edge (any edge, through the queue group) to send an OPTIONS to each
 * destination the probing mode selects, feeds the result into the destination's state (probe-state.ts)
 * and its latency stats, and publishes a `dispatcher.state` event when a destination stops taking
 * calls (inactive) or takes them again (Kamailio's dispatcher:dst-down / dst-up). One probe per destination is in flight at a time.
 *
 * Where it differs from Kamailio: when no edge answers the probe request itself (none running,
 * bus down) nothing about the destination is known, so its state is left alone and the failure is
 * counted and logged; Kamailio marks the destination trying when it cannot send the keepalive.
 */
import { CONTRACT_VERSION, JsonRpcErrorCode, subjects, type ContractValidators, type DispatcherStateEvent, type OptionsProbeResult } from '@sipmesh/contracts';
import type { Bus, Logger } from '@sipmesh/runtime';
import { isUsable, type Destination, type DestinationStatus } from '../policy/dispatcher/dispatcher-list.js';
import type { Dispatcher } from '../policy/dispatcher/dispatcher.js';
import { countsAsUp, nextStatus, shouldProbe, type ProbeRules, type ProbeStreak } from '../policy/dispatcher/probe-state.js';

export interface ProbeConfig {
  /** 0 = no probing. */
  readonly intervalMs: number;
  readonly rules: ProbeRules;
  /** Default From URI of the keepalives (Kamailio `ds_ping_from`); a destination's `ping_from` wins. */
  readonly from: string;
  readonly timeoutMs: number;
}

export interface ProberCounters {
  probe(outcome: 'up' | 'down' | 'unavailable'): void;
  transition(direction: 'up' | 'down'): void;
}

export class DispatcherProber {
  private dispatcher: Dispatcher | undefined;
  private config: ProbeConfig | undefined;
  private timer: NodeJS.Timeout | undefined;
  private streaks = new Map<string, ProbeStreak>();
  private readonly inFlight = new Set<string>();
  private lastUnavailableLog = 0;
  private seq = 0;

  constructor(
    private readonly bus: Bus,
    private readonly routerId: string,
    private readonly validators: ContractValidators,
    private readonly counters: ProberCounters,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Probes this dispatcher from now on (a reload hands over the new one); undefined config stops probing. */
  use(dispatcher: Dispatcher, config: ProbeConfig | undefined): void {
    this.stop();
    this.dispatcher = dispatcher;
    this.config = config;
    this.streaks = new Map();
    if (config && config.intervalMs > 0) {
      // The first round comes one interval after a load, as Kamailio's ping timer does (and after
      // an embedded edge has started).
      this.timer = setInterval(() => void this.probeAll(), config.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round over every set; resolves when each probe of the round has its result. */
  async probeAll(): Promise<void> {
    const dispatcher = this.dispatcher;
    const config = this.config;
    if (!dispatcher || !config) return;
    const rounds: Promise<void>[] = [];
    for (const set of dispatcher.sets.values()) {
      for (const d of set.destinations) {
        const status = dispatcher.statusOf(set.id, d.uri);
        if (!status || !shouldProbe(status, d.noPing, config.rules.mode)) continue;
        const key = `${set.id} ${d.uri}`;
        if (this.inFlight.has(key)) continue;
        this.inFlight.add(key);
        rounds.push(this.probeOne(dispatcher, config, d, key).finally(() => this.inFlight.delete(key)));
      }
    }
    await Promise.all(rounds);
  }

  private async probeOne(dispatcher: Dispatcher, config: ProbeConfig, d: Destination, key: string): Promise<void> {
    const result = await this.ask(config, d);
    // A reload may have replaced the dispatcher while the probe was out.
    if (result === undefined || dispatcher !== this.dispatcher) return;
    const up = countsAsUp(result.status, result.local, config.rules.upCodes);
    this.counters.probe(up ? 'up' : 'down');
    if (!result.local) dispatcher.recordLatency(d.uri, result.rtt_ms);
    const before = dispatcher.statusOf(d.setId, d.uri);
    if (!before) return;
    let streak = this.streaks.get(key);
    if (!streak) {
      streak = { failures: 0, successes: 0 };
      this.streaks.set(key, streak);
    }
    const after = nextStatus(before, up, streak, config.rules);
    if (after.state === before.state && after.probing === before.probing) return;
    dispatcher.setState(d.setId, d.uri, after);
    // Kamailio's dst-down/dst-up: only when the destination stops or starts taking calls (trying still takes them).
    if (isUsable(after) !== isUsable(before)) this.announce(d, before, after, result);
  }

  /**
   * `dispatcher.set_state` on this router, announced to the others (cause admin) so that every
   * router of the queue group serves the state the operator set, not only the one that took the
   * command. Each destination whose state or probing flag changed is announced. False when the set
   * or the URI is unknown, as Dispatcher.setState.
   */
  setStateByAdmin(setId: number, uri: string, status: DestinationStatus): boolean {
    const dispatcher = this.dispatcher;
    if (!dispatcher) return false;
    const set = dispatcher.sets.get(setId);
    const wanted = uri.toLowerCase();
    const targets = set ? (uri === 'all' ? set.destinations : set.destinations.filter((d) => d.uri.toLowerCase() === wanted).slice(0, 1)) : [];
    const before = targets.map((d) => dispatcher.statusOf(setId, d.uri));
    if (!dispatcher.setState(setId, uri, status)) return false;
    targets.forEach((d, i) => {
      const was = before[i];
      this.streaks.delete(`${setId} ${d.uri}`);
      if (!was || (was.state === status.state && was.probing === status.probing)) return;
      this.publish({ ...this.eventHead(), set: setId, uri: d.uri, cause: 'admin', state: status.state, previous: was.state, probing: status.probing, direction: isUsable(status) ? 'up' : 'down' });
      this.logger.info({ set: setId, uri: d.uri, state: status.state, previous: was.state }, 'dispatcher destination state set by an operator');
    });
    return true;
  }

  /** The probe result, or undefined when no edge could be asked. */
  private async ask(config: ProbeConfig, d: Destination): Promise<OptionsProbeResult | undefined> {
    const id = `${this.routerId}.probe.${(++this.seq).toString(36)}`;
    const params = { uri: d.uri, from: d.attrs.pingFrom ?? config.from, timeout_ms: config.timeoutMs };
    try {
      const reply = await this.bus.request(subjects.anyEdgeRpc('options'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'options', params })), { timeoutMs: config.timeoutMs + 2000 });
      const v = this.validators.optionsProbeResponse(reply.json<unknown>());
      if (!v.ok) throw new Error(`edge answered the probe with an invalid message: ${v.errors.join('; ')}`);
      if (v.value.error) {
        // The edge could not send it at all (bad URI, transport it does not serve): the destination is unreachable from here.
        if (v.value.error.code === JsonRpcErrorCode.edgeActionFailed) return { status: 503, reason: v.value.error.message, local: true, rtt_ms: 0, edge: '' };
        throw new Error(`edge refused the probe: ${v.value.error.message}`);
      }
      return v.value.result;
    } catch (e) {
      this.counters.probe('unavailable');
      const t = this.now();
      if (t - this.lastUnavailableLog > 10_000) {
        this.lastUnavailableLog = t;
        this.logger.warn({ err: e, uri: d.uri }, 'dispatcher probe could not reach an edge; destination states left as they are');
      }
      return undefined;
    }
  }

  private announce(d: Destination, before: DestinationStatus, after: DestinationStatus, result: OptionsProbeResult): void {
    const direction = isUsable(after) ? 'up' : 'down';
    this.counters.transition(direction);
    const level = direction === 'up' ? 'info' : 'warn';
    this.logger[level]({ set: d.setId, uri: d.uri, state: after.state, previous: before.state, status: result.status, reason: result.reason }, `dispatcher destination ${direction === 'up' ? 'up' : 'down'}`);
    this.publish({
      ...this.eventHead(),
      cause: 'keepalive',
      set: d.setId,
      uri: d.uri,
      state: after.state,
      previous: before.state,
      probing: after.probing,
      direction,
      status: result.status,
      reason: result.reason,
      local: result.local,
    });
  }

  private eventHead(): Pick<DispatcherStateEvent, 'event_id' | 'type' | 'version' | 'time' | 'router'> {
    return {
      event_id: `${this.routerId}.ds.${this.now().toString(36)}.${(++this.seq).toString(36)}`,
      type: 'dispatcher.state',
      version: CONTRACT_VERSION,
      time: new Date(this.now()).toISOString(),
      router: this.routerId,
    };
  }

  private publish(event: DispatcherStateEvent): void {
    this.bus.publishEvent(subjects.events.dispatcherState, Buffer.from(JSON.stringify(event)), { msgId: event.event_id }).catch((e: unknown) => {
      this.logger.warn({ err: e }, 'dispatcher state event not stored');
    });
  }
}
