/**
 * A disk spool between the edge's event producers and the event stream, so a NATS outage loses no
 * event. While the stream takes messages they go straight through to the bus. When a publish fails
 * for a reason that can pass (timeout, connection down, no stream yet), or the bus says it is not
 * connected, the spool engages: that message and every later one, from any subject, are appended to
 * segment files, and a replay loop publishes them in order, with their message ids, once the bus
 * works again, backing off between attempts. New messages keep going to the spool until it is
 * empty, so the stream gets them in the order they were handed over; then publishing goes straight
 * through again. Fully replayed segments are deleted; segments left by an earlier run (the edge
 * stopped or crashed during an outage) are replayed at start.
 *
 * Trade-offs:
 * - Order holds for everything the spool holds. Publishes already in flight when an outage begins
 *   fail later (after the JetStream timeout) and take their place in the spool ahead of newer
 *   messages, which wait in memory until then (counted against maxBytes). Around the moment the
 *   connection drops order is not guaranteed: a message the dropped socket lost is replayed from
 *   the spool after later ones that NatsBus kept in its reconnect buffer and resent on reconnect.
 * - At least once: a message whose acknowledgement was lost, or a segment replayed again after a
 *   stop in its middle, reaches the stream twice; JetStream drops the repeat inside its duplicate
 *   window, accounting drops a repeated event id after it.
 * - Bounded: maxBytes covers the files plus the messages waiting to be written; beyond it new
 *   messages are refused. Everything queued while a write runs goes in the next write, and each
 *   write is fdatasync'ed, so a spooled message survives a host crash too.
 * - One directory per running edge: two processes appending to the same files would interleave.
 */
import path from 'node:path';
import { EVENT_COUNT_HEADER, EventDelivery, type EventPublisher } from '@sipmesh/contracts';
import { BusErrorCode, BusStatus, isBusError, type Bus, type PublishEventOptions } from '@sipmesh/runtime';
import type { EdgeLogEventName } from '../log-events.js';
import { SpoolFiles, type SpoolSegment } from './event-spool-files.js';
import { encodeSpoolRecord, type SpoolRecord } from './event-spool-record.js';

/** The part of the bus the spool uses. */
export type SpoolBus = Pick<Bus, 'status' | 'onStatus' | 'publishEvent'>;

export type SpoolCounterName = 'events_spooled' | 'events_replayed' | 'events_spool_dropped';

export interface SpoolOptions {
  /** Directory of the segment files, created when missing; one per running edge. */
  readonly dir: string;
  /** Segment files plus messages waiting to be written, at most. */
  readonly maxBytes: number;
  /** A segment is closed and the next one begun once it holds this much. Default maxBytes/16, between 64 KiB and 8 MiB. */
  readonly segmentBytes?: number;
  /** Messages replayed at once, in order. Default 64. */
  readonly replayWindow?: number;
  /** First pause between replay attempts while the stream refuses; doubles up to retryMaxMs. Default 250 ms. */
  readonly retryMinMs?: number;
  /** Default 30 000 ms. */
  readonly retryMaxMs?: number;
  /** On stop, how long publishes in flight may wait for their acknowledgement before they are spooled too. Default 2 000 ms. */
  readonly stopGraceMs?: number;
  /** Counted in events (the Sipmesh-Events header of a message; 1 without it). */
  readonly counters?: { inc(name: SpoolCounterName, by?: number): void };
  readonly log?: (event: EdgeLogEventName, fields: Record<string, unknown>) => void;
  readonly now?: () => number;
}

export const SpoolErrorCode = {
  /** maxBytes reached: the message is refused. */
  full: 'EDGE_ERR_SPOOL_FULL',
  /** The disk write failed: the message is lost. */
  write: 'EDGE_ERR_SPOOL_WRITE',
  /** Published after stop(). */
  stopped: 'EDGE_ERR_SPOOL_STOPPED',
} as const;
export type SpoolErrorCode = (typeof SpoolErrorCode)[keyof typeof SpoolErrorCode];

export class SpoolError extends Error {
  override readonly name = 'SpoolError';

