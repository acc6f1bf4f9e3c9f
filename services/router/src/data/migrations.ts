/**
 * Creates the Kamailio-compatible tables the router reads, in PostgreSQL. Migrations are the
 * `migrations/NNN-name.sql` files of this package, applied in order, each once, each in its own
 * transaction, and recorded in `sipmesh_migrations`. The tables keep Kamailio's names, columns and
 * `version` rows, so a database made by `kamdbctl create` works as it is (every statement is
 * `IF NOT EXISTS` / `ON CONFLICT DO NOTHING`).
 */
import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';

export function migrationsDirectory(): URL {
  return new URL('../../migrations/', import.meta.url);
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function migrate(pool: pg.Pool, dir: URL = migrationsDirectory()): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}-[\w-]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  try {
    // One router at a time: two starting together must not both apply a migration.
    await client.query('SELECT pg_advisory_lock(7411001)');
    await client.query('CREATE TABLE IF NOT EXISTS sipmesh_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM sipmesh_migrations')).rows.map((r) => r.name));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      if (done.has(file)) {
        result.alreadyApplied.push(file);
        continue;
      }
      const sql = await readFile(new URL(file, dir), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO sipmesh_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file}: ${(e as Error).message}`, { cause: e });
      }
      result.applied.push(file);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock(7411001)').catch(() => undefined);
    client.release();
  }
}
