/**
 * Writes accounting rows to PostgreSQL, a batch in one transaction: either every row of the batch
 * is stored or none is, and a row whose event was stored before (a redelivery) is skipped by its
 * unique event_id, so the consumer acknowledges a batch only after its commit and loses or doubles
 * nothing.
 */
import { runMigrations } from '@sipmesh/runtime';
import pg from 'pg';

/** The accounting database: one small pool for both consumers' transactions and the CDR reads, the migrations run once at open. */
export async function openDatabase(url: string, migrate: boolean, connections = 4): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: connections });
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
 * One INSERT for any number of rows: the rows go as one JSON parameter that PostgreSQL unpacks with
 * json_to_recordset (no 65,535-parameter limit as with a VALUES list, and JSON.stringify is native
 * where pg's array serialisation of one parameter per column is not). A Date becomes ISO text in
 * UTC, which a TIMESTAMP column (without time zone, Kamailio's) reads as the same UTC time.
 */
async function insert(client: pg.PoolClient, table: 'acc' | 'missed_calls', rows: readonly AccRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await client.query(`INSERT INTO ${table} (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM json_to_recordset($1::json) AS r(${RECORD_TYPE}) ON CONFLICT (event_id) DO NOTHING`, [JSON.stringify(rows)]);
  return res.rowCount ?? 0;
}

const COLUMN_LIST = COLUMNS.join(', ');
const RECORD_TYPE = COLUMNS.map((c) => `${c} ${c === 'time' ? 'timestamp' : 'text'}`).join(', ');