  constructor(
    readonly code: SpoolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The spool directory: `dir` when set, else var/spool/<edge id> under the working directory. */
export function spoolDirFor(dir: string, edgeId: string): string {
  return path.resolve(dir === '' ? path.join('var', 'spool', edgeId) : dir);
}

const SlotState = { inflight: 'inflight', spool: 'spool', done: 'done' } as const;
type SlotState = (typeof SlotState)[keyof typeof SlotState];

/** One message handed to publishEvent, from then until it is acknowledged, spooled or refused. */
interface Slot {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly opts: PublishEventOptions;
  readonly events: number;
  state: SlotState;
  /** Its spool record, made once it is bound for the spool. */
  record: Buffer | undefined;
  readonly resolve: (delivery: EventDelivery) => void;
  readonly reject: (error: Error) => void;
}

/** The closed segment being replayed: its records and how many of them are in the stream. */
interface Replaying {
  readonly segment: SpoolSegment;
  readonly records: readonly SpoolRecord[];
  done: number;
}

const MIB = 1024 * 1024;
const LOG_INTERVAL_MS = 10_000;

export class SpoolingPublisher implements EventPublisher {
  private spooling = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  /** Messages in hand-over order; the head leaves once it is no longer in flight. */
  private readonly pipeline: Slot[] = [];
  private inflight = 0;
  private writeQueue: Slot[] = [];
  private writing = false;
  /** Bytes and messages bound for the spool and not written yet. */
  private queuedBytes = 0;
  private unwritten = 0;
  private pendingCount: number;
  private readonly stats = { spooled: 0, replayed: 0, dropped: 0 };
  private current: Replaying | undefined;
  private replayLoop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Abandons the replay window being waited for (on stop). */
  private abandonWindow: (() => void) | undefined;
  private readonly lastLogged = new Map<EdgeLogEventName, number>();
  private readonly unsubscribe: () => void;
  private readonly maxBytes: number;
  private readonly replayWindow: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly stopGraceMs: number;
  private readonly counters: SpoolOptions['counters'];
  private readonly log: SpoolOptions['log'];
  private readonly now: () => number;

  /** Opens the spool directory; segments an earlier run left there are replayed before anything new. */
  static async open(bus: SpoolBus, options: SpoolOptions): Promise<SpoolingPublisher> {
    const segmentBytes = options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * MIB, Math.floor(options.maxBytes / 16)));
    return new SpoolingPublisher(bus, options, await SpoolFiles.open(options.dir, segmentBytes, options.log));
  }

  private constructor(
    private readonly bus: SpoolBus,
    options: SpoolOptions,
    private readonly files: SpoolFiles,
  ) {
    this.maxBytes = options.maxBytes;
    this.replayWindow = options.replayWindow ?? 64;
    this.retryMinMs = options.retryMinMs ?? 250;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.stopGraceMs = options.stopGraceMs ?? 2_000;
    this.counters = options.counters;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    // A reconnect ends the replay's back-off at once.
    this.unsubscribe = bus.onStatus((status) => {
      if (status === BusStatus.connected) this.wake();
    });
    this.pendingCount = files.closed.reduce((n, segment) => n + segment.messages, 0);
    if (this.pendingCount > 0) {
      this.log?.('event_spool_restored', { dir: options.dir, messages: this.pendingCount, bytes: files.diskBytes });
      this.engage('spool left by an earlier run');
    }
  }

  /** Events spooled, replayed and dropped (refused when full, lost to a failed write, unpublishable) since start. */
  get counts(): { spooled: number; replayed: number; dropped: number } {
    return { ...this.stats };
  }

  /** Bytes on disk plus bytes waiting to be written. */
  get pendingBytes(): number {
    return this.files.diskBytes + this.queuedBytes;
  }

  /** Messages the spool holds that are not in the stream yet. */
  get pendingMessages(): number {
    return this.pendingCount;
  }

  /** True while messages go to the spool instead of straight to the bus. */
  get engaged(): boolean {
    return this.spooling;
  }

  publishEvent(subject: string, data: Uint8Array, opts: PublishEventOptions): Promise<EventDelivery> {
    if (this.stopping) return Promise.reject(new SpoolError(SpoolErrorCode.stopped, 'event spool stopped'));
    // Published now, the message would only wait for its timeout in the bus's reconnect buffer.
    if (!this.spooling && this.bus.status !== BusStatus.connected) this.engage(`bus ${this.bus.status}`);
    return new Promise<EventDelivery>((resolve, reject) => {
      const slot: Slot = { subject, data, opts, events: eventCount(opts.headers), state: SlotState.inflight, record: undefined, resolve, reject };
      if (this.spooling) {
        if (this.reserve(slot)) {
          this.pipeline.push(slot);
          this.pump();
        }
        return;
      }
      this.pipeline.push(slot);
      this.inflight++;
      this.send(subject, data, opts).then(
        () => this.settled(slot, undefined),
        (e: unknown) => this.settled(slot, asError(e)),
      );
    });
  }

