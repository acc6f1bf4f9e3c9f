/**
 * A durable JetStream pull consumer on the SIPMESH_EVENTS stream, for one subject filter. Each
 * fetched batch goes to a sink that stores it in one PostgreSQL transaction, and its messages are
 * acknowledged only after the commit; when the sink fails (the database is down) nothing is
 * acknowledged (the messages come back after a delay) and the consumer retries until it works,
 * catching up from where it stood. Every accounting instance binds to the same durable name, so
 * they share the work and a restart resumes where the last acknowledgement left off.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeEvents, EVENTS_STREAM } from '@sipmesh/contracts';
import type { Logger } from '@sipmesh/runtime';

export interface ConsumerOptions {
  readonly natsUrl: string;
  /** Durable consumer name, shared by every accounting instance. */
  readonly durable: string;
  /** The stream subject (one token may be `*`) this consumer reads. */
  readonly filterSubject: string;
  /** Where a new durable consumer starts: the whole stream, or events from now on. */
  readonly startAt: 'all' | 'new';
  readonly batchSize: number;
  /** Batches being stored at once, each in its own transaction. */
  readonly concurrency: number;
  /** How long a fetch waits for messages, ms. */
  readonly fetchWaitMs: number;
  /** Delay before a batch that could not be stored is delivered again, ms. */
  readonly retryDelayMs: number;
}

/** Events of one fetched batch, in stream order, each with the subject of its message. */
export interface EventBatch {
  readonly events: readonly { readonly subject: string; readonly event: unknown }[];
}

/**
 * Stores batches in two steps, so the consumer prepares the next batch while the database works on
 * the current one: `prepare` checks the events and builds the rows (CPU only), `write` stores them
 * in one transaction and throws when it cannot (then nothing of the batch was stored).
 */
export interface BatchSink<P = unknown> {
  prepare(batch: EventBatch): P;
  write(prepared: P): Promise<void>;
  /**
   * True when the prepared batch must be stored after every batch before it and before any batch
   * after it (an edge's reset closes the calls stored before it). Other batches may overlap.
   */
  ordered?(prepared: P): boolean;
}

export interface ConsumerCounters {
  /** Messages whose payload was not JSON lines (skipped). */
  unreadable(n: number): void;
  storeFailed(): void;
}

