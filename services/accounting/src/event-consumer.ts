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
  /** How long a fetch waits for messages, ms. */
  readonly fetchWaitMs: number;
  /** Delay before a batch that could not be stored is delivered again, ms. */
  readonly retryDelayMs: number;
}

/** Events of one fetched batch, in stream order, each with the subject of its message. */
export interface EventBatch {
  readonly events: readonly { readonly subject: string; readonly event: unknown }[];
}

/** Stores a batch (in one transaction); throws when it cannot, and then nothing of it was stored. */
export interface BatchSink {
  store(batch: EventBatch): Promise<void>;
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
    private readonly sink: BatchSink,
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
        // consume() keeps up to two batches flowing from the server while one is being stored.
        const messages = await consumer.consume({ max_messages: this.options.batchSize * 2, expires: Math.max(this.options.fetchWaitMs, 1000) });
        this.messages = messages;
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

  /**
   * Batches from the message flow: the first message opens a batch, which takes what else has
   * arrived and closes at batchSize or `gatherMs` later, so an event is stored within a few
   * milliseconds at low rates and in large batches at high ones.
   */
  private async batches(it: AsyncIterator<JsMsg>): Promise<void> {
    let pending: Promise<IteratorResult<JsMsg>> | undefined;
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
      await this.handle(batch);
    }
  }

  /** The batch stored by the sink, then every message acknowledged; or none. */
  private async handle(batch: JsMsg[]): Promise<void> {
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
      await this.sink.store({ events });
    } catch (e) {
      this.counters.storeFailed();
      this.logger.warn({ err: e, messages: batch.length, durable: this.options.durable }, 'events not stored; they come back after a delay');
      for (const m of batch) m.nak(this.options.retryDelayMs);
      await sleep(this.options.retryDelayMs);
      return;
    }
    for (const m of batch) m.ack();
    if (unreadable > 0) this.counters.unreadable(unreadable);
  }
}

/** How long a batch stays open for more messages after its first. */
const GATHER_MS = 20;
const CLOSED: unique symbol = Symbol('closed');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