  /**
   * Ends the replay, gives publishes in flight stopGraceMs to be acknowledged, spools the others,
   * writes everything queued and closes the file. What is not in the stream stays on disk for the
   * next start.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.abandonWindow?.();
    this.unsubscribe();
    this.wake();
    await this.replayLoop;
    let graceOver = false;
    const grace = setTimeout(() => {
      graceOver = true;
      this.wake();
    }, this.stopGraceMs);
    while (this.inflight > 0 && !graceOver) await this.nap(this.stopGraceMs);
    clearTimeout(grace);
    if (this.inflight > 0) this.engage('stopping with unacknowledged publishes');
    for (const slot of this.pipeline) {
      if (slot.state === SlotState.inflight) this.reserve(slot);
    }
    this.inflight = 0;
    this.pump();
    // After the writes pump() queued: the file operations run in order.
    await this.files.closeActive();
  }

  /** A straight-through publish ended: acknowledged (`error` undefined) or failed. */
  private settled(slot: Slot, error: Error | undefined): void {
    // Spooled by stop() while it waited: the spool has it now.
    if (slot.state !== SlotState.inflight) return;
    this.inflight--;
    if (error === undefined) {
      slot.state = SlotState.done;
      slot.resolve(EventDelivery.published);
    } else if (isUnpublishable(error)) {
      slot.state = SlotState.done;
      slot.reject(error);
    } else {
      this.engage(error.message);
      this.reserve(slot);
    }
    this.pump();
    if (this.stopping) this.wake();
  }

  /** Binds a message for the spool, or refuses it when it does not fit. */
  private reserve(slot: Slot): boolean {
    const record = encodeSpoolRecord({ subject: slot.subject, msgId: slot.opts.msgId, headers: slot.opts.headers, data: slot.data });
    if (this.pendingBytes + record.length > this.maxBytes) {
      slot.state = SlotState.done;
      this.dropped(slot.events);
      this.logRarely('event_spool_full', { maxBytes: this.maxBytes, pendingBytes: this.pendingBytes, dropped: this.stats.dropped });
      slot.reject(new SpoolError(SpoolErrorCode.full, `event spool full (${this.maxBytes} bytes)`));
      return false;
    }
    slot.state = SlotState.spool;
    slot.record = record;
    this.queuedBytes += record.length;
    this.unwritten++;
    this.pendingCount++;
    return true;
  }

  /** Moves the head of the pipeline, up to the first message still in flight, to the write queue. */
  private pump(): void {
    let head = this.pipeline[0];
    while (head !== undefined && head.state !== SlotState.inflight) {
      this.pipeline.shift();
      if (head.state === SlotState.spool) this.writeQueue.push(head);
      head = this.pipeline[0];
    }
    if (this.writeQueue.length > 0 && !this.writing) {
      this.writing = true;
      void this.writeQueued();
    }
  }

  /** Appends the queue in one write, then whatever was queued meanwhile in the next. */
  private async writeQueued(): Promise<void> {
    while (this.writeQueue.length > 0) {
      const batch = this.writeQueue;
      this.writeQueue = [];
      // reserve() gave every queued slot its record.
      const data = Buffer.concat(batch.map((slot) => slot.record as Buffer));
      let events = 0;
      for (const slot of batch) {
        events += slot.events;
        slot.record = undefined;
      }
      let failure: unknown;
      try {
        await this.files.append(data, batch.length);
      } catch (e) {
        failure = e;
      }
      this.queuedBytes -= data.length;
      this.unwritten -= batch.length;
      if (failure === undefined) {
        this.stats.spooled += events;
        this.counters?.inc('events_spooled', events);
        for (const slot of batch) slot.resolve(EventDelivery.spooled);
      } else {
        this.pendingCount -= batch.length;
        this.dropped(events);
        const error = new SpoolError(SpoolErrorCode.write, `event spool write failed: ${asError(failure).message}`, { cause: failure });
        this.logRarely('event_spool_write_failed', { error: error.message, messages: batch.length });
        for (const slot of batch) slot.reject(error);
      }
      this.wake();
    }
    this.writing = false;
  }

  private engage(reason: string): void {
    if (this.spooling) return;
    this.spooling = true;
    this.log?.('event_spool_engaged', { reason });
    if (!this.stopping && this.replayLoop === undefined) this.replayLoop = this.replay();
  }

  private disengage(): void {
    this.spooling = false;
    this.replayLoop = undefined;
    this.log?.('event_spool_drained', { replayed: this.stats.replayed, dropped: this.stats.dropped });
  }

