/**
 * The rtpengine instances: named sets with weights, health by periodic ng `ping`, the pick of
 * an instance for a new call, and the operator's disable/enable.
 *
 * Selection is smooth weighted round robin (nginx's upstream algorithm), not weighted random:
 * it is deterministic (a test, or an operator reading the session counts, sees exactly the
 * configured shares), it interleaves (weights 2:1 give a a b a a b, never a burst of one
 * instance), and it needs no random source. Each set keeps its own running weights, so an
 * instance in two sets is shared fairly in each. Only instances that are up, enabled and of
 * weight > 0 take new calls; the rest of the healthy ones follow the pick as failover order.
 * Health is one state machine per instance (health.ts), fed by pings and by commands that
 * time out, so a dead instance is noticed by the first call that hits it too.
 */
import { HealthInput, HealthState, INITIAL_HEALTH, nextHealth, type HealthCounters, type HealthThresholds } from './health.js';
import type { RtpengineMember } from './config/media-config.js';
import type { NgInstance } from './ng/ng-messages.js';
import type { NgRequestOptions } from './ng/ng-client.js';

export interface InstanceSnapshot {
  readonly instance: string;
  readonly url: string;
  readonly sets: readonly { readonly set: string; readonly weight: number }[];
  /** `disabled` when an operator disabled it, else its health. */
  readonly state: 'up' | 'down' | 'unknown' | 'disabled';
  readonly health: HealthState;
  readonly enabled: boolean;
  readonly failures: number;
  readonly lastRttMs: number | undefined;
  readonly lastError: string | undefined;
  /** ISO time of the last health state change. */
  readonly since: string | undefined;
}

export interface HealthChange {
  readonly instance: RtpengineInstance;
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string | undefined;
}

export interface InstancePoolOptions {
  readonly sets: ReadonlyMap<string, readonly RtpengineMember[]>;
  readonly ping: (instance: NgInstance, options: NgRequestOptions) => Promise<unknown>;
  readonly health: HealthThresholds & { readonly pingIntervalMs: number; readonly pingTimeoutMs: number };
  readonly onHealthChange?: (change: HealthChange) => void;
  readonly now?: () => number;
}

export class RtpengineInstance implements NgInstance {
  health: HealthCounters = INITIAL_HEALTH;
  enabled = true;
  lastRttMs: number | undefined;
  lastError: string | undefined;
  sinceMs: number | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    /** `host:port`: its identity in affinity, admin and metrics. */
    readonly key: string,
  ) {}

  get up(): boolean {
    return this.health.state === HealthState.up;
  }

  get state(): InstanceSnapshot['state'] {
    return this.enabled ? this.health.state : 'disabled';
  }
}

interface SetMember {
  readonly instance: RtpengineInstance;
  readonly weight: number;
  /** Smooth weighted round robin's running weight. */
  current: number;
}

export interface PingRound {
  readonly up: number;
  readonly down: number;
}

