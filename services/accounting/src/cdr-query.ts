/**
 * The read side of the `cdrs` table on the accounting service's admin HTTP API: `GET /cdrs`
 * (filters, newest first, JSON or CSV) and `GET /cdrs/:dialog_id`. Every value reaches SQL as a
 * parameter; only fixed column names and placeholders are written into the statement.
 *
 * Paging is by keyset on (start_time, id), not OFFSET: a cursor is a position in that order, so
 * calls added while a client pages land before it and nothing after it shifts or repeats. The
 * cursor keeps start_time to the microsecond (PostgreSQL's precision; the answers show
 * milliseconds), so rows whose times differ below the millisecond still page exactly. A CSV export
 * runs the same keyset query in chunks of CSV_CHUNK_ROWS and writes each chunk as the client takes
 * it, rather than holding one server-side cursor: memory stays at one chunk whatever the export's
 * size and no connection or transaction stays open while a slow client reads; the price is that an
 * export is not one snapshot (a call ending meanwhile may show its new state; a new call is left
 * out, as it sorts before the export's position).
 */
import { isDialogId, type DialogEvent } from '@sipmesh/contracts';
import type { Express, Request, Response } from 'express';
import type pg from 'pg';
import { CDR_PATCH_COLUMNS } from './cdr-rows.js';

export const CdrQueryErrorCode = {
  badParameter: 'ACCOUNTING_ERR_BAD_PARAMETER',
  notFound: 'ACCOUNTING_ERR_CDR_NOT_FOUND',
  databaseUnavailable: 'ACCOUNTING_ERR_DATABASE_UNAVAILABLE',
} as const;
export type CdrQueryErrorCode = (typeof CdrQueryErrorCode)[keyof typeof CdrQueryErrorCode];

