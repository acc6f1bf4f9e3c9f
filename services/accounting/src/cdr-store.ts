/**
 * The `cdrs` table: merged call patches upserted by dialog_id with the merge rules of cdr-rows.ts
 * written again in SQL (a row may already hold what earlier batches brought), BYEs seen by an
 * edge that forgot the call, and the closing of an edge's open calls when it announces a restart.
 * A batch is one transaction: the caller's `beforeCommit` (freeing call-limit slots) runs inside
 * it, so a failure there stores nothing and the batch comes back.
 */
import type pg from 'pg';
import { inTransaction } from './acc-store.js';
import { CDR_PATCH_COLUMNS, PROVISIONAL_HANGUPS, type CdrPatch, type RecoveredEnd } from './cdr-rows.js';

/** A run of a batch: call patches and recovered ends, then (optionally) an edge's reset. */
export interface CdrStep {
  readonly patches: readonly CdrPatch[];
  readonly recovered: readonly RecoveredEnd[];
  readonly reset?: { readonly edge: string; readonly time: Date };
}

export interface CdrWriteResult {
  /** Rows inserted or changed by patches. */
  upserted: number;
  /** Calls closed by edge resets (hangup edge-restarted). */
  closed: string[];
}

const COLUMNS = CDR_PATCH_COLUMNS;

const TEXT_FILLED_ONCE = ['callid', 'from_tag', 'to_tag', 'caller', 'caller_user', 'caller_domain', 'callee', 'callee_user', 'callee_domain', 'src_ip', 'answered_ruri', 'dst_uri', 'sip_reason', 'edge', 'policy', 'trace_id'];
const END_COLUMNS = ['end_time', 'duration', 'disposition', 'hangup', 'bye_code'];
const PROVISIONAL = PROVISIONAL_HANGUPS.map((h) => `'${h}'`).join(', ');
const TAKES_END = `(EXCLUDED.end_time IS NOT NULL AND (cdrs.end_time IS NULL OR (cdrs.hangup IN (${PROVISIONAL}) AND EXCLUDED.hangup NOT IN (${PROVISIONAL}))))`;
const ON_CONFLICT = [
  ...TEXT_FILLED_ONCE.map((c) => `${c} = CASE WHEN cdrs.${c} = '' THEN EXCLUDED.${c} ELSE cdrs.${c} END`),
  'start_time = LEAST(cdrs.start_time, EXCLUDED.start_time)',
  'answer_time = LEAST(cdrs.answer_time, EXCLUDED.answer_time)',
  'sip_code = CASE WHEN EXCLUDED.end_time IS NOT NULL AND EXCLUDED.sip_code IS NOT NULL THEN EXCLUDED.sip_code ELSE COALESCE(cdrs.sip_code, EXCLUDED.sip_code) END',
  "extra = CASE WHEN cdrs.extra = '{}'::jsonb THEN EXCLUDED.extra ELSE cdrs.extra END",
  ...END_COLUMNS.map((c) => `${c} = CASE WHEN ${TAKES_END} THEN EXCLUDED.${c} ELSE cdrs.${c} END`),
].join(', ');
/** Column types other than text, for json_to_recordset. */
const SQL_TYPE: Partial<Record<(typeof COLUMNS)[number], string>> = {
  start_time: 'timestamptz',
  answer_time: 'timestamptz',
  end_time: 'timestamptz',
  duration: 'float8',
  sip_code: 'int2',
  bye_code: 'int2',
  extra: 'jsonb',
};
const COLUMN_LIST = COLUMNS.join(', ');
const RECORD_TYPE = COLUMNS.map((c) => `${c} ${SQL_TYPE[c] ?? 'text'}`).join(', ');

const DURATION_TO = (end: string): string => `CASE WHEN answer_time IS NULL THEN 0 ELSE GREATEST(0, EXTRACT(EPOCH FROM (${end} - answer_time))) END`;

export class CdrStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Applies the steps in order in one transaction; `beforeCommit` gets every call that ended or was closed. */
  async write(steps: readonly CdrStep[], ended: readonly string[], beforeCommit: (endedOrClosed: string[]) => Promise<void>): Promise<CdrWriteResult> {
    return inTransaction(this.pool, async (client) => {
      let upserted = 0;
      const closed: string[] = [];
      for (const step of steps) {
        upserted += await upsert(client, step.patches);
        for (const r of step.recovered) await applyRecovered(client, r);
        if (step.reset) closed.push(...(await closeEdge(client, step.reset.edge, step.reset.time)));
      }
      await beforeCommit([...ended, ...closed]);
      return { upserted, closed };
    });
  }
}

/**
 * One upsert for the step's patches: the rows as one JSON parameter unpacked by json_to_recordset
 * (no 65,535-parameter limit, and native JSON.stringify instead of pg's array serialisation).
 */
async function upsert(client: pg.PoolClient, patches: readonly CdrPatch[]): Promise<number> {
  if (patches.length === 0) return 0;
  // Rows locked in dialog_id order: two batches stored at once cannot wait on each other in a cycle.
  const sorted = [...patches].sort((a, b) => (a.dialog_id < b.dialog_id ? -1 : a.dialog_id > b.dialog_id ? 1 : 0));
  const res = await client.query(`INSERT INTO cdrs (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM json_to_recordset($1::json) AS r(${RECORD_TYPE}) ON CONFLICT (dialog_id) DO UPDATE SET ${ON_CONFLICT}`, [JSON.stringify(sorted)]);
  return res.rowCount ?? 0;
}

/**
 * A BYE seen by an edge that forgot the call: ends the row unless a real end is there already. A
 * BYE means the call was answered (RFC 3261 §15: no BYE before the 2xx); when the answer event
 * was lost with the crashed edge, the answer time and the duration stay unknown (NULL).
 */
async function applyRecovered(client: pg.PoolClient, r: RecoveredEnd): Promise<void> {
  await client.query('INSERT INTO cdrs (dialog_id, callid, edge) VALUES ($1, $2, $3) ON CONFLICT (dialog_id) DO NOTHING', [r.dialog_id, r.callid, r.edge]);
  await client.query(
    `UPDATE cdrs SET end_time = $2, bye_code = $3,
       hangup = CASE WHEN from_tag = '' THEN NULL WHEN from_tag = $4 THEN 'caller' ELSE 'callee' END,
       disposition = 'answered',
       duration = CASE WHEN answer_time IS NULL THEN NULL ELSE GREATEST(0, EXTRACT(EPOCH FROM ($2::timestamptz - answer_time))) END
     WHERE dialog_id = $1 AND (end_time IS NULL OR hangup IN (${PROVISIONAL}))`,
    [r.dialog_id, r.end_time, r.bye_code, r.bye_from_tag],
  );
}

/** An edge restarted at `time`: its calls still open end then (hangup edge-restarted). */
async function closeEdge(client: pg.PoolClient, edge: string, time: Date): Promise<string[]> {
  const res = await client.query<{ dialog_id: string }>(
    `UPDATE cdrs SET end_time = $2, hangup = 'edge-restarted',
       disposition = CASE WHEN answer_time IS NULL THEN 'unfinished' ELSE 'answered' END,
       duration = ${DURATION_TO('$2::timestamptz')}
     WHERE edge = $1 AND end_time IS NULL AND (start_time IS NULL OR start_time < $2)
     RETURNING dialog_id`,
    [edge, time],
  );
  return res.rows.map((r) => r.dialog_id);
}
