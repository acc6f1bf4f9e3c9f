/**
 * Applies a service's SQL migrations to PostgreSQL: the `NNN-name.sql` files of a folder, in
 * order, each once, each in its own transaction, recorded in `sipmesh_migrations`. Services that
 * share a database keep their records apart by `scope` (the router's files are recorded by bare
 * name, the registrar's as `registrar/NNN-name.sql`). Tables keep Kamailio's names, columns and
 * `version` rows, so every statement is written `IF NOT EXISTS` / `ON CONFLICT DO NOTHING` and a
 * database made by `kamdbctl create` works as it is.
 */
import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrationOptions {
  /** Folder of `NNN-name.sql` files. */
  dir: URL;
  /** Prefix of the recorded names; empty for none. */
  scope?: string;
}

/** One service at a time: two instances starting together must not both apply a migration. */
const MIGRATION_LOCK = 7411001;

export async function runMigrations(pool: pg.Pool, options: MigrationOptions): Promise<MigrationResult> {
  const files = (await readdir(options.dir)).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  const recorded = (file: string): string => (options.scope ? `${options.scope}/${file}` : file);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS sipmesh_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM sipmesh_migrations')).rows.map((r) => r.name));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      const name = recorded(file);
      if (done.has(name)) {
        result.alreadyApplied.push(file);
        continue;
      }
      const sql = await readFile(new URL(file, options.dir), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO sipmesh_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name}: ${(e as Error).message}`, { cause: e });
      }
      result.applied.push(file);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