export class EventConsumer {
  private nc: NatsConnection | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private messages: ConsumerMessages | undefined;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly sink: BatchSink<unknown>,
    private readonly counters: ConsumerCounters,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.nc = await connect({ servers: this.options.natsUrl, name: `accounting-${this.options.durable}`, reconnect: true, maxReconnectAttempts: -1 });
    this.running = true;
    // The durable consumer exists when start returns (events published from then on are read),
    // unless the stream is not there yet: then the loop keeps trying.
    await this.ensureConsumer().catch((e: unknown) => this.logger.warn({ err: e }, 'event consumer not created yet; retrying'));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
  }

  /** Creates the durable consumer when it does not exist; an existing one keeps its settings and position. */
  private async ensureConsumer(): Promise<void> {
    const jsm = await jetstreamManager(this.nc as NatsConnection);
    try {
      await jsm.consumers.info(EVENTS_STREAM, this.options.durable);
      return;
    } catch (e) {
      if (!(e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound)) throw e;
    }
    await jsm.consumers.add(EVENTS_STREAM, {
      durable_name: this.options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: this.options.startAt === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: this.options.filterSubject,
      ack_wait: 30_000 * 1_000_000,
      max_ack_pending: Math.max(1000, this.options.batchSize * 4),
    });
  }

  private async run(): Promise<void> {
    const nc = this.nc as NatsConnection;
    while (this.running) {
      try {
        await this.ensureConsumer();
        const consumer = await jetstream(nc).consumers.get(EVENTS_STREAM, this.options.durable);
        // consume() keeps more messages flowing from the server while batches are being stored. A
        // pull that expires with messages left is normally followed by a new one, but nats-server
        // 2.9 sometimes ends it without the 408 that says so: the client then waits for two missed
        // heartbeats (at least 1 s) before it pulls again. A long expiry makes that rare, a short
        // heartbeat keeps it short.
        const messages = await consumer.consume({
          max_messages: this.options.batchSize * (this.options.concurrency + 1),
          expires: Math.max(this.options.fetchWaitMs, 1000),
          idle_heartbeat: HEARTBEAT_MS,
        });
        this.messages = messages;
        void this.watch(messages);
        try {
          await this.batches(messages[Symbol.asyncIterator]());
        } finally {
          this.messages = undefined;
          messages.stop();
        }
      } catch (e) {
        if (!this.running) return;
        const missing = e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
        this.logger.warn({ err: e }, missing ? 'event stream not there yet (no edge has started); waiting' : 'event consumer failed; retrying');
        await sleep(1000);
      }
    }
  }

  /** The pull's own notifications, for the debug log (missed heartbeats mean a stalled pull). */
  private async watch(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const n of messages.status()) {
        if (n.type === 'heartbeat') continue;
        if (this.logger.isLevelEnabled('debug')) this.logger.debug({ durable: this.options.durable, notification: n }, 'pull notification');
      }
    } catch {
      // ends with the pull
    }
  }

  /**
   * Batches from the message flow: the first message opens a batch, which takes what else has
   * arrived and closes at batchSize or `gatherMs` later, so an event is stored within a few
   * milliseconds at low rates and in large batches at high ones. While batches are being stored
   * (up to `concurrency` transactions at once), the next is gathered and prepared. When a batch
   * could not be stored, the batches after it are refused too, so they come back together.
   */
  private async batches(it: AsyncIterator<JsMsg>): Promise<void> {
    let pending: Promise<IteratorResult<JsMsg>> | undefined;
    const storing: Promise<boolean>[] = [];
    try {
      while (this.running) {
        const first = await (pending ?? it.next());
        pending = undefined;
        if (first.done) return;
        const batch: JsMsg[] = [first.value];
        const closes = sleep(GATHER_MS).then((): typeof CLOSED => CLOSED);
        while (batch.length < this.options.batchSize) {
          pending = it.next();
          const r: IteratorResult<JsMsg> | typeof CLOSED = await Promise.race([pending, closes]);
          if (r === CLOSED) break; // the pending next() opens the following batch
          pending = undefined;
          if (r.done) break;
          batch.push(r.value);
        }
        const prepared = this.prepare(batch);
        const ordered = prepared.ok && this.sink.ordered?.(prepared.value) === true;
        // An ordered batch waits for every batch before it; otherwise only for a free slot.
        let failed = false;
        while (storing.length > 0 && (ordered || storing.length >= this.options.concurrency)) {
          if (!(await storing.shift())) failed = true;
        }
        if (failed) {
          for (const m of batch) m.nak(this.options.retryDelayMs);
          continue;
        }
        const store = prepared.ok ? this.store(batch, prepared.value, prepared.unreadable) : this.refuse(batch, prepared.error);
        if (ordered) {
          // ... and every batch after it waits for it.
          if (!(await store)) continue;
        } else {
          storing.push(store);
        }
      }
    } finally {
      await Promise.all(storing);
    }
  }

  /** The batch's events decoded and handed to the sink's prepare. */
  private prepare(batch: JsMsg[]): { ok: true; value: unknown; unreadable: number } | { ok: false; error: unknown } {
    const events: { subject: string; event: unknown }[] = [];
    let unreadable = 0;
    for (const m of batch) {
      try {
        for (const event of decodeEvents(m.data)) events.push({ subject: m.subject, event });
      } catch (e) {
        unreadable++;
        this.logger.warn({ err: e, seq: m.seq }, 'unreadable event message; skipped');
      }
    }
    try {
      return { ok: true, value: this.sink.prepare({ events }), unreadable };
    } catch (e) {
      return { ok: false, error: e };
    }
  }

  /** The batch stored by the sink, then every message acknowledged (true); or none (false). */
  private async store(batch: JsMsg[], prepared: unknown, unreadable: number): Promise<boolean> {
    const started = Date.now();
    try {
      await this.sink.write(prepared);
    } catch (e) {
      return this.refuse(batch, e);
    }
    for (const m of batch) m.ack();
    if (this.logger.isLevelEnabled('debug')) {
      // How long the oldest message waited in the stream before this batch began storing it, and the transaction's time.
      const oldestNs = batch.reduce((min, m) => Math.min(min, m.info.timestampNanos), Infinity);
      this.logger.debug({ durable: this.options.durable, messages: batch.length, waited_ms: started - Math.floor(oldestNs / 1e6), store_ms: Date.now() - started, redelivered: batch.some((m) => m.redelivered) }, 'batch stored');
    }
    if (unreadable > 0) this.counters.unreadable(unreadable);
    return true;
  }

  /** Nothing of the batch stored: its messages come back after the retry delay. */
  private async refuse(batch: JsMsg[], e: unknown): Promise<false> {
    this.counters.storeFailed();
    this.logger.warn({ err: e, messages: batch.length, durable: this.options.durable }, 'events not stored; they come back after a delay');
    for (const m of batch) m.nak(this.options.retryDelayMs);
    await sleep(this.options.retryDelayMs);
    return false;
  }
}

/** Idle heartbeat the server sends on a waiting pull (nats.js's minimum). */
const HEARTBEAT_MS = 500;
/** How long a batch stays open for more messages after its first. */
const GATHER_MS = 20;
const CLOSED: unique symbol = Symbol('closed');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
