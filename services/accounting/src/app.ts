/**
 * A running accounting service: the tables migrated, two durable consumers on the event stream —
 * transaction events into acc / missed_calls rows, dialog events into CDRs (freeing the call-limit
 * slots of calls that ended) — and metrics.
 */
import { createValidators, subjects } from '@sipmesh/contracts';
import { declareMetrics, RedisCallProfiles, type Logger } from '@sipmesh/runtime';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { AccSink } from './acc-sink.js';
import { AccStore, openDatabase } from './acc-store.js';
import { CdrSink, type CallSlots } from './cdr-sink.js';
import { CdrStore } from './cdr-store.js';
import type { AccountingConfig } from './config/accounting-config.js';
import { EventConsumer } from './event-consumer.js';

export interface AccountingApp {
  /** The database pool (the CDR query API reads through it). */
  readonly pool: pg.Pool;
  stop(): Promise<void>;
}

export interface AccountingAppOptions {
  config: AccountingConfig;
  logger: Logger;
  registry: Registry;
  /** Where the routers count concurrent calls; ended calls leave it. */
  slots?: CallSlots;
}

export async function createAccountingApp(options: AccountingAppOptions): Promise<AccountingApp> {
  const { config, logger } = options;
  if (config.nats.url === '') throw new Error('accounting reads the event stream of NATS JetStream: set nats.url (the embedded mode writes CDRs to files instead)');
  const metrics = declareMetrics(options.registry, {
    sipmesh_accounting_events_total: { type: 'counter', help: 'Transaction events read, by outcome (accounted, ignored: no accounting flag that applies, invalid)', labelNames: ['outcome'] },
    sipmesh_accounting_rows_total: { type: 'counter', help: 'Rows stored, by table (a redelivered event adds none)', labelNames: ['table'] },
    sipmesh_accounting_dialog_events_total: { type: 'counter', help: 'Dialog events read, by outcome (stored into cdrs, invalid)', labelNames: ['outcome'] },
    sipmesh_accounting_calls_closed_by_reset_total: { type: 'counter', help: 'Open calls closed because their edge restarted (hangup edge-restarted)' },
    sipmesh_accounting_store_failures_total: { type: 'counter', help: 'Batches the database refused (their events come back later)', labelNames: ['consumer'] },
    sipmesh_accounting_unreadable_messages_total: { type: 'counter', help: 'Event messages that were not JSON lines (skipped)' },
  });
  // a connection per transaction in flight of both consumers, and two for reading CDRs
  const pool = await openDatabase(config.database.url, config.database.migrate, 2 * config.consumer.concurrency + 2);
  let ownSlots: RedisCallProfiles | undefined;
  if (options.slots === undefined && config.calls.store === 'redis') {
    try {
      ownSlots = await RedisCallProfiles.connect({ url: config.calls.redisUrl, keyPrefix: config.calls.keyPrefix, connectionName: `accounting-${config.id}` });
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
  }
  const slots = options.slots ?? ownSlots;
  const validators = createValidators();
  const c = config.consumer;
  const common = { natsUrl: config.nats.url, startAt: c.startAt, batchSize: c.batchSize, concurrency: c.concurrency, fetchWaitMs: c.fetchWaitMs, retryDelayMs: c.retryDelayMs };
  const counters = (consumer: string): ConstructorParameters<typeof EventConsumer>[2] => ({
    unreadable: (n) => metrics.sipmesh_accounting_unreadable_messages_total.inc(n),
    storeFailed: () => metrics.sipmesh_accounting_store_failures_total.inc({ consumer }),
  });
  const acc = new EventConsumer(
    { ...common, durable: c.durable, filterSubject: subjects.events.transactionCompleted },
    new AccSink(
      new AccStore(pool),
      validators,
      {
        events: (outcome, n) => metrics.sipmesh_accounting_events_total.inc({ outcome }, n),
        rows: (table, n) => metrics.sipmesh_accounting_rows_total.inc({ table }, n),
      },
      logger,
    ),
    counters('acc'),
    logger,
  );
  const calls = new EventConsumer(
    { ...common, durable: `${c.durable}-calls`, filterSubject: subjects.events.dialogAll },
    new CdrSink(
      new CdrStore(pool),
      slots,
      validators,
      {
        events: (outcome, n) => metrics.sipmesh_accounting_dialog_events_total.inc({ outcome }, n),
        closedByReset: (n) => metrics.sipmesh_accounting_calls_closed_by_reset_total.inc(n),
      },
      logger,
    ),
    counters('cdrs'),
    logger,
  );
  try {
    await acc.start();
    await calls.start();
  } catch (e) {
    await acc.stop();
    await pool.end().catch(() => undefined);
    await ownSlots?.close();
    throw e;
  }
  logger.info({ durable: c.durable, calls: `${c.durable}-calls` }, 'accounting consumers started');
  return {
    pool,
    stop: async () => {
      await acc.stop();
      await calls.stop();
      await pool.end();
      await ownSlots?.close();
    },
  };
}
