/**
 * The accounting consumer: a durable JetStream pull consumer on the transaction events of the
 * SIPMESH_EVENTS stream. Each fetched batch becomes accounting rows written in one PostgreSQL
 * transaction, and its messages are acknowledged only after the commit; when the database is down
 * nothing is acknowledged (the messages come back after a delay) and the consumer retries until it
 * is up, catching up from where it stood. Every accounting instance binds to the same durable name,
 * so they share the work and a restart resumes where the last acknowledgement left off.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeEvents, EVENTS_STREAM, subjects, type ContractValidators } from '@sipmesh/contracts';
import type { Logger } from '@sipmesh/runtime';
import { accRows, type AccRow } from './acc-rows.js';
import type { AccStore } from './acc-store.js';

export interface ConsumerOptions {
  readonly natsUrl: string;
  /** Durable consumer name, shared by every accounting instance. */
  readonly durable: string;
  /** Where a new durable consumer starts: the whole stream, or events from now on. */
  readonly startAt: 'all' | 'new';
  readonly batchSize: number;
  /** How long a fetch waits for messages, ms. */
  readonly fetchWaitMs: number;
  /** Delay before a batch that could not be stored is delivered again, ms. */
  readonly retryDelayMs: number;
}

export interface ConsumerCounters {
  /** Events read, by outcome: accounted (gave rows), ignored (no flag that applies), invalid. */
  events(outcome: 'accounted' | 'ignored' | 'invalid', n: number): void;
  rows(table: 'acc' | 'missed_calls', n: number): void;
  storeFailed(): void;
}

export class EventConsumer {
  private nc: NatsConnection | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly store: AccStore,
    private readonly validators: ContractValidators,
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
      filter_subject: subjects.events.transactionCompleted,
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
        while (this.running) {
          const batch: JsMsg[] = [];
          const messages = await consumer.fetch({ max_messages: this.options.batchSize, expires: this.options.fetchWaitMs });
          for await (const m of messages) batch.push(m);
          if (batch.length > 0) await this.handle(batch);
        }
      } catch (e) {
        if (!this.running) return;
        const missing = e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;
        this.logger.warn({ err: e }, missing ? 'event stream not there yet (no edge has started); waiting' : 'event consumer failed; retrying');
        await sleep(1000);
      }
    }
  }

  /** Rows of the batch stored in one transaction, then every message acknowledged; or none. */
  private async handle(batch: JsMsg[]): Promise<void> {
    const acc: AccRow[] = [];
    const missed: AccRow[] = [];
    let accounted = 0;
    let ignored = 0;
    let invalid = 0;
    for (const m of batch) {
      let events: unknown[];
      try {
        events = decodeEvents(m.data);
      } catch (e) {
        invalid++;
        this.logger.warn({ err: e, seq: m.seq }, 'unreadable event message; skipped');
        continue;
      }
      for (const raw of events) {
        const v = this.validators.transactionCompleted(raw);
        if (!v.ok) {
          invalid++;
          this.logger.warn({ errors: v.errors, seq: m.seq }, 'transaction event out of contract; skipped');
          continue;
        }
        const rows = accRows(v.value);
        if (rows.acc) acc.push(rows.acc);
        if (rows.missed) missed.push(rows.missed);
        if (rows.acc || rows.missed) accounted++;
        else ignored++;
      }
    }
    try {
      const stored = await this.store.write({ acc, missed });
      this.counters.rows('acc', stored.acc);
      this.counters.rows('missed_calls', stored.missed);
    } catch (e) {
      this.counters.storeFailed();
      this.logger.warn({ err: e, messages: batch.length }, 'accounting rows not stored; the events come back after a delay');
      for (const m of batch) m.nak(this.options.retryDelayMs);
      await sleep(this.options.retryDelayMs);
      return;
    }
    for (const m of batch) m.ack();
    this.counters.events('accounted', accounted);
    this.counters.events('ignored', ignored);
    this.counters.events('invalid', invalid);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