export class InstancePool {
  private readonly byKey = new Map<string, RtpengineInstance>();
  private readonly members = new Map<string, SetMember[]>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<PingRound> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: InstancePoolOptions) {
    this.now = options.now ?? Date.now;
    for (const [set, list] of options.sets) {
      const members: SetMember[] = [];
      for (const m of list) {
        let instance = this.byKey.get(m.key);
        if (instance === undefined) {
          instance = new RtpengineInstance(m.host, m.port, m.key);
          this.byKey.set(m.key, instance);
        }
        members.push({ instance, weight: m.weight, current: 0 });
      }
      this.members.set(set, members);
    }
  }

  get(key: string): RtpengineInstance | undefined {
    return this.byKey.get(key);
  }

  all(): RtpengineInstance[] {
    return [...this.byKey.values()];
  }

  hasSet(set: string): boolean {
    return this.members.has(set);
  }

  setNames(): string[] {
    return [...this.members.keys()];
  }

  /** The sets an instance belongs to, in configured order. */
  setsOf(key: string): string[] {
    return [...this.members].filter(([, ms]) => ms.some((m) => m.instance.key === key)).map(([set]) => set);
  }

  /**
   * Instances of `set` to try for a new call, in order: the weighted pick first, then the other
   * eligible ones by weight. Empty when none is up, enabled and weighted.
   */
  candidates(set: string): RtpengineInstance[] {
    const eligible = this.eligibleMembers(set);
    if (eligible.length === 0) return [];
    let total = 0;
    let best: SetMember | undefined;
    for (const m of eligible) {
      m.current += m.weight;
      total += m.weight;
      if (best === undefined || m.current > best.current) best = m;
    }
    const picked = best as SetMember;
    picked.current -= total;
    const rest = eligible.filter((m) => m !== picked).sort((a, b) => b.weight - a.weight);
    return [picked.instance, ...rest.map((m) => m.instance)];
  }

  /** Whether `set` has an instance for a new call now (up, enabled, weight > 0); changes no rotation. */
  hasCandidate(set: string): boolean {
    return this.eligibleMembers(set).length > 0;
  }

  private eligibleMembers(set: string): SetMember[] {
    return (this.members.get(set) ?? []).filter((m) => m.weight > 0 && m.instance.enabled && m.instance.up);
  }

  /** Why `set` has no candidate, per instance ("127.0.0.1:2223 down"), for the error message. */
  describeSet(set: string): string {
    const members = this.members.get(set) ?? [];
    return members.map((m) => `${m.instance.key} ${m.weight === 0 ? 'weight 0' : m.instance.state}`).join(', ');
  }

  /** Feeds the health state machine: an answer (`ok`) or a failure with its reason. */
  report(instance: RtpengineInstance, input: HealthInput, detail?: { rttMs?: number; error?: string }): void {
    const before = instance.health.state;
    instance.health = nextHealth(instance.health, input, this.options.health);
    if (detail?.rttMs !== undefined) instance.lastRttMs = detail.rttMs;
    if (input === HealthInput.fail) instance.lastError = detail?.error;
    if (instance.health.state !== before) {
      instance.sinceMs = this.now();
      // Back up: its turn in the rotation starts fresh, not with what it accumulated before.
      for (const members of this.members.values()) for (const m of members) if (m.instance === instance) m.current = 0;
      this.options.onHealthChange?.({ instance, from: before, to: instance.health.state, reason: input === HealthInput.fail ? detail?.error : undefined });
    }
  }

  /** Operator switch; returns false when no such instance. */
  setEnabled(key: string, enabled: boolean): boolean {
    const instance = this.byKey.get(key);
    if (instance === undefined) return false;
    instance.enabled = enabled;
    return true;
  }

  /** Pings every instance once, at the same time; resolves when all answered or failed. */
  pingAll(): Promise<PingRound> {
    this.round ??= (async () => {
      try {
        await Promise.all(this.all().map((i) => this.pingOne(i)));
        const up = this.all().filter((i) => i.up).length;
        return { up, down: this.byKey.size - up };
      } finally {
        this.round = undefined;
      }
    })();
    return this.round;
  }

  private async pingOne(instance: RtpengineInstance): Promise<void> {
    const started = performance.now();
    try {
      await this.options.ping(instance, { timeoutMs: this.options.health.pingTimeoutMs, retransmitMs: Math.max(50, Math.floor(this.options.health.pingTimeoutMs / 4)) });
      this.report(instance, HealthInput.ok, { rttMs: Math.round((performance.now() - started) * 100) / 100 });
    } catch (error) {
      this.report(instance, HealthInput.fail, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Periodic pings every health.pingIntervalMs (a round still running is not doubled). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.pingAll(), this.options.health.pingIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  snapshot(): InstanceSnapshot[] {
    return this.all().map((i) => ({
      instance: i.key,
      url: `udp:${i.key}`,
      sets: [...this.members].flatMap(([set, ms]) => ms.filter((m) => m.instance === i).map((m) => ({ set, weight: m.weight }))),
      state: i.state,
      health: i.health.state,
      enabled: i.enabled,
      failures: i.health.failures,
      lastRttMs: i.lastRttMs,
      lastError: i.lastError,
      since: i.sinceMs === undefined ? undefined : new Date(i.sinceMs).toISOString(),
    }));
  }
}
