/**
 * The in-process bus of the embedded deployment. It is a product mode, not a test double:
 * it keeps the NATS semantics the services rely on (wildcards, queue groups, the 503
 * no-responders status, asynchronous delivery, drain) so the same service code runs on
 * either bus.
 *
 * Delivery is asynchronous and batched: a publish appends (subscription, message) to a
 * queue, and one `setImmediate` turn delivers everything queued so far. A publisher is never
 * re-entered synchronously, and messages published by handlers go to the next turn, so a
 * ping-pong between two handlers cannot starve I/O or timers.
 *
 * Differences from NATS, by design:
 * - Payloads are passed by reference (no copy): a publisher must not mutate a buffer after
 *   publishing it. Headers are copied at publish time.
 * - The process is one connection, so the no-responders status reaches every subscriber of
 *   the reply subject (NATS delivers it only to the publishing connection's subscriptions).
 * - `publishEvent` delivers an event once per `msgId` inside the duplicate window, as a
 *   JetStream consumer sees it; a NATS core subscriber would also see the duplicate.
 */
import { randomBytes } from 'node:crypto';
import type {
  Bus,
  BusHandler,
  BusMessage,
  BusSubscription,
  EnsureStreamOptions,
  PublishEventOptions,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
} from './bus.js';
import { BusStatus } from './bus.js';
import { BusError, BusErrorCode } from './bus-error.js';
import { HandlerRunner, type HandlerErrorListener } from './handler-runner.js';
import { LocalBusMessage } from './local-bus-message.js';
import { LocalEventLog, type StoredEvent } from './local-event-log.js';
import { RequestMux } from './request-mux.js';
import { SubjectIndex } from './subject-index.js';
import { SubjectKind, isValidSubject } from './subject.js';
import { LocalSettingsBucket, type SettingsBucket } from './settings-bucket.js';

export interface LocalBusOptions {
  /** Largest payload accepted, as a NATS server's `max_payload`. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Events kept by the in-memory event log. Default 10 000. */
  eventLogCapacity?: number;
  /** Window inside which a repeated event `msgId` is dropped. Default 2 minutes (JetStream's). */
  duplicateWindowMs?: number;
  onHandlerError?: HandlerErrorListener;
  /** Clock for the duplicate window. Default `Date.now`. */
  now?: () => number;
}

const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
const DEFAULT_EVENT_LOG_CAPACITY = 10_000;
const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
/** Header JetStream uses for the deduplication id; LocalBus sets it too, as NATS subscribers see it. */
const MSG_ID_HEADER = 'Nats-Msg-Id';
const EMPTY = new Uint8Array(0);

class LocalSubscription implements BusSubscription {
  active = true;
  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
    readonly handler: BusHandler,
    private readonly owner: LocalBus,
  ) {}

  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.owner.unindex(this);
  }
}

export class LocalBus implements Bus {
  readonly kind = 'local' as const;
  private statusValue: BusStatus = BusStatus.connected;
  private draining = false;
  private readonly index = new SubjectIndex<LocalSubscription>();
  private readonly live = new Set<LocalSubscription>();
  /** Parallel arrays: delivery i is message `queuedMsgs[i]` to `queuedSubs[i]`. */
  private queuedSubs: LocalSubscription[] = [];
  private queuedMsgs: LocalBusMessage[] = [];
  private spareSubs: LocalSubscription[] = [];
  private spareMsgs: LocalBusMessage[] = [];
  private scheduled = false;
  private flushWaiters: Array<() => void> = [];
  private readonly roundRobin = new Map<string, number>();
  private readonly matches: Array<LocalSubscription | null> = [];
  private readonly mux: RequestMux;
  private muxSubscription: LocalSubscription | undefined;
  private readonly runner: HandlerRunner;
  private readonly eventLog: LocalEventLog;
  private readonly listeners = new Set<(status: BusStatus) => void>();
  private readonly maxPayloadBytes: number;
  private readonly statusHeaders: ReadonlyMap<string, string> = new Map();

  constructor(options: LocalBusOptions = {}) {
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.runner = new HandlerRunner(options.onHandlerError);
    this.mux = new RequestMux(`_INBOX.${randomBytes(8).toString('hex')}`);
    this.eventLog = new LocalEventLog({
      capacity: options.eventLogCapacity ?? DEFAULT_EVENT_LOG_CAPACITY,
      duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
      now: options.now ?? Date.now,
    });
  }

  get status(): BusStatus {
    return this.statusValue;
  }

