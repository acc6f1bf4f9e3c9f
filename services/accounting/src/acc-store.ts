/**
 * Writes accounting rows to PostgreSQL, a batch in one transaction: either every row of the batch
 * is stored or none is, and a row whose event was stored before (a redelivery) is skipped by its
 * unique event_id, so the consumer acknowledges a batch only after its commit and loses or doubles
 * nothing.
 */
import { runMigrations } from '@sipmesh/runtime';
import pg from 'pg';

/** The accounting database: one small pool for both writers and the CDR reads, the migrations run once at open. */
export async function openDatabase(url: string, migrate: boolean): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined); // an idle client's error: the next query reports it
  try {
    if (migrate) await runMigrations(pool, { dir: new URL('../migrations/', import.meta.url), scope: 'accounting' });
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return pool;
}

/**
 * Runs `work` in one transaction on a pooled connection: committed when it resolves, rolled back
 * when it throws. A connection that breaks while checked out (the database restarts, the network
 * drops it) emits 'error' on its client, which must be handled or the process dies; the query in
 * flight fails too, which is how the caller learns of it.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    broken = e instanceof Error ? e : new Error(String(e));
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.off('error', ignore);
    // a connection that failed is not given back for reuse
    client.release(broken);
  }
}
import type { AccRow } from './acc-rows.js';

const COLUMNS = ['event_id', 'method', 'from_tag', 'to_tag', 'callid', 'sip_code', 'sip_reason', 'time', 'src_user', 'src_domain', 'src_ip', 'dst_ouser', 'dst_user', 'dst_domain'] as const;

export interface AccBatch {
  readonly acc: readonly AccRow[];
  readonly missed: readonly AccRow[];
}

export class AccStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores the batch in one transaction; resolves to the rows actually inserted (not seen before). */
  async write(batch: AccBatch): Promise<{ acc: number; missed: number }> {
    if (batch.acc.length === 0 && batch.missed.length === 0) return { acc: 0, missed: 0 };
    return inTransaction(this.pool, async (client) => ({ acc: await insert(client, 'acc', batch.acc), missed: await insert(client, 'missed_calls', batch.missed) }));
  }
}

/**
 * One INSERT for any number of rows: each column goes as one array parameter, unnested (a VALUES
 * list would need a parameter per value, and PostgreSQL takes at most 65,535 of them).
 */
async function insert(client: pg.PoolClient, table: 'acc' | 'missed_calls', rows: readonly AccRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const columns = COLUMNS.map((c) => rows.map((r) => (c === 'time' ? toUtcTimestamp(r.time) : r[c])));
  const unnest = COLUMNS.map((c, j) => `$${j + 1}::${c === 'time' ? 'timestamp' : 'text'}[]`).join(', ');
  const res = await client.query(`INSERT INTO ${table} (${COLUMNS.join(', ')}) SELECT * FROM unnest(${unnest}) ON CONFLICT (event_id) DO NOTHING`, columns);
  return res.rowCount ?? 0;
}

/** `time` is TIMESTAMP WITHOUT TIME ZONE (Kamailio's): written as UTC text. */
function toUtcTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
