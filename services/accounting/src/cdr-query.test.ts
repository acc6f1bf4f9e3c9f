/**
 * GET /cdrs and /cdrs/:dialog_id over HTTP against a real PostgreSQL: the cdrs table of migration
 * 002 in a schema of this file's own, the routes on an admin server on a free port.
 */
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { createMetricsRegistry, startAdminServer, type AdminServer } from '@sipmesh/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../test/helpers/infra.js';
import { createTestSchema, type TestSchema } from '../../../test/helpers/pg-schema.js';
import { CDR_COLUMNS, cdrRoutes, CdrQueryErrorCode, CSV_CHUNK_ROWS, encodeCursor, type Cdr } from './cdr-query.js';

/** Columns a test row may set; dialog_id is made up when absent. */
type CdrInsert = Partial<Omit<Cdr, 'id' | 'extra'>> & { extra?: unknown };

const startAdmin = (pool: pg.Pool): Promise<AdminServer> => startAdminServer({ host: '127.0.0.1', port: 0, registry: createMetricsRegistry({ service: 'accounting', processMetrics: false }), ready: () => true, routes: cdrRoutes(pool) });

/** RFC 4180 records of a CSV text (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (quoted || field !== '' || record.length > 0) throw new Error('last record unterminated');
  return records;
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('CDR query API on PostgreSQL', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let admin: AdminServer;
  let nextDialog = 0;

  const dialogIdOf = (n: number): string => n.toString(16).padStart(20, '0');
  const insert = async (rows: readonly CdrInsert[]): Promise<string[]> => {
    const ids: string[] = [];
    for (const row of rows) {
      const full: Record<string, unknown> = { dialog_id: dialogIdOf(++nextDialog), ...row };
      if (full['extra'] !== undefined) full['extra'] = JSON.stringify(full['extra']);
      const columns = Object.keys(full);
      await schema.pool.query(`INSERT INTO cdrs (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(full));
      ids.push(full['dialog_id'] as string); // set just above, a string
    }
    return ids;
  };
  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${admin.url}${path}`, { headers });
  const list = async (query: string): Promise<{ cdrs: Cdr[]; next: string | null }> => {
    const res = await get(`/cdrs?${query}`);
    expect(res.status, `${query}: ${res.status}`).toBe(200);
    return (await res.json()) as { cdrs: Cdr[]; next: string | null };
  };

  // The base calls, one letter each; every filter test is stated in these letters, newest first.
  const base: Record<string, CdrInsert> = {
    a: { callid: 'call-a', caller: 'sip:1001@example.com', caller_user: '1001', caller_domain: 'example.com', callee: 'sip:2001@example.com', callee_user: '2001', start_time: '2024-05-01T10:00:00.000Z', answer_time: '2024-05-01T10:00:02.250Z', end_time: '2024-05-01T10:01:02.750Z', duration: 60.5, disposition: 'answered', hangup: 'caller', sip_code: 200, sip_reason: 'OK', bye_code: 200, edge: 'edge1', policy: 'static', trace_id: '0af7651916cd43dd8448eb211c80319c', extra: { tariff: 'local', n: 1 } },
    b: { callid: 'call-b', caller: 'sip:1002@example.com', caller_user: '1002', callee: 'sip:2002@example.com', callee_user: '2002', start_time: '2024-05-01T10:05:00.000Z', end_time: '2024-05-01T10:05:03Z', duration: 0, disposition: 'busy', hangup: 'callee', sip_code: 486, edge: 'edge1' },
    c: { callid: 'call-c', caller: 'sip:1099@example.com', caller_user: '1099', callee: 'sip:3001@example.com', callee_user: '3001', start_time: '2024-05-01T10:10:00Z', end_time: '2024-05-01T10:10:30Z', duration: 0, disposition: 'no-answer', hangup: 'proxy', sip_code: 480, edge: 'edge2' },
    d: { callid: 'call-d', caller: 'sip:2001@example.com', caller_user: '2001', callee: 'sip:1001@example.com', callee_user: '1001', start_time: '2024-05-01T11:00:00Z', end_time: '2024-05-01T11:00:05Z', duration: 0, disposition: 'cancelled', hangup: 'caller', sip_code: 487, edge: 'edge2' },
    e: { callid: 'call-e', caller: 'sip:1001@example.com', caller_user: '1001', callee: 'sip:2003@example.com', callee_user: '2003', start_time: '2024-05-01T11:30:00Z', answer_time: '2024-05-01T11:30:04Z', edge: 'edge1' },
    f: { callid: 'call-f', caller: 'sip:alice@example.com', caller_user: 'alice', callee: 'sip:1001x@example.com', callee_user: '1001x', start_time: '2024-05-02T00:00:00Z', end_time: '2024-05-02T00:00:01Z', duration: 0, disposition: 'failed', hangup: 'callee', sip_code: 503, edge: 'edge3' },
    g: { callid: 'call-g', caller: 'sip:1001@example.com', caller_user: '1001', callee: 'sip:2009@example.com', callee_user: '2009', end_time: '2024-05-01T12:00:00Z', duration: 0, disposition: 'unfinished', hangup: 'edge-restarted', bye_code: 200, edge: 'edge1' },
    h: { callid: 'call-h', caller: 'sip:x,y@example.com', caller_user: 'x,y', callee: 'sip:2001@example.com', callee_user: '2001', start_time: '2024-04-30T23:59:59.999Z', end_time: '2024-05-01T00:00:00.5Z', duration: 0, disposition: 'failed', hangup: 'callee', sip_code: 500, sip_reason: 'Busy "Here", really\r\nsecond line', edge: 'edge3', extra: { note: 'a,"b"\nc' } },
  };
  const letterOf = new Map<string, string>();
  const letters = (cdrs: readonly Cdr[]): string => cdrs.map((c) => letterOf.get(c.dialog_id) ?? '?').join('');

  beforeAll(async () => {
    schema = await createTestSchema('cdrq');
    await schema.pool.query(await readFile(new URL('../migrations/002-cdrs.sql', import.meta.url), 'utf8'));
    for (const [letter, row] of Object.entries(base)) {
      const [id] = await insert([row]);
      if (id !== undefined) letterOf.set(id, letter);
    }
    admin = await startAdmin(schema.pool);
  });

  afterAll(async () => {
    await admin?.close();
    await schema?.drop();
  });

  it('answers one CDR by dialog_id: ISO times with milliseconds, duration in seconds, extra as an object', async () => {
    const id = [...letterOf].find(([, l]) => l === 'a')?.[0] ?? '';
    const res = await get(`/cdrs/${id}`);
    expect(res.status).toBe(200);
    const cdr = (await res.json()) as Cdr;
    expect(Object.keys(cdr)).toEqual([...CDR_COLUMNS]);
    expect(cdr).toMatchObject({
      dialog_id: id,
      callid: 'call-a',
      caller_user: '1001',
      start_time: '2024-05-01T10:00:00.000Z',
      answer_time: '2024-05-01T10:00:02.250Z',
      end_time: '2024-05-01T10:01:02.750Z',
      duration: 60.5,
      disposition: 'answered',
      hangup: 'caller',
      sip_code: 200,
      bye_code: 200,
      extra: { tariff: 'local', n: 1 },
      from_tag: '',
    });
    expect(typeof cdr.id).toBe('number');
    const open = (await (await get(`/cdrs/${[...letterOf].find(([, l]) => l === 'e')?.[0] ?? ''}`)).json()) as Cdr;
    expect(open).toMatchObject({ end_time: null, duration: null, disposition: null, hangup: null, sip_code: null, extra: {} });
  });

  it('answers 404 for an unknown dialog_id and 400 for one of the wrong form', async () => {
    const missing = await get('/cdrs/0123456789abcdef0123');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: CdrQueryErrorCode.notFound, message: 'no CDR with dialog_id 0123456789abcdef0123' } });
    const bad = await get('/cdrs/not-an-id');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('dialog_id');
  });

  it('filters by each parameter alone, newest first (no start time first)', async () => {
    const cases: [string, string][] = [
      ['', 'gfedcbah'],
      ['caller=1001', 'gea'],
      ['caller=sip:alice@example.com', 'f'],
      ['caller=10*', 'gecba'],
      ['caller=sip:100*', 'geba'],
      ['caller=x,y', 'h'],
      ['caller=1%25*', ''], // % is a character, not a LIKE wildcard
      ['caller=100_*', ''],
      ["caller=' OR ''='", ''],
      ['callee=1001', 'd'],
      ['callee=1001*', 'fd'],
      ['callee=sip:2001@example.com', 'ah'],
      ['disposition=busy', 'b'],
      ['disposition=busy,no-answer', 'cb'],
      ['disposition=busy&disposition=cancelled', 'db'],
      ['hangup=caller', 'da'],
      ['hangup=edge-restarted,proxy', 'gc'],
      ['edge=edge2', 'dc'],
      ['callid=call-a', 'a'],
      ['open=true', 'e'],
      ['open=false', 'gfdcbah'],
    ];
    for (const [query, expected] of cases) expect(letters((await list(query)).cdrs), query).toBe(expected);
  });

  it('combines filters', async () => {
    expect(letters((await list('caller=10*&disposition=answered,busy&edge=edge1&from=2024-05-01')).cdrs)).toBe('ba');
    expect(letters((await list('callee=2001&hangup=callee&to=2024-05-02')).cdrs)).toBe('h');
    expect(letters((await list('caller=1001&open=false&disposition=unfinished')).cdrs)).toBe('g');
    expect(letters((await list('caller=10*&edge=edge2&open=true')).cdrs)).toBe('');
  });

  it('reads the time range as from inclusive, to exclusive, in UTC unless an offset is given', async () => {
    const cases: [string, string][] = [
      ['from=2024-05-01T10:05:00Z', 'fedcb'],
      ['to=2024-05-01T10:05:00Z', 'ah'],
      ['from=2024-05-01&to=2024-05-02', 'edcba'],
      ['from=2024-05-01T12:05:00%2B02:00&to=2024-05-01T11:00:00Z', 'cb'],
      ['from=2024-05-01T12:05:00+02:00&to=2024-05-01T11:00:00Z', 'cb'], // + unencoded arrives as a space
      ['from=2024-05-01T06:05-04:00&to=2024-05-01T10:10', 'b'],
      ['to=2024-04-30T23:59:59.999Z', ''],
      ['to=2024-04-30T23:59:59.9991Z', 'h'],
      ['from=2024-04-30T23:59:59.999Z&to=2024-05-01T00:00:00.000001Z', 'h'],
    ];
    for (const [query, expected] of cases) expect(letters((await list(query)).cdrs), query).toBe(expected);
  });

  it('pages newest first without a row twice or missing while calls are added between pages', async () => {
    // 250 calls, five to a second, the first (lowest id) of each 400 µs later than the rest: the same millisecond.
    const at = (i: number): string => `2024-06-01T00:${String(Math.floor(i / 5 / 60)).padStart(2, '0')}:${String(Math.floor(i / 5) % 60).padStart(2, '0')}.${i % 5 === 0 ? '000400' : '000000'}Z`;
    const original = await insert(Array.from({ length: 250 }, (_, i) => ({ start_time: at(i), edge: 'pager' })));
    try {
      const seen: string[] = [];
      let path = '/cdrs?edge=pager&limit=37';
      let pages = 0;
      let previousLast: Cdr | undefined;
      for (;;) {
        const res = await get(path);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { cdrs: Cdr[]; next: string | null };
        pages++;
        const first = body.cdrs[0];
        // newest first across pages too
        if (previousLast !== undefined && first !== undefined && first.start_time !== null && previousLast.start_time !== null) expect(first.start_time <= previousLast.start_time).toBe(true);
        seen.push(...body.cdrs.map((c) => c.dialog_id));
        previousLast = body.cdrs.at(-1);
        if (body.next === null) {
          expect(res.headers.get('link')).toBeNull();
          break;
        }
        const link = res.headers.get('link') ?? '';
        expect(link).toBe(`</cdrs?edge=pager&limit=37&cursor=${body.next}>; rel="next"`);
        // Between pages: a newer call, one at the same instant as the page's last row, one older than all.
        const lastStart = previousLast?.start_time ?? '';
        await insert([
          { start_time: '2024-07-01T00:00:00Z', edge: 'pager' },
          { start_time: lastStart, edge: 'pager' },
          { start_time: `2024-05-31T00:00:${String(pages).padStart(2, '0')}Z`, edge: 'pager' },
        ]);
        path = link.slice(1, link.indexOf('>'));
      }
      expect(pages).toBeGreaterThanOrEqual(7);
      expect(new Set(seen).size).toBe(seen.length);
      const seenSet = new Set(seen);
      expect(original.filter((id) => !seenSet.has(id))).toEqual([]);
    } finally {
      await schema.pool.query("DELETE FROM cdrs WHERE edge = 'pager'");
    }
  });

  it('writes CSV: the header, RFC 4180 quoting of commas, quotes and line breaks, empty NULLs', async () => {
    const res = await get('/cdrs?callid=call-h&format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const text = await res.text();
    expect(text.startsWith(`${CDR_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(text).toContain(',"sip:x,y@example.com","x,y",');
    expect(text).toContain(',"Busy ""Here"", really\r\nsecond line",');
    expect(text).toContain(',"{""note"":""a,\\""b\\""\\nc""}"\r\n');
    const records = parseCsv(text);
    expect(records).toHaveLength(2);
    const row = Object.fromEntries(CDR_COLUMNS.map((c, i) => [c, records[1]?.[i]]));
    expect(row).toMatchObject({ caller: 'sip:x,y@example.com', caller_user: 'x,y', sip_reason: 'Busy "Here", really\r\nsecond line', start_time: '2024-04-30T23:59:59.999Z', end_time: '2024-05-01T00:00:00.500Z', answer_time: '', bye_code: '', duration: '0', sip_code: '500' });
    expect(JSON.parse(row['extra'] ?? '')).toEqual({ note: 'a,"b"\nc' });
  });

  it('chooses CSV by Accept: text/csv, and pages CSV with a Link header when a limit is given', async () => {
    const byAccept = await get('/cdrs?edge=edge1', { accept: 'text/csv' });
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(parseCsv(await byAccept.text())).toHaveLength(1 + 4);
    const page = await get('/cdrs?edge=edge1&format=csv&limit=3');
    const link = page.headers.get('link') ?? '';
    expect(link).toMatch(/^<\/cdrs\?edge=edge1&format=csv&limit=3&cursor=[\w-]+>; rel="next"$/);
    expect(parseCsv(await page.text())).toHaveLength(1 + 3);
    const rest = await get(link.slice(1, link.indexOf('>')));
    expect(rest.headers.get('link')).toBeNull();
    expect(parseCsv(await rest.text())).toHaveLength(1 + 1);
  });

  it('streams a CSV export of 50,000 calls complete, in chunks', async () => {
    const total = 50_000;
    await schema.pool.query(
      `INSERT INTO cdrs (dialog_id, callid, caller, caller_user, start_time, end_time, duration, disposition, edge, extra)
       SELECT 'b' || lpad(to_hex(g), 19, '0'), 'bulk-' || g, 'sip:' || g || '@example.com', g::text, timestamptz '2023-01-01Z' + g * interval '1 second',
              timestamptz '2023-01-01Z' + g * interval '1 second' + interval '30 seconds', 30, 'answered', 'bulk', jsonb_build_object('n', g)
       FROM generate_series(1, $1::int) g`,
      [total],
    );
    try {
      const res = await get('/cdrs?edge=bulk&format=csv');
      expect(res.status).toBe(200);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(res.headers.get('content-length')).toBeNull();
      const reader = res.body?.getReader();
      if (reader === undefined) throw new Error('no body');
      const decoder = new TextDecoder();
      let lines = 0;
      let reads = 0;
      let head = '';
      let tail = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        reads++;
        const text = decoder.decode(value, { stream: true });
        if (head.length < 1000) head += text;
        tail = (tail + text).slice(-1000);
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      }
      expect(lines).toBe(1 + total);
      expect(reads).toBeGreaterThan(1);
      expect(head.split('\r\n')[1]).toMatch(/^\d+,b0*c350,bulk-50000,/);
      expect(tail.endsWith(',bulk,,,"{""n"":1}"\r\n')).toBe(true);
    } finally {
      await schema.pool.query("DELETE FROM cdrs WHERE edge = 'bulk'");
    }
  }, 60_000);

  it('cuts the connection when the database fails in the middle of a CSV export', async () => {
    await schema.pool.query(`INSERT INTO cdrs (dialog_id, start_time, edge) SELECT 'c' || lpad(to_hex(g), 19, '0'), timestamptz '2022-01-01Z' + g * interval '1 second', 'cut' FROM generate_series(1, $1::int) g`, [CSV_CHUNK_ROWS + 100]);
    let queries = 0;
    // Only query() is used by the routes; the second chunk's query fails as a lost database would.
    const failing = { query: (...args: Parameters<pg.Pool['query']>) => (++queries === 1 ? schema.pool.query(...args) : Promise.reject(new Error('connection terminated'))) } as unknown as pg.Pool;
    const failingAdmin = await startAdmin(failing);
    try {
      const res = await fetch(`${failingAdmin.url}/cdrs?edge=cut&format=csv`);
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
      expect(queries).toBe(2);
    } finally {
      await failingAdmin.close();
      await schema.pool.query("DELETE FROM cdrs WHERE edge = 'cut'");
    }
  });

  it('answers 400 naming the parameter for bad input', async () => {
    const cases: [string, string][] = [
      ['from=yesterday', 'from'],
      ['from=2024-02-30', 'from'],
      ['from=2023-02-29T00:00:00Z', 'from'],
      ['to=2024-05-01T25:00Z', 'to'],
      ['to=2024-05-01T10:00:00%2B24:00', 'to'],
      ['from=2024-05-02&to=2024-05-01', 'to'],
      ['from=2024-05-01&to=2024-05-01', 'to'],
      ['limit=0', 'limit'],
      ['limit=10001', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['disposition=maybe', 'disposition'],
      ['disposition=busy,', 'disposition'],
      ['hangup=nobody', 'hangup'],
      ['cursor=garbage!', 'cursor'],
      [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'cursor'],
      [`cursor=${encodeCursor({ startTime: '2024-05-01 10:00', id: '1' })}`, 'cursor'],
      ['format=xml', 'format'],
      ['open=yes', 'open'],
      ['color=red', 'color'],
      ['caller=', 'caller'],
      ['callee=*', 'callee'],
      ['edge=a&edge=b', 'edge'],
      ['callid=a%00b', 'callid'],
    ];
    for (const [query, name] of cases) {
      const res = await get(`/cdrs?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe(CdrQueryErrorCode.badParameter);
      expect(body.error.message, query).toContain(`parameter ${name}:`);
    }
  });

  it('answers 503 when the database cannot be reached', async () => {
    const dead = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), user: 'postgres', database: 'test', connectionTimeoutMillis: 2_000 });
    dead.on('error', () => undefined);
    const deadAdmin = await startAdmin(dead);
    try {
      for (const path of ['/cdrs', '/cdrs?format=csv', '/cdrs/0123456789abcdef0123']) {
        const res = await fetch(`${deadAdmin.url}${path}`);
        expect(res.status, path).toBe(503);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe(CdrQueryErrorCode.databaseUnavailable);
        expect(body.error.message).toMatch(/^database unavailable: /);
      }
    } finally {
      await deadAdmin.close();
      await dead.end();
    }
  });
});
