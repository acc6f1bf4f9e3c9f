/**
 * Creates the Kamailio-compatible tables the router reads, in PostgreSQL: the
 * `migrations/NNN-name.sql` files of this package (see runMigrations in the runtime).
 */
import { runMigrations, type MigrationResult } from '@sipmesh/runtime';
import type pg from 'pg';

export function migrationsDirectory(): URL {
  return new URL('../../migrations/', import.meta.url);
}

export function migrate(pool: pg.Pool, dir: URL = migrationsDirectory()): Promise<MigrationResult> {
  return runMigrations(pool, { dir });
}
