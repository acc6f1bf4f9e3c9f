/**
 * Where a routing module's rows come from: a Kamailio-compatible PostgreSQL table (so an operator
 * can point sipmesh at an existing Kamailio database), a YAML/JSON/CSV file with the same column
 * names, or rows written inline in the routes file. Every module parses rows with the same code
 * whatever their origin; rows are read when the routes file is (re)loaded, never per request.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { atCheckpoint, runAtOnce, runSliced, type SlicedWork } from './sliced.js';

export type Row = Readonly<Record<string, unknown>>;

/** `{ table }` (the router's database), `{ file }` (relative to the routes file) or `{ rows }`. */
export interface RowSourceSpec {
  table?: string;
  file?: string;
  rows?: Row[];
  /** SQL condition on the table, e.g. "dpid = 1"; only with `table`. */
  where?: string;
}

/** JSON schema of a RowSourceSpec, for step schemas to embed. */
export const rowSourceSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Where the rows come from: a table of the router database (Kamailio schema), a YAML/JSON/CSV file with the same columns, or inline rows',
  properties: {
    table: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    where: { type: 'string' },
    file: { type: 'string' },
    rows: { type: 'array', items: { type: 'object' } },
  },
  oneOf: [{ required: ['table'] }, { required: ['file'] }, { required: ['rows'] }],
} as const;

/** Reads whole tables of the router's database. */
export interface TableReader {
  rows(table: string, where?: string): Promise<Row[]>;
}

export type RowsResult = { ok: true; rows: Row[]; origin: string } | { ok: false; error: string };

export async function loadRows(source: RowSourceSpec, baseDir: string, db: TableReader | undefined): Promise<RowsResult> {
  if (source.rows) return { ok: true, rows: source.rows, origin: 'inline rows' };
  if (source.table !== undefined) {
    if (!db) return { ok: false, error: `table ${source.table}: no database configured (router setting database.url)` };
    try {
      return { ok: true, rows: await db.rows(source.table, source.where), origin: `table ${source.table}` };
    } catch (e) {
      return { ok: false, error: `table ${source.table}: ${(e as Error).message}` };
    }
  }
  if (source.file !== undefined) {
    const file = path.resolve(baseDir, source.file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      return { ok: false, error: `${file}: ${(e as Error).message}` };
    }
    try {
      return { ok: true, rows: file.endsWith('.csv') ? await runSliced(csvRows(text)) : rowsOf(parseYaml(text)), origin: file };
    } catch (e) {
      return { ok: false, error: `${file}: ${(e as Error).message}` };
    }
  }
  return { ok: false, error: 'no row source (table, file or rows)' };
}

function rowsOf(doc: unknown): Row[] {
  if (Array.isArray(doc) && doc.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) return doc as Row[];
  throw new Error('expected a list of rows (objects keyed by column name)');
}

/** CSV with a header line of column names; `"` quotes fields, `""` is a quote inside them. */
export function parseCsv(text: string): Row[] {
  return runAtOnce(csvRows(text));
}

/** parseCsv as sliced work (see sliced.ts): it pauses every few hundred records. */
export function* csvRows(text: string): SlicedWork<Row[]> {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  const endRecord = (): void => {
    record.push(field);
    if (record.some((f) => f !== '')) records.push(record);
    record = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      if (atCheckpoint(records.length)) yield;
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  endRecord();
  const [header, ...body] = records;
  if (!header) return [];
  const names = header.map((h) => h.trim());
  const rows: Row[] = [];
  for (let n = 0; n < body.length; n++) {
    const r = body[n] as string[];
    if (r.length !== names.length) throw new Error(`line ${n + 2}: ${r.length} fields, the header has ${names.length}`);
    const row: Record<string, unknown> = {};
    names.forEach((h, i) => (row[h] = r[i]));
    rows.push(row);
    if (atCheckpoint(n)) yield;
  }
  return rows;
}

/** Column readers that name the row and column in their errors. */
export class RowReader {
  constructor(
    private readonly row: Row,
    private readonly where: string,
  ) {}

  str(column: string, fallback?: string): string {
    const v = this.row[column];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new Error(`${this.where}: column ${column} is missing`);
    }
    return typeof v === 'string' ? v : String(v);
  }

  int(column: string, fallback?: number): number {
    const v = this.row[column];
    if (v === undefined || v === null || v === '') {
      if (fallback !== undefined) return fallback;
      throw new Error(`${this.where}: column ${column} is missing`);
    }
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n)) throw new Error(`${this.where}: column ${column} is not an integer (${String(v)})`);
    return n;
  }

  num(column: string, fallback?: number): number {
    const v = this.row[column];
    if (v === undefined || v === null || v === '') {
      if (fallback !== undefined) return fallback;
      throw new Error(`${this.where}: column ${column} is missing`);
    }
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isFinite(n)) throw new Error(`${this.where}: column ${column} is not a number (${String(v)})`);
    return n;
  }
}
