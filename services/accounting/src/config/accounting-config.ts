/**
 * Accounting configuration: the PostgreSQL database the rows go to, the durable consumer of the
 * event stream, plus the common service sections (NATS, admin HTTP for metrics, logs, tracing).
 */
import { serviceConfigSections, serviceEnvMap, type ServiceConfig } from '@sipmesh/runtime';

export const ACCOUNTING_ADMIN_PORT = 9072;

export const accountingConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'accounting1', description: 'Accounting instance id (logs, metrics, NATS connection name)' },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/sipmesh', description: "PostgreSQL of the acc and missed_calls tables (Kamailio's columns plus the book's extras)" },
        migrate: { type: 'boolean', default: true, description: 'Create the tables, or add the missing columns to tables made by kamdbctl, at start' },
      },
    },
    consumer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        durable: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'sipmesh-accounting', description: 'Durable consumer name on the event stream, shared by every accounting instance (they split the work; a restart resumes where it stood)' },
        startAt: {
          enum: ['all', 'new'],
          default: 'all',
          description: 'Where a durable consumer that does not exist yet starts: all (every event the stream still holds, so nothing published before accounting first started is lost) or new (events from now on); an existing consumer resumes where it stood',
        },
        batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 40, description: 'Event messages (each up to the edge events.batch.maxEvents events, 100 by default) stored in one database transaction and acknowledged together. 40 measured best on the ingest benchmark; 500 or more was four times slower (pulls of that many ~80 KB messages overrun nats-server\'s 64 MiB slow-consumer limit)' },
        concurrency: { type: 'integer', minimum: 1, maximum: 8, default: 2, description: 'Batches of one consumer stored at once, each in its own transaction (a batch with an edge reset is stored alone, in order). 2 measured 30 % faster than 1 on the ingest benchmark on 2 cores' },
        fetchWaitMs: { type: 'integer', minimum: 1000, maximum: 60000, default: 30000, 'x-unit': 'ms', description: 'How long each pull request waits on the server; messages are stored as they arrive (a batch closes 20 ms after its first message, or at batchSize). nats-server 2.9 sometimes lets a pull expire without telling the client, which then pulls again only after two missed heartbeats (1-1.5 s): a long expiry makes that rare (1,000 gave a 1.5 s pause in about one run of three of the BYE-to-CDR benchmark)' },
        retryDelayMs: { type: 'integer', minimum: 100, maximum: 600000, default: 2000, 'x-unit': 'ms', description: 'When the database refuses a batch: the delay before its events come back' },
      },
    },
    calls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "The routers' concurrent-call counts (rules with `limit`): calls that end leave them",
      properties: {
        store: { enum: ['none', 'redis'], default: 'none', description: "none: no call limits are counted; redis: the routers' calls.store redis (same URL and key prefix)" },
        redisUrl: { type: 'string', default: 'redis://127.0.0.1:6379', description: "Redis of the routers' call profiles" },
        keyPrefix: { type: 'string', default: 'sipmesh:calls:', description: "The routers' calls.keyPrefix" },
      },
    },
    ...serviceConfigSections({ adminPort: ACCOUNTING_ADMIN_PORT }),
  },
} as const;

export interface AccountingConfig extends ServiceConfig {
  id: string;
  database: { url: string; migrate: boolean };
  consumer: { durable: string; startAt: 'all' | 'new'; batchSize: number; concurrency: number; fetchWaitMs: number; retryDelayMs: number };
  calls: { store: 'none' | 'redis'; redisUrl: string; keyPrefix: string };
}

export const accountingEnvMap = {
  ...serviceEnvMap,
  SIPMESH_ACCOUNTING_ID: 'id',
  SIPMESH_ACCOUNTING_DATABASE_URL: 'database.url',
  SIPMESH_ACCOUNTING_CALLS_STORE: 'calls.store',
  SIPMESH_ACCOUNTING_CALLS_REDIS_URL: 'calls.redisUrl',
} as const;
