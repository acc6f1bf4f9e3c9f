/**
 * Subscriber files for a registrar without a database, chosen by extension:
 *   - `.csv`: a header line naming the columns, `username,domain,password` or `username,password`
 *     (then every row is in `defaultDomain`); `ha1`, `ha1b`, `ha1_sha256` columns may replace the
 *     password. Fields may be double-quoted with `""` for a quote (RFC 4180). Blank lines and lines
 *     starting with `#` are skipped.
 *   - `.yaml` / `.yml` / `.json`: a list of objects with the same fields (`ha1Sha256` also accepted).
 * Numbers are taken as text, since YAML reads `username: 1001` as a number.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { hasSecret, makeSubscriber, subscriberKey, type Subscriber } from './credential-source.js';

export const SubscriberFileErrorCode = {
  unreadable: 'REGISTRAR_ERR_SUBSCRIBERS_UNREADABLE',
  unknownFormat: 'REGISTRAR_ERR_SUBSCRIBERS_FORMAT',
  syntax: 'REGISTRAR_ERR_SUBSCRIBERS_SYNTAX',
  badRow: 'REGISTRAR_ERR_SUBSCRIBERS_BAD_ROW',
  duplicate: 'REGISTRAR_ERR_SUBSCRIBERS_DUPLICATE',
} as const;
export type SubscriberFileErrorCode = (typeof SubscriberFileErrorCode)[keyof typeof SubscriberFileErrorCode];

export interface SubscriberFileError {
  readonly code: SubscriberFileErrorCode;
  readonly reason: string;
}

export type SubscriberFileResult = { readonly ok: true; readonly subscribers: Subscriber[] } | { readonly ok: false; readonly error: SubscriberFileError };

export interface SubscriberFileOptions {
  /** Domain of rows that name none; default ''. */
  readonly defaultDomain?: string;
}

export async function loadSubscriberFile(path: string, options: SubscriberFileOptions = {}): Promise<SubscriberFileResult> {
  const ext = extname(path).toLowerCase();
  if (!['.csv', '.yaml', '.yml', '.json'].includes(ext)) return fail(SubscriberFileErrorCode.unknownFormat, `${path}: expected .csv, .yaml, .yml or .json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return fail(SubscriberFileErrorCode.unreadable, `${path}: ${(e as Error).message}`);
  }
  if (ext === '.csv') return parseSubscriberCsv(text, options);
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    return fail(SubscriberFileErrorCode.syntax, `${path}: ${(e as Error).message}`);
  }
  return subscribersFromRecords(data, options);
}

const CSV_COLUMNS = ['username', 'domain', 'password', 'ha1', 'ha1b', 'ha1_sha256'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

export function parseSubscriberCsv(text: string, options: SubscriberFileOptions = {}): SubscriberFileResult {
  const lines = splitCsv(text);
  if (!lines.ok) return lines;
  const records = lines.rows.filter((r) => !(r.fields.length === 1 && r.fields[0] === '') && !r.fields[0]?.startsWith('#'));
  const header = records.shift();
  if (!header) return { ok: true, subscribers: [] };
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  for (const c of columns) {
    if (!(CSV_COLUMNS as readonly string[]).includes(c)) return fail(SubscriberFileErrorCode.syntax, `line ${header.line}: unknown column "${c}"`);
  }
  if (!columns.includes('username')) return fail(SubscriberFileErrorCode.syntax, `line ${header.line}: no username column`);
  const objects: Record<string, string>[] = [];
  for (const r of records) {
    if (r.fields.length !== columns.length) return fail(SubscriberFileErrorCode.badRow, `line ${r.line}: ${r.fields.length} fields, expected ${columns.length}`);
    const o: Partial<Record<CsvColumn, string>> = {};
    columns.forEach((c, i) => (o[c as CsvColumn] = r.fields[i] as string));
    objects.push(o);
  }
  return subscribersFromRecords(objects, options, (i) => `line ${(records[i] as CsvRow).line}`);
}

/** Subscribers from a parsed YAML/JSON document (a list of objects). */
export function subscribersFromRecords(data: unknown, options: SubscriberFileOptions = {}, where: (index: number) => string = (i) => `entry ${i + 1}`): SubscriberFileResult {
  if (!Array.isArray(data)) return fail(SubscriberFileErrorCode.syntax, 'expected a list of subscribers');
  const out: Subscriber[] = [];
  const seen = new Set<string>();
  for (const [i, item] of data.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return fail(SubscriberFileErrorCode.badRow, `${where(i)}: not an object`);
    const rec = item as Record<string, unknown>;
    const text = (name: string): string | undefined | null => {
      const v = rec[name];
      if (v === undefined || v === null) return undefined;
      return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
    };
    const fields = {
      username: text('username'),
      domain: text('domain'),
      password: text('password'),
      ha1: text('ha1'),
      ha1b: text('ha1b'),
      ha1Sha256: text('ha1_sha256') ?? text('ha1Sha256'),
    };
    for (const [k, v] of Object.entries(fields)) if (v === null) return fail(SubscriberFileErrorCode.badRow, `${where(i)}: ${k} is not text`);
    if (!fields.username) return fail(SubscriberFileErrorCode.badRow, `${where(i)}: no username`);
    const s = makeSubscriber({ ...fields, username: fields.username, domain: fields.domain || (options.defaultDomain ?? '') });
    if (!hasSecret(s)) return fail(SubscriberFileErrorCode.badRow, `${where(i)}: ${s.username} has no password or ha1`);
    const key = subscriberKey(s.username, s.domain, true);
    if (seen.has(key)) return fail(SubscriberFileErrorCode.duplicate, `${where(i)}: ${s.username}@${s.domain} appears twice`);
    seen.add(key);
    out.push(s);
  }
  return { ok: true, subscribers: out };
}

interface CsvRow {
  readonly line: number;
  readonly fields: string[];
}

/** RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks. */
function splitCsv(text: string): { ok: true; rows: CsvRow[] } | { ok: false; error: SubscriberFileError } {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      fields.push(field);
      rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      rowLine = ++line;
    } else {
      field += c;
    }
  }
  if (quoted) return fail(SubscriberFileErrorCode.syntax, `line ${rowLine}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return { ok: true, rows };
}

function fail(code: SubscriberFileErrorCode, reason: string): { ok: false; error: SubscriberFileError } {
  return { ok: false, error: { code, reason } };
}
