/**
 * A running accounting service: the tables migrated, the durable consumer turning transaction
 * events into acc / missed_calls rows, metrics.
 */
import { createValidators } from '@sipmesh/contracts';
import { declareMetrics, type Logger } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import { AccStore } from './acc-store.js';
import type { AccountingConfig } from './config/accounting-config.js';
import { EventConsumer } from './event-consumer.js';

export interface AccountingApp {
  stop(): Promise<void>;
}

export async function createAccountingApp(options: { config: AccountingConfig; logger: Logger; registry: Registry }): Promise<AccountingApp> {
  const { config, logger } = options;
  if (config.nats.url === '') throw new Error('accounting reads the event stream of NATS JetStream: set nats.url (embedded mode has no accounting yet)');
  const metrics = declareMetrics(options.registry, {
    sipmesh_accounting_events_total: { type: 'counter', help: 'Transaction events read, by outcome (accounted, ignored: no accounting flag that applies, invalid)', labelNames: ['outcome'] },
    sipmesh_accounting_rows_total: { type: 'counter', help: 'Rows stored, by table (a redelivered event adds none)', labelNames: ['table'] },
    sipmesh_accounting_store_failures_total: { type: 'counter', help: 'Batches the database refused (their events come back later)' },
  });
  const store = await AccStore.open(config.database.url, config.database.migrate);
  const consumer = new EventConsumer(
    { natsUrl: config.nats.url, durable: config.consumer.durable, startAt: config.consumer.startAt, batchSize: config.consumer.batchSize, fetchWaitMs: config.consumer.fetchWaitMs, retryDelayMs: config.consumer.retryDelayMs },
    store,
    createValidators(),
    {
      events: (outcome, n) => metrics.sipmesh_accounting_events_total.inc({ outcome }, n),
      rows: (table, n) => metrics.sipmesh_accounting_rows_total.inc({ table }, n),
      storeFailed: () => metrics.sipmesh_accounting_store_failures_total.inc(),
    },
    logger,
  );
  await consumer.start();
  logger.info({ durable: config.consumer.durable }, 'accounting consumer started');
  return {
    stop: async () => {
      await consumer.stop();
      await store.close();
    },
  };
}
