/**
 * One outbound registration (a row of Kamailio's `uacreg` table, spec §8.11): sipmesh registers as
 * `r_username@r_domain` to the carrier, through `auth_proxy` when set, answering its challenge with
 * `auth_username` and `auth_password` (or `auth_ha1`); calls the carrier sends to the Contact
 * (user `l_uuid`, or `contact_user`) belong to the local user `l_username@l_domain`.
 * Rows come from the table or from a file with the same column names (YAML/JSON list or CSV).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type pg from 'pg';
import { parse as parseYaml } from 'yaml';

export interface UacEntry {
  readonly l_uuid: string;
  readonly l_username: string;
  readonly l_domain: string;
  readonly r_username: string;
  readonly r_domain: string;
  /** Empty: answer any realm; else the challenge's realm must be this one. */
  readonly realm: string;
  readonly auth_username: string;
  readonly auth_password: string;
  readonly auth_ha1: string;
  /** Outbound proxy, a SIP URI; empty: the REGISTER goes to r_domain. */
  readonly auth_proxy: string;
  /** Requested lifetime, s; 0: never registered. */
  readonly expires: number;
  /** Kamailio's initial flags: 1 = disabled. */
  readonly flags: number;
  /** Seconds to wait before the first REGISTER. */
  readonly reg_delay: number;
  /** host[:port][;params] of the Contact; empty: the edge's own address. */
  readonly contact_addr: string;
  /** User part of the Contact instead of l_uuid (uacreg version 6). */
  readonly contact_user: string;
  readonly socket: string;
}

export const UAC_FLAG_DISABLED = 1;

export type UacEntriesResult = { readonly ok: true; readonly entries: UacEntry[] } | { readonly ok: false; readonly reason: string };

const TEXT = ['l_uuid', 'l_username', 'l_domain', 'r_username', 'r_domain', 'realm', 'auth_username', 'auth_password', 'auth_ha1', 'auth_proxy', 'contact_addr', 'contact_user', 'socket'] as const;
const INTS = ['expires', 'flags', 'reg_delay'] as const;

/** Rows (table or file) → entries; a row that is not usable rejects the whole set, naming it. */
export function uacEntriesFromRows(rows: readonly unknown[]): UacEntriesResult {
  const out: UacEntry[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of rows.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: `row ${i + 1}: not an object` };
    const row = raw as Record<string, unknown>;
    const e: Record<string, string | number> = {};
    for (const k of TEXT) {
      const v = row[k];
      if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number') return { ok: false, reason: `row ${i + 1}: ${k} must be text` };
      e[k] = v === undefined || v === null ? '' : String(v);
    }
    for (const k of INTS) {
      const v = row[k] ?? 0;
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return { ok: false, reason: `row ${i + 1}: ${k} must be a whole number >= 0` };
      e[k] = n;
    }
    const entry = e as unknown as UacEntry;
    const name = entry.l_uuid || `row ${i + 1}`;
    if (!entry.l_uuid) return { ok: false, reason: `row ${i + 1}: l_uuid is empty` };
    if (seen.has(entry.l_uuid)) return { ok: false, reason: `${name}: l_uuid appears twice` };
    if (!entry.r_username || !entry.r_domain) return { ok: false, reason: `${name}: r_username and r_domain are needed` };
    if (!entry.l_username) return { ok: false, reason: `${name}: l_username is empty` };
    if (entry.auth_proxy && !/^sips?:/i.test(entry.auth_proxy)) return { ok: false, reason: `${name}: auth_proxy ${entry.auth_proxy} is not a SIP URI` };
    if (entry.auth_ha1 && !/^([0-9a-f]{32}|[0-9a-f]{64})$/i.test(entry.auth_ha1)) return { ok: false, reason: `${name}: auth_ha1 is not an MD5 or SHA-256 hex digest` };
    seen.add(entry.l_uuid);
    out.push(entry);
  }
  return { ok: true, entries: out };
}

export async function loadUacEntriesFile(path: string): Promise<UacEntriesResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { ok: false, reason: `${path}: ${(e as Error).message}` };
  }
  const ext = extname(path).toLowerCase();
  let rows: unknown;
  try {
    if (ext === '.csv') rows = parseCsv(text);
    else if (ext === '.json') rows = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') rows = parseYaml(text) ?? [];
    else return { ok: false, reason: `${path}: expected .yaml, .yml, .json or .csv` };
  } catch (e) {
    return { ok: false, reason: `${path}: ${(e as Error).message}` };
  }
  if (!Array.isArray(rows)) return { ok: false, reason: `${path}: expected a list of uacreg rows` };
  const r = uacEntriesFromRows(rows);
  return r.ok ? r : { ok: false, reason: `${path}: ${r.reason}` };
}

export async function loadUacEntriesTable(pool: pg.Pool): Promise<UacEntriesResult> {
  try {
    const r = await pool.query('SELECT * FROM uacreg ORDER BY id');
    return uacEntriesFromRows(r.rows);
  } catch (e) {
    return { ok: false, reason: `uacreg table: ${(e as Error).message}` };
  }
}

/** A header line naming the columns, then one row per line; no quoting (uacreg values hold no commas). */
function parseCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? '').trim()]));
  });
}
