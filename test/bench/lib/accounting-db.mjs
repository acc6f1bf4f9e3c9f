/**
 * The accounting bench's PostgreSQL side: its own database made afresh with the service's
 * migrations, the CPU the server spends for it, the checks of what an ingest stored, and the
 * bench-only trigger that timestamps the moment a CDR gets its end.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from '@sipmesh/runtime';
import { descendantsOf, processTicks } from './process-cpu.mjs';

const MIGRATIONS = new URL('../../../services/accounting/migrations/', import.meta.url);

/** The bench database, empty, with the accounting tables (the service's own migrations). */
export async function freshDatabase(pgUrl, database) {
  const admin = new pg.Client({ connectionString: `${pgUrl}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${database}`);
    // a refused batch must not copy its statement (megabytes of VALUES) into the server's log every retry
    await admin.query(`ALTER DATABASE ${database} SET log_min_error_statement = panic`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: `${pgUrl}/${database}`, max: 2 });
  // an idle connection that the server ends (other tests may terminate backends): the next query reports it
  pool.on('error', () => undefined);
  await runMigrations(pool, { dir: MIGRATIONS, scope: 'accounting' });
  return pool;
}

/** Why the bench cannot use the PostgreSQL server at `pgUrl` (null when it can). */
export async function postgresProblem(pgUrl) {
  const client = new pg.Client({ connectionString: `${pgUrl}/postgres`, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return `no PostgreSQL at ${pgUrl} (${e.message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropDatabase(pgUrl, database) {
  const admin = new pg.Client({ connectionString: `${pgUrl}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * CPU ticks the PostgreSQL server spends for `database`: its backends and the server's own
 * processes (WAL writer, checkpointer, autovacuum ...), not the backends of other databases.
 * Processes are found under the postmaster (postmaster.pid in the data directory; needs a local
 * server readable by this user), or else through pg_stat_activity (backends only). Counted from
 * `start()`; a process that ends keeps its last reading.
 */
export function postgresTicks(pool, database) {
  let postmaster = null;
  const base = new Map();
  const last = new Map();
  const ours = async () => {
    if (postmaster === null) {
      return (await pool.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])).rows.map((r) => r.pid);
    }
    const out = [];
    for (const pid of descendantsOf(postmaster)) {
      let cmd;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
      } catch {
        continue;
      }
      // a client backend: "postgres: 15/main: <user> <database> <address>(<port>) <state>"
      const backend = /^postgres: [^:]+: \S+ (\S+) (?:[0-9a-f.:]+\(\d+\)|\[local\])/.exec(cmd);
      if (!backend || backend[1] === database) out.push(pid);
    }
    return out;
  };
  return {
    async start() {
      try {
        const dir = (await pool.query('SHOW data_directory')).rows[0].data_directory;
        const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid > 0 && processTicks(pid) >= 0) postmaster = pid;
      } catch {
        postmaster = null; // not local or not readable: backends only
      }
      for (const pid of await ours().catch(() => [])) base.set(pid, processTicks(pid));
    },
    async poll() {
      // a failed look-up (connection ended by someone else) skips this reading
      for (const pid of await ours().catch(() => [])) {
        const t = processTicks(pid);
        if (t > 0) last.set(pid, Math.max(t, last.get(pid) ?? 0));
      }
    },
    total: () => [...last].reduce((sum, [pid, t]) => sum + t - (base.get(pid) ?? 0), 0),
    scope: () => (postmaster === null ? 'backends' : 'backends + server processes'),
  };
}

/** What the tables hold after an ingest, against what the events should give. */
export async function verifyIngest(pool, expected) {
  const acc = (await pool.query('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids, count(DISTINCT (callid, method))::int AS calls FROM acc')).rows[0];
  const missed = (await pool.query('SELECT count(*)::int AS n FROM missed_calls')).rows[0];
  const cdrs = (
    await pool.query(
      `SELECT count(*)::int AS n, count(DISTINCT dialog_id)::int AS ids,
         count(*) FILTER (WHERE start_time IS NOT NULL AND answer_time IS NOT NULL AND end_time IS NOT NULL AND disposition = 'answered'
                            AND hangup IN ('caller', 'callee') AND sip_code = 200 AND bye_code = 200)::int AS complete,
         coalesce(round(sum(duration) * 1000), 0)::bigint AS duration_ms
       FROM cdrs`,
    )
  ).rows[0];
  const problems = [];
  if (acc.n !== expected.accRows) problems.push(`acc rows ${acc.n}, expected ${expected.accRows}`);
  if (acc.ids !== acc.n || acc.calls !== acc.n) problems.push(`acc: ${acc.n} rows but ${acc.ids} event ids and ${acc.calls} (callid, method) pairs`);
  if (missed.n !== 0) problems.push(`missed_calls rows ${missed.n}, expected 0`);
  if (cdrs.n !== expected.cdrs) problems.push(`cdrs rows ${cdrs.n}, expected ${expected.cdrs}`);
  if (cdrs.ids !== cdrs.n) problems.push(`cdrs: ${cdrs.n} rows but ${cdrs.ids} dialog ids`);
  if (cdrs.complete !== expected.cdrs) problems.push(`complete CDRs ${cdrs.complete}, expected ${expected.cdrs}`);
  if (Number(cdrs.duration_ms) !== expected.totalDurationMs) problems.push(`sum of CDR durations ${cdrs.duration_ms} ms, expected ${expected.totalDurationMs} ms`);
  return { ok: problems.length === 0, problems, acc_rows: acc.n, missed_calls_rows: missed.n, cdrs: cdrs.n, complete_cdrs: cdrs.complete };
}


/**
 * In the bench database only: `bench_cdr_end` gets a CDR's end_time and clock_timestamp() when its
 * end_time goes from NULL to a value (a row inserted ended, or updated), inside the writing transaction.
 */
const CDR_END_TRIGGER = `
CREATE TABLE bench_cdr_end (dialog_id VARCHAR(20) PRIMARY KEY, end_time TIMESTAMPTZ NOT NULL, stored_at TIMESTAMPTZ NOT NULL);
CREATE FUNCTION bench_cdr_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.end_time IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.end_time IS NULL) THEN
    INSERT INTO bench_cdr_end VALUES (NEW.dialog_id, NEW.end_time, clock_timestamp()) ON CONFLICT (dialog_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bench_cdr_end AFTER INSERT OR UPDATE ON cdrs FOR EACH ROW EXECUTE FUNCTION bench_cdr_end();
`;

export async function installCdrEndTrigger(pool) {
  await pool.query(CDR_END_TRIGGER);
}