  private async replay(): Promise<void> {
    let retryMs = this.retryMinMs;
    while (!this.stopping) {
      try {
        const current = this.current ?? (await this.next());
        if (current === undefined) {
          // Nothing closed to replay: wait for queued messages to be written, close the segment being
          // written, or, when the spool holds nothing at all, go back to publishing straight through.
          if (this.unwritten > 0) {
            await this.pause(this.retryMaxMs);
          } else if (this.files.writing) {
            await this.files.closeActive();
          } else {
            this.disengage();
            return;
          }
          continue;
        }
        if (current.done === current.records.length) {
          this.current = undefined;
          // A file that cannot be deleted is replayed again at the next start: repeats, not losses.
          await this.files.delete(current.segment).catch((e: unknown) => this.log?.('event_spool_delete_failed', { file: current.segment.file, error: asError(e).message }));
          continue;
        }
        if (this.bus.status !== BusStatus.connected) {
          await this.pause(retryMs);
          retryMs = Math.min(retryMs * 2, this.retryMaxMs);
          continue;
        }
        const window = current.records.slice(current.done, current.done + this.replayWindow);
        const results = await this.unlessStopped(Promise.allSettled(window.map((r) => this.send(r.subject, r.data, r.headers === undefined ? { msgId: r.msgId } : { msgId: r.msgId, headers: r.headers }))));
        if (results === undefined) return;
        const failure = this.count(current, window, results);
        if (failure === undefined) {
          retryMs = this.retryMinMs;
        } else {
          this.logRarely('event_spool_replay_retry', { error: failure.message, pendingMessages: this.pendingCount, retryMs });
          await this.pause(retryMs / 2 + (Math.random() * retryMs) / 2);
          retryMs = Math.min(retryMs * 2, this.retryMaxMs);
        }
      } catch (e) {
        this.log?.('event_spool_replay_failed', { err: e });
        await this.pause(this.retryMaxMs);
      }
    }
  }

  /** Reads the oldest closed segment, skipping (and leaving on disk) one that cannot be read. */
  private async next(): Promise<Replaying | undefined> {
    for (let segment = this.files.closed[0]; segment !== undefined; segment = this.files.closed[0]) {
      try {
        const records = await this.files.read(segment);
        this.pendingCount += records.length - segment.messages;
        this.current = { segment, records, done: 0 };
        return this.current;
      } catch (e) {
        this.log?.('event_spool_read_failed', { file: segment.file, error: asError(e).message });
        this.files.forget(segment);
        this.pendingCount -= segment.messages;
      }
    }
    return undefined;
  }

  private send(subject: string, data: Uint8Array, opts: PublishEventOptions): Promise<void> {
    try {
      return this.bus.publishEvent(subject, data, opts);
    } catch (e) {
      return Promise.reject(asError(e));
    }
  }

  /**
   * The window's results, or undefined as soon as stop() begins: its publishes may hang until their
   * timeout, and the records stay on disk anyway. (Not a race against a stop promise: that would add
   * a reaction to it for every window of a long outage.)
   */
  private unlessStopped<T>(work: Promise<T>): Promise<T | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.abandonWindow = () => resolve(undefined);
      void work.then((value) => {
        this.abandonWindow = undefined;
        resolve(value);
      });
    });
  }

  /** Counts a replayed window up to its first failure that may pass, which it returns. */
  private count(current: Replaying, window: readonly SpoolRecord[], results: readonly PromiseSettledResult<void>[]): Error | undefined {
    for (const [i, result] of results.entries()) {
      // allSettled keeps the order and length of the window.
      const record = window[i] as SpoolRecord;
      const events = eventCount(record.headers);
      if (result.status === 'fulfilled') {
        this.stats.replayed += events;
        this.counters?.inc('events_replayed', events);
      } else if (isUnpublishable(result.reason)) {
        this.dropped(events);
        this.log?.('event_spool_unpublishable', { subject: record.subject, msgId: record.msgId, error: asError(result.reason).message });
      } else {
        return asError(result.reason);
      }
      current.done++;
      this.pendingCount--;
    }
    return undefined;
  }

  private dropped(events: number): void {
    this.stats.dropped += events;
    this.counters?.inc('events_spool_dropped', events);
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** The replay loop's wait: none once stopping. */
  private pause(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : this.nap(ms);
  }

  private wake(): void {
    this.wakeUp?.();
  }

  private logRarely(event: EdgeLogEventName, fields: Record<string, unknown>): void {
    const t = this.now();
    const last = this.lastLogged.get(event);
    if (last !== undefined && t - last < LOG_INTERVAL_MS) return;
    this.lastLogged.set(event, t);
    this.log?.(event, fields);
  }
}

/** Errors no retry cures: this message can never be published to this server. */
function isUnpublishable(error: unknown): boolean {
  return isBusError(error, BusErrorCode.invalidSubject) || isBusError(error, BusErrorCode.payloadTooLarge);
}

function eventCount(headers: Record<string, string> | undefined): number {
  const n = Number(headers?.[EVENT_COUNT_HEADER]);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