/** Thrown by the handlers; the admin server's error handler answers `{ error: { code, message } }` with `status`. */
export class CdrQueryError extends Error {
  constructor(
    readonly status: 400 | 404 | 503,
    readonly code: CdrQueryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Disposition = NonNullable<DialogEvent['disposition']>;
/** The contract's values plus `edge-restarted`, which accounting writes itself (edge.started). */
export type Hangup = NonNullable<DialogEvent['hangup']> | 'edge-restarted';
export const DISPOSITIONS = ['answered', 'busy', 'no-answer', 'cancelled', 'failed', 'unfinished'] as const satisfies readonly Disposition[];
export const HANGUPS = ['caller', 'callee', 'proxy', 'timeout', 'edge-stopped', 'edge-restarted'] as const satisfies readonly Hangup[];
// A value added to the contract fails the build here until it is listed above.
const _dispositionsListed: [Exclude<Disposition, (typeof DISPOSITIONS)[number]>] extends [never] ? true : never = true;
const _hangupsListed: [Exclude<Hangup, (typeof HANGUPS)[number]>] extends [never] ? true : never = true;

export const CDR_LIMIT_DEFAULT = 100;
export const CDR_LIMIT_MAX = 10_000;
/** Rows per query of a CSV export without `limit`. */
export const CSV_CHUNK_ROWS = 5_000;

/** The columns of an answer, in the table's order: the CSV header and the JSON keys. */
export const CDR_COLUMNS = ['id', ...CDR_PATCH_COLUMNS] as const;
const TIME_COLUMNS: ReadonlySet<string> = new Set(['start_time', 'answer_time', 'end_time']);

/** One CDR as answered: times in UTC as ISO 8601 with milliseconds, duration in seconds. */
export interface Cdr {
  id: number;
  dialog_id: string;
  callid: string;
  from_tag: string;
  to_tag: string;
  caller: string;
  caller_user: string;
  caller_domain: string;
  callee: string;
  callee_user: string;
  callee_domain: string;
  src_ip: string;
  answered_ruri: string;
  dst_uri: string;
  start_time: string | null;
  answer_time: string | null;
  end_time: string | null;
  duration: number | null;
  disposition: string | null;
  hangup: string | null;
  sip_code: number | null;
  sip_reason: string;
  bye_code: number | null;
  edge: string;
  policy: string;
  trace_id: string;
  extra: Record<string, unknown>;
}

/** A row as selected: id (BIGINT) as text, times as UTC text to the microsecond without zone. */
type CdrRow = Omit<Cdr, 'id'> & { id: string };

/**
 * Times are formatted by PostgreSQL, whatever the session's TimeZone and DateStyle. The text keeps
 * the column's name, so ORDER BY names the table's column (`cdrs.start_time`): a bare name would sort
 * by the text, which no index has.
 */
const SELECT_LIST = CDR_COLUMNS.map((c) => (TIME_COLUMNS.has(c) ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ${c}` : c)).join(', ');

export interface PartyMatch {
  readonly value: string;
  /** `value*`: the user or URI starts with value. */
  readonly prefix: boolean;
}

export interface CdrFilter {
  /** Inclusive, normalized `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  from?: string;
  /** Exclusive, same form. */
  to?: string;
  caller?: PartyMatch;
  callee?: PartyMatch;
  dispositions?: readonly Disposition[];
  hangups?: readonly Hangup[];
  edge?: string;
  callid?: string;
  /** true: no end_time yet; false: ended. */
  open?: boolean;
}

/** The position after a row: its start_time (UTC, microseconds, null when the row has none) and id. */
export interface CdrCursor {
  readonly startTime: string | null;
  readonly id: string;
}

export const CdrFormat = { json: 'json', csv: 'csv' } as const;
export type CdrFormat = (typeof CdrFormat)[keyof typeof CdrFormat];

export interface CdrQuery {
  filter: CdrFilter;
  /** Absent: 100 for JSON, every matching row for CSV. */
  limit?: number;
  cursor?: CdrCursor;
  format: CdrFormat;
}

const SINGLE_PARAMS = ['from', 'to', 'caller', 'callee', 'edge', 'callid', 'open', 'limit', 'cursor', 'format'] as const;
const LIST_PARAMS = ['disposition', 'hangup'] as const;
const KNOWN_PARAMS: ReadonlySet<string> = new Set([...SINGLE_PARAMS, ...LIST_PARAMS]);

function badParameter(name: string, message: string): CdrQueryError {
  return new CdrQueryError(400, CdrQueryErrorCode.badParameter, `parameter ${name}: ${message}`);
}

/** Validates the query string of `GET /cdrs`; throws a 400 CdrQueryError naming the parameter. */
export function parseCdrQuery(params: URLSearchParams, acceptsCsv = false): CdrQuery {
  for (const name of new Set(params.keys())) {
    if (!KNOWN_PARAMS.has(name)) throw badParameter(name, `unknown (known: ${[...KNOWN_PARAMS].join(', ')})`);
  }
  const single: Partial<Record<(typeof SINGLE_PARAMS)[number], string>> = {};
  for (const name of SINGLE_PARAMS) {
    const values = params.getAll(name);
    if (values.length > 1) throw badParameter(name, 'given more than once');
    const value = values[0];
    if (value === undefined) continue;
    if (value === '') throw badParameter(name, 'empty');
    // PostgreSQL refuses NUL in text; that must be the client's 400, not a database error.
    if (value.includes('\u0000')) throw badParameter(name, 'contains a NUL character');
    single[name] = value;
  }
  const filter: CdrFilter = {};
  if (single.from !== undefined) filter.from = parseTime('from', single.from);
  if (single.to !== undefined) filter.to = parseTime('to', single.to);
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) throw badParameter('to', `${single.to} is not after from (${single.from})`);
  if (single.caller !== undefined) filter.caller = parseParty('caller', single.caller);
  if (single.callee !== undefined) filter.callee = parseParty('callee', single.callee);
  const dispositions = parseList('disposition', params.getAll('disposition'), DISPOSITIONS);
  if (dispositions !== undefined) filter.dispositions = dispositions;
  const hangups = parseList('hangup', params.getAll('hangup'), HANGUPS);
  if (hangups !== undefined) filter.hangups = hangups;
  if (single.edge !== undefined) filter.edge = single.edge;
  if (single.callid !== undefined) filter.callid = single.callid;
  if (single.open !== undefined) {
    if (single.open !== 'true' && single.open !== 'false') throw badParameter('open', `expected true or false, got ${JSON.stringify(single.open)}`);
    filter.open = single.open === 'true';
  }
  let format: CdrFormat = acceptsCsv ? CdrFormat.csv : CdrFormat.json;
  if (single.format !== undefined) {
    if (single.format !== CdrFormat.json && single.format !== CdrFormat.csv) throw badParameter('format', `expected json or csv, got ${JSON.stringify(single.format)}`);
    format = single.format;
  }
  const query: CdrQuery = { filter, format };
  if (single.limit !== undefined) {
    const limit = /^\d{1,6}$/.test(single.limit) ? Number(single.limit) : NaN;
    if (!(limit >= 1 && limit <= CDR_LIMIT_MAX)) throw badParameter('limit', `expected an integer from 1 to ${CDR_LIMIT_MAX}, got ${JSON.stringify(single.limit)}`);
    query.limit = limit;
  }
  if (single.cursor !== undefined) query.cursor = decodeCursor(single.cursor);
  return query;
}

function parseParty(name: string, value: string): PartyMatch {
  if (!value.endsWith('*')) return { value, prefix: false };
  const prefix = value.slice(0, -1);
  if (prefix === '') throw badParameter(name, 'a prefix match needs at least one character before *');
  return { value: prefix, prefix: true };
}

function parseList<T extends string>(name: string, values: readonly string[], allowed: readonly T[]): T[] | undefined {
  if (values.length === 0) return undefined;
  const items = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw badParameter(name, `unknown value ${JSON.stringify(item)} (expected ${allowed.join(', ')})`);
  }
  // Every item was checked against `allowed` just above.
  return [...new Set(items)] as T[];
}

/**
 * ISO 8601 calendar date, optionally with a time and an offset: `2024-05-01`,
 * `2024-05-01T10:00:00Z`, `2024-05-01T12:00:00.5+02:00`. No offset means UTC (CDR times are UTC). A
 * space before the offset is read as `+`, since a `+` left unencoded in a query string arrives as a
 * space.
 */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+\- ]\d{2}(?::?\d{2})?)?)?$/;

