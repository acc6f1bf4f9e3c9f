/**
 * NAT keep-alive of registered phones (Kamailio nathelper `natping_interval` with
 * `sipping_method=OPTIONS` and `keepalive_timeout`, spec §8.14.2): every interval, each binding
 * stored as behind NAT gets an OPTIONS from the edge that owns it, sent to its `received` address,
 * so the NAT mapping stays open; a binding that answers nothing `maxFailures` rounds in a row is
 * removed (and announced), so calls stop going to a phone that is gone. A phone registered over TCP
 * gets a CRLFCRLF keep-alive on its connection instead (`tcp: crlf`, RFC 5626 §3.5.1); it fails when
 * the connection is gone, since the phone cannot be reached any other way.
 *
 * The registrar decides, the edge sends (`sipmesh.edge.<edge>.rpc.options`, as the router's
 * dispatcher probes). Any SIP response counts as alive, even an error: the phone answered. An
 * owning edge that is not running is not the phone's fault: the binding is skipped, not counted.
 * With several registrars only the holder of a lease in Redis pings (the others would double
 * every ping); the lease moves to another registrar within one lease time when its holder dies.
 */
import { subjects, type ContractValidators, type OptionsProbeParams } from '@sipmesh/contracts';
import type { Bus, Logger } from '@sipmesh/runtime';
import type { Redis } from 'ioredis';
import type { Binding, LocationStore } from '../location/index.js';
import { Lease } from './lease.js';

export interface NatKeepaliveConfig {
  readonly enabled: boolean;
  readonly intervalSec: number;
  /** Rounds in a row without an answer before the binding is removed; 0: never removed. */
  readonly maxFailures: number;
  readonly timeoutMs: number;
  /** From URI of the pings (Kamailio sipping_from); empty: the edge's default. */
  readonly from: string;
  /** Pings in flight at once. */
  readonly concurrency: number;
  /** Bindings over TCP: a CRLFCRLF on their connection, or an OPTIONS like the others. Default crlf. */
  readonly tcp?: 'crlf' | 'options';
}

export interface NatKeepaliveDeps {
  readonly bus: Bus;
  readonly store: LocationStore;
  readonly validators: ContractValidators;
  readonly logger: Logger;
  /** Lease holder election across registrars; undefined: this registrar always pings (one instance). */
  readonly redis?: Redis;
  readonly leaseKey?: string;
  /** Removes a binding that stopped answering (and announces it). */
  remove(binding: Binding): Promise<void>;
  /** Counts: `ok`, `failed`, `skipped` (owning edge not running), `removed`. */
  count?(outcome: 'ok' | 'failed' | 'skipped' | 'removed'): void;
}

export interface KeepaliveRound {
  readonly pinged: number;
  readonly answered: number;
  readonly failed: number;
  readonly skipped: number;
  readonly removed: number;
  /** False when another registrar holds the lease. */
  readonly leader: boolean;
}

type PingOutcome = 'ok' | 'failed' | 'skipped';

export class NatKeepalive {
  private readonly failures = new Map<string, number>();
  private readonly lease: Lease;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<KeepaliveRound> | undefined;
  private serial = 0;

  constructor(
    private readonly config: NatKeepaliveConfig,
    private readonly deps: NatKeepaliveDeps,
  ) {
    this.lease = new Lease(deps.redis, deps.leaseKey ?? 'sipmesh:natping-lease');
  }

  start(): void {
    if (!this.config.enabled || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      void this.round().catch((e: unknown) => this.deps.logger.warn({ err: e }, 'NAT keep-alive round failed; the next one retries'));
    }, this.config.intervalSec * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.lease.release();
  }

  /** One round now (the timer runs one every intervalSec). */
  round(): Promise<KeepaliveRound> {
    this.running ??= this.runRound().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runRound(): Promise<KeepaliveRound> {
    const none = { pinged: 0, answered: 0, failed: 0, skipped: 0, removed: 0 };
    if (!(await this.holdLease())) {
      this.failures.clear();
      return { ...none, leader: false };
    }
    const targets: Binding[] = [];
    for await (const rec of this.deps.store.dumpNat()) for (const b of rec.bindings) if (b.received !== undefined) targets.push(b);
    const seen = new Set(targets.map((b) => b.ruid));
    for (const ruid of this.failures.keys()) if (!seen.has(ruid)) this.failures.delete(ruid);
    const totals = { ...none, pinged: targets.length };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const b = targets[next++] as Binding;
        const outcome = await this.ping(b);
        this.deps.count?.(outcome);
        if (outcome === 'ok') {
          totals.answered++;
          this.failures.delete(b.ruid);
        } else if (outcome === 'skipped') {
          totals.skipped++;
        } else {
          totals.failed++;
          const n = (this.failures.get(b.ruid) ?? 0) + 1;
          this.failures.set(b.ruid, n);
          if (this.config.maxFailures > 0 && n >= this.config.maxFailures) {
            this.failures.delete(b.ruid);
            this.deps.logger.info({ aor: b.aor, contact: b.contact, received: b.received, failures: n }, 'NAT keep-alive: contact unreachable, binding removed');
            await this.deps.remove(b);
            totals.removed++;
            this.deps.count?.('removed');
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, targets.length) }, worker));
    return { ...totals, leader: true };
  }

  private async ping(b: Binding): Promise<PingOutcome> {
    const crlf = (this.config.tcp ?? 'crlf') === 'crlf' && b.received !== undefined && /;transport=tcp\b/i.test(b.received);
    const params: OptionsProbeParams = {
      uri: b.contact,
      ...(b.received !== undefined ? { dst_uri: b.received } : {}),
      ...(this.config.from ? { from: this.config.from } : {}),
      timeout_ms: this.config.timeoutMs,
      ...(crlf ? { keepalive: 'crlf' as const } : {}),
    };
    const body = { jsonrpc: '2.0', id: `natping.${++this.serial}`, method: 'options', params };
    let reply;
    try {
      reply = await this.deps.bus.request(subjects.edgeRpc(b.edge, 'options'), Buffer.from(JSON.stringify(body)), { timeoutMs: this.config.timeoutMs + 2000 });
    } catch (e) {
      // No such edge (stopped, or restarted under another id) or it did not answer: not the phone's doing.
      this.deps.logger.debug({ err: e, edge: b.edge, aor: b.aor }, 'NAT keep-alive: owning edge unavailable');
      return 'skipped';
    }
    const v = this.deps.validators.optionsProbeResponse(reply.json<unknown>());
    if (!v.ok) return 'skipped';
    const result = v.value.result;
    if (!result) {
      // The edge could not send it at all (bad URI, no listener for the transport): the binding is unusable.
      this.deps.logger.info({ aor: b.aor, contact: b.contact, error: v.value.error }, 'NAT keep-alive: edge cannot reach the contact');
      return 'failed';
    }
    // A CRLF keep-alive has no answer: written on the open connection is alive, no connection is gone.
    if (crlf) return result.status < 300 ? 'ok' : 'failed';
    return result.local ? 'failed' : 'ok';
  }

  /** True while this registrar holds the ping lease (always without Redis). */
  private holdLease(): Promise<boolean> {
    return this.lease.hold(this.config.intervalSec * 3000);
  }
}