  publish(subject: string, data: Uint8Array, opts?: PublishOptions): void {
    this.assertOpen();
    if (!isValidSubject(subject, SubjectKind.publish)) throw invalidSubject(subject);
    const reply = opts?.reply;
    if (reply !== undefined && !isValidSubject(reply, SubjectKind.publish)) throw invalidSubject(reply);
    if (data.byteLength > this.maxPayloadBytes) {
      throw new BusError(BusErrorCode.payloadTooLarge, `payload of ${data.byteLength} bytes exceeds ${this.maxPayloadBytes}`, { subject });
    }
    const headers = opts?.headers === undefined ? undefined : copyHeaders(opts.headers);
    this.route(subject, data, headers, reply, false);
  }

  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): BusSubscription {
    this.assertOpen();
    if (this.draining) throw new BusError(BusErrorCode.draining, 'bus is draining', { subject });
    if (!isValidSubject(subject, SubjectKind.subscribe)) throw invalidSubject(subject);
    const queue = opts?.queue;
    if (queue !== undefined && !isValidQueueName(queue)) {
      throw new BusError(BusErrorCode.invalidSubject, `invalid queue group name "${queue}"`, { subject });
    }
    const sub = new LocalSubscription(subject, queue, handler, this);
    this.index.add(sub);
    this.live.add(sub);
    return sub;
  }

  request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<BusMessage> {
    if (this.statusValue === BusStatus.closed) return Promise.reject(closedError(subject));
    if (!isValidSubject(subject, SubjectKind.publish)) return Promise.reject(invalidSubject(subject));
    this.muxSubscription ??= this.subscribeInternal(this.mux.inboxSubject, this.mux.onReply);
    const { reply, response } = this.mux.register(subject, opts.timeoutMs);
    try {
      this.publish(subject, data, opts.headers === undefined ? { reply } : { reply, headers: opts.headers });
    } catch (error) {
      // publish() throws nothing but BusError.
      this.mux.cancel(reply, error as BusError);
    }
    return response;
  }

  publishEvent(subject: string, data: Uint8Array, opts: PublishEventOptions): Promise<void> {
    if (this.statusValue === BusStatus.closed) return Promise.reject(closedError(subject));
    if (!isValidSubject(subject, SubjectKind.publish)) return Promise.reject(invalidSubject(subject));
    if (data.byteLength > this.maxPayloadBytes) {
      return Promise.reject(new BusError(BusErrorCode.payloadTooLarge, `payload of ${data.byteLength} bytes exceeds ${this.maxPayloadBytes}`, { subject }));
    }
    const headers = copyHeaders(opts.headers);
    headers.set(MSG_ID_HEADER, opts.msgId);
    const stored = this.eventLog.append(subject, data, headers, opts.msgId);
    if (stored !== undefined) this.route(subject, data, headers, undefined, false);
    return Promise.resolve();
  }

  ensureStream(_name: string, _subjects: readonly string[], _opts?: EnsureStreamOptions): Promise<void> {
    return Promise.resolve();
  }

  /** Events still held by the in-memory log with a sequence number above `afterSeq`, oldest first. */
  readEvents(afterSeq = 0): StoredEvent[] {
    return this.eventLog.since(afterSeq);
  }

  flush(): Promise<void> {
    if (this.statusValue === BusStatus.closed) return Promise.reject(closedError(undefined));
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  async drain(): Promise<void> {
    if (this.statusValue === BusStatus.closed) throw closedError(undefined);
    if (this.draining) throw new BusError(BusErrorCode.draining, 'bus is already draining');
    this.draining = true;
    // Stop matching new messages; deliveries already queued still run (sub stays active).
    for (const sub of this.live) {
      if (sub !== this.muxSubscription) this.index.remove(sub);
    }
    // Handlers may publish and await requests while finishing; settle until quiet.
    while (this.scheduled || this.runner.running > 0) {
      await this.flush();
      await this.runner.idle();
    }
    await this.close();
  }

  close(): Promise<void> {
    if (this.statusValue === BusStatus.closed) return Promise.resolve();
    this.statusValue = BusStatus.closed;
    for (const sub of this.live) sub.active = false;
    this.live.clear();
    this.queuedSubs.length = 0;
    this.queuedMsgs.length = 0;
    this.mux.rejectAll(BusErrorCode.closed, 'bus closed');
    this.releaseFlushWaiters(this.flushWaiters);
    this.flushWaiters = [];
    for (const listener of this.listeners) listener(BusStatus.closed);
    return Promise.resolve();
  }

  private readonly buckets = new Map<string, LocalSettingsBucket>();

  settings(name: string): Promise<SettingsBucket> {
    let b = this.buckets.get(name);
    if (!b) {
      b = new LocalSettingsBucket(name);
      this.buckets.set(name, b);
    }
    return Promise.resolve(b);
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by a subscription's `unsubscribe()`. */
  unindex(sub: LocalSubscription): void {
    this.index.remove(sub);
    this.live.delete(sub);
  }

  private subscribeInternal(subject: string, handler: BusHandler): LocalSubscription {
    const sub = new LocalSubscription(subject, undefined, handler, this);
    this.index.add(sub);
    this.live.add(sub);
    return sub;
  }

  private route(
    subject: string,
    data: Uint8Array,
    headers: ReadonlyMap<string, string> | undefined,
    reply: string | undefined,
    noResponders: boolean,
  ): void {
    const matches = this.matches;
    this.index.match(subject, matches);
    if (matches.length === 0) {
      // NATS with headers support answers a request nobody listens to with a 503 status
      // message on the reply subject, so requesters fail fast instead of timing out.
      if (reply !== undefined) this.route(reply, EMPTY, this.statusHeaders, undefined, true);
      return;
    }
    const msg = new LocalBusMessage(subject, data, headers, reply, noResponders, this);
    for (let i = 0; i < matches.length; i++) {
      const sub = matches[i];
      if (sub === null || sub === undefined) continue;
      if (sub.queue === undefined) {
        this.enqueue(sub, msg);
        continue;
      }
      this.enqueue(this.pickQueueMember(sub.queue, i), msg);
    }
    matches.length = 0;
  }

  /**
   * One member of queue group `queue` gets the message, in turn. Members are the matches
   * from `first` on with that queue name; they are nulled out so the group is handled once.
   */
  private pickQueueMember(queue: string, first: number): LocalSubscription {
    const matches = this.matches;
    let members = 0;
    for (let j = first; j < matches.length; j++) {
      if (matches[j]?.queue === queue) members++;
    }
    const turn = this.roundRobin.get(queue) ?? 0;
    this.roundRobin.set(queue, turn + 1 >= Number.MAX_SAFE_INTEGER ? 0 : turn + 1);
    let target = turn % members;
    let chosen = matches[first] as LocalSubscription;
    for (let j = first; j < matches.length; j++) {
      const candidate = matches[j];
      if (candidate === null || candidate === undefined || candidate.queue !== queue) continue;
      if (target-- === 0) chosen = candidate;
      matches[j] = null;
    }
    return chosen;
  }

  private enqueue(sub: LocalSubscription, msg: LocalBusMessage): void {
    this.queuedSubs.push(sub);
    this.queuedMsgs.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.deliver);
    }
  }

  private readonly deliver = (): void => {
    this.scheduled = false;
    const subs = this.queuedSubs;
    const msgs = this.queuedMsgs;
    this.queuedSubs = this.spareSubs;
    this.queuedMsgs = this.spareMsgs;
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i] as LocalSubscription;
      if (sub.active) this.runner.run(sub.handler, msgs[i] as LocalBusMessage);
    }
    subs.length = 0;
    msgs.length = 0;
    this.spareSubs = subs;
    this.spareMsgs = msgs;
    this.releaseFlushWaiters(waiters);
    // A flush requested by a handler in this turn with nothing new queued is already done.
    if (!this.scheduled && this.flushWaiters.length > 0) {
      this.releaseFlushWaiters(this.flushWaiters);
      this.flushWaiters = [];
    }
  };

  private releaseFlushWaiters(waiters: ReadonlyArray<() => void>): void {
    for (const wake of waiters) wake();
  }

  private assertOpen(): void {
    if (this.statusValue === BusStatus.closed) throw closedError(undefined);
  }
}

function copyHeaders(headers: Record<string, string> | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (headers !== undefined) {
    for (const key in headers) map.set(key, headers[key] as string);
  }
  return map;
}

function isValidQueueName(queue: string): boolean {
  // A queue name is one subject-like token list without wildcards.
  return isValidSubject(queue, SubjectKind.publish);
}

function invalidSubject(subject: string): BusError {
  return new BusError(BusErrorCode.invalidSubject, `invalid subject "${subject}"`, { subject });
}

function closedError(subject: string | undefined): BusError {
  return new BusError(BusErrorCode.closed, 'bus closed', subject === undefined ? undefined : { subject });
}