/** Returns the instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (compares as text, parsed by PostgreSQL). */
export function parseTime(name: string, text: string): string {
  const m = ISO_TIME.exec(text);
  const bad = (): CdrQueryError => badParameter(name, `expected an ISO 8601 time such as 2024-05-01 or 2024-05-01T10:00:00Z, got ${JSON.stringify(text)}`);
  if (m === null) throw bad();
  const num = (i: number): number => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [num(1), num(2), num(3), num(4), num(5), num(6)];
  const fraction = (m[7] ?? '').slice(0, 6).padEnd(6, '0');
  const zone = m[8] ?? 'Z';
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) throw bad();
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const daysInMonth = month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw bad();
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are; setUTCHours carries the offset over.
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - offsetMinutes, second, 0);
  const iso = instant.toISOString();
  if (!/^\d{4}-/.test(iso)) throw bad(); // the offset moved it out of years 0000-9999
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const CURSOR_ID = /^[1-9]\d{0,18}$/;

export function encodeCursor(cursor: CdrCursor): string {
  return Buffer.from(JSON.stringify([cursor.startTime, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): CdrCursor {
  const bad = badParameter('cursor', 'not a cursor this API gave (pass the "next" of a previous answer unchanged)');
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw bad;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (!Array.isArray(value) || value.length !== 2) throw bad;
  const [startTime, id] = value as unknown[];
  if (!(startTime === null || (typeof startTime === 'string' && CURSOR_TIME.test(startTime))) || typeof id !== 'string' || !CURSOR_ID.test(id)) throw bad;
  return { startTime, id };
}

/** The WHERE clause of a query (empty when nothing restricts it); pushes its values. */
export function cdrWhere(filter: CdrFilter, cursor: CdrCursor | undefined, values: unknown[]): string {
  const param = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  const conds: string[] = [];
  if (filter.from !== undefined) conds.push(`start_time >= ${param(filter.from)}::timestamptz`);
  if (filter.to !== undefined) conds.push(`start_time < ${param(filter.to)}::timestamptz`);
  for (const [match, user, uri] of [
    [filter.caller, 'caller_user', 'caller'],
    [filter.callee, 'callee_user', 'callee'],
  ] as const) {
    if (match === undefined) continue;
    if (match.prefix) {
      const p = param(`${match.value.replace(/[\\%_]/g, '\\$&')}%`);
      conds.push(`(${user} LIKE ${p} ESCAPE '\\' OR ${uri} LIKE ${p} ESCAPE '\\')`);
    } else {
      const p = param(match.value);
      conds.push(`(${user} = ${p} OR ${uri} = ${p})`);
    }
  }
  if (filter.dispositions !== undefined) conds.push(`disposition = ANY(${param(filter.dispositions)}::text[])`);
  if (filter.hangups !== undefined) conds.push(`hangup = ANY(${param(filter.hangups)}::text[])`);
  if (filter.edge !== undefined) conds.push(`edge = ${param(filter.edge)}`);
  if (filter.callid !== undefined) conds.push(`callid = ${param(filter.callid)}`);
  if (filter.open !== undefined) conds.push(filter.open ? 'end_time IS NULL' : 'end_time IS NOT NULL');
  if (cursor !== undefined) {
    // After the cursor in ORDER BY start_time DESC, id DESC, where PostgreSQL puts NULL times first.
    const id = param(cursor.id);
    if (cursor.startTime === null) conds.push(`(start_time IS NOT NULL OR id < ${id}::bigint)`);
    else {
      const t = param(`${cursor.startTime}Z`);
      conds.push(`start_time <= ${t}::timestamptz AND (start_time < ${t}::timestamptz OR id < ${id}::bigint)`);
    }
  }
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

interface Page {
  rows: CdrRow[];
  /** Where the next page starts; absent on the last page. */
  next?: CdrCursor;
}

async function fetchPage(pool: pg.Pool, filter: CdrFilter, cursor: CdrCursor | undefined, limit: number): Promise<Page> {
  const values: unknown[] = [];
  const where = cdrWhere(filter, cursor, values);
  values.push(limit + 1);
  const rows = await query<CdrRow>(pool, `SELECT ${SELECT_LIST} FROM cdrs ${where} ORDER BY cdrs.start_time DESC, cdrs.id DESC LIMIT $${values.length}`, values);
  if (rows.length <= limit) return { rows };
  rows.length = limit;
  const last = rows[limit - 1];
  return last === undefined ? { rows } : { rows, next: { startTime: last.start_time, id: last.id } };
}

async function query<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: unknown[]): Promise<R[]> {
  try {
    return (await pool.query<R>(text, values)).rows;
  } catch (e) {
    throw new CdrQueryError(503, CdrQueryErrorCode.databaseUnavailable, `database unavailable: ${(e as Error).message}`);
  }
}

export function toCdr(row: CdrRow): Cdr {
  return { ...row, id: Number(row.id), start_time: isoMs(row.start_time), answer_time: isoMs(row.answer_time), end_time: isoMs(row.end_time) };
}

/** `2024-05-01T10:00:00.123456` (UTC) -> `2024-05-01T10:00:00.123Z` */
function isoMs(us: string | null): string | null {
  return us === null ? null : `${us.slice(0, 23)}Z`;
}

/** One field as RFC 4180 wants it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export const CSV_HEADER = `${CDR_COLUMNS.join(',')}\r\n`;

/** One CSV record (CRLF-terminated); NULL is an empty field, extra its JSON text. */
export function csvRecord(row: CdrRow): string {
  const cdr = toCdr(row);
  return `${CDR_COLUMNS.map((c) => {
    const v = cdr[c];
    if (v === null) return '';
    return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v));
  }).join(',')}\r\n`;
}

/** The routes, for `startAdminServer({ routes })`. */
export function cdrRoutes(pool: pg.Pool): (app: Express) => void {
  return (app) => {
    app.get('/cdrs', async (req, res) => {
      const params = new URL(req.originalUrl, 'http://admin.invalid').searchParams;
      const q = parseCdrQuery(params, req.accepts(['application/json', 'text/csv']) === 'text/csv');
      const limit = q.limit ?? (q.format === CdrFormat.csv ? CSV_CHUNK_ROWS : CDR_LIMIT_DEFAULT);
      // The first page is read before anything is sent, so a database failure is still a 503.
      const page = await fetchPage(pool, q.filter, q.cursor, limit);
      if (q.format === CdrFormat.csv && q.limit === undefined) {
        await streamCsv(pool, q.filter, page, res);
        return;
      }
      if (page.next !== undefined) res.set('Link', `<${nextUrl(req, params, page.next)}>; rel="next"`);
      if (q.format === CdrFormat.csv) {
        res.type('text/csv; charset=utf-8; header=present').send(CSV_HEADER + page.rows.map(csvRecord).join(''));
        return;
      }
      res.json({ cdrs: page.rows.map(toCdr), next: page.next === undefined ? null : encodeCursor(page.next) });
    });

    app.get('/cdrs/:dialog_id', async (req, res) => {
      const id = req.params['dialog_id'] ?? '';
      if (!isDialogId(id)) throw badParameter('dialog_id', `expected 20 lowercase hex digits, got ${JSON.stringify(id)}`);
      const rows = await query<CdrRow>(pool, `SELECT ${SELECT_LIST} FROM cdrs WHERE dialog_id = $1`, [id]);
      const row = rows[0];
      if (row === undefined) throw new CdrQueryError(404, CdrQueryErrorCode.notFound, `no CDR with dialog_id ${id}`);
      res.json(toCdr(row));
    });
  };
}

function nextUrl(req: Request, params: URLSearchParams, next: CdrCursor): string {
  const copy = new URLSearchParams(params);
  copy.set('cursor', encodeCursor(next));
  return `${req.baseUrl}${req.path}?${copy.toString()}`;
}

/**
 * Writes every matching row, a chunk at a time, waiting for the client to take each. Once the
 * status is sent a failure can only cut the connection, so the client sees an unfinished
 * (chunked) transfer rather than a file that looks complete.
 */
async function streamCsv(pool: pg.Pool, filter: CdrFilter, first: Page, res: Response): Promise<void> {
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  res.status(200).type('text/csv; charset=utf-8; header=present').set('Content-Disposition', 'attachment; filename="cdrs.csv"');
  let page = first;
  try {
    await write(res, CSV_HEADER);
    for (;;) {
      if (closed) return;
      await write(res, page.rows.map(csvRecord).join(''));
      if (page.next === undefined || closed) break;
      page = await fetchPage(pool, filter, page.next, CSV_CHUNK_ROWS);
    }
    res.end();
  } catch {
    res.destroy();
  }
}

function write(res: Response, text: string): Promise<void> {
  if (text === '' || res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
