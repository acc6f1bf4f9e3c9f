/** Against a real PostgreSQL: the migration, kamctl-style admin operations, the cache and outages. */
import { runMigrations } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../../../test/helpers/pg-schema.js';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { computeHa1 } from './digest.js';
import { PgCredentialSource, SubscriberStoreErrorCode } from './pg-credentials.js';

const MIGRATIONS = new URL('../../migrations/', import.meta.url);

describe('migration 001-auth-location', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('reg_auth_mig');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('works on a database kamdbctl made, adds ha1_sha256 and contact_user, and runs once', async () => {
    // what kamdbctl creates for auth_db, with a row already in it
    await schema.pool.query(`CREATE TABLE version (id SERIAL PRIMARY KEY NOT NULL, table_name VARCHAR(32) NOT NULL, table_version INTEGER DEFAULT 0 NOT NULL, CONSTRAINT version_table_name_idx UNIQUE (table_name));
      INSERT INTO version (table_name, table_version) VALUES ('version', 1), ('subscriber', 7);
      CREATE TABLE subscriber (id SERIAL PRIMARY KEY NOT NULL, username VARCHAR(64) DEFAULT '' NOT NULL, domain VARCHAR(64) DEFAULT '' NOT NULL,
        password VARCHAR(64) DEFAULT '' NOT NULL, ha1 VARCHAR(128) DEFAULT '' NOT NULL, ha1b VARCHAR(128) DEFAULT '' NOT NULL, CONSTRAINT subscriber_account_idx UNIQUE (username, domain));
      INSERT INTO subscriber (username, domain, password) VALUES ('old', 'example.com', 'pw');`);
    expect(await runMigrations(schema.pool, { dir: MIGRATIONS, scope: 'registrar' })).toMatchObject({ applied: ['001-auth-location.sql'] });
    expect(await runMigrations(schema.pool, { dir: MIGRATIONS, scope: 'registrar' })).toMatchObject({ applied: [], alreadyApplied: ['001-auth-location.sql'] });

    const versions = await schema.pool.query<{ table_name: string; table_version: number }>('SELECT table_name, table_version FROM version ORDER BY table_name');
    expect(Object.fromEntries(versions.rows.map((r) => [r.table_name, r.table_version]))).toEqual({ location: 9, location_attrs: 1, subscriber: 7, uacreg: 6, version: 1 });
    const old = await schema.pool.query('SELECT password, ha1_sha256 FROM subscriber');
    expect(old.rows).toEqual([{ password: 'pw', ha1_sha256: '' }]);
    const cols = await schema.pool.query<{ table_name: string; n: string }>(
      `SELECT table_name, count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() GROUP BY table_name ORDER BY table_name`,
    );
    expect(Object.fromEntries(cols.rows.map((r) => [r.table_name, Number(r.n)]))).toMatchObject({ subscriber: 7, location: 23, location_attrs: 8, uacreg: 17 });
    const idx = await schema.pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'location' ORDER BY indexname`);
    expect(idx.rows.map((r) => r.indexname)).toEqual(['location_account_contact_idx', 'location_connection_idx', 'location_expires_idx', 'location_pkey', 'location_ruid_idx', 'location_tcpcon_idx']);
  });
});

describe('PgCredentialSource', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('reg_auth_pg');
    await runMigrations(schema.pool, { dir: MIGRATIONS, scope: 'registrar' });
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('adds like kamctl add: password, ha1, ha1b and ha1_sha256 with the domain as realm', async () => {
    const source = new PgCredentialSource(schema.pool, { useDomain: true });
    expect(await source.add('alice', 'example.com', 'secret')).toEqual({ ok: true, value: undefined });
    const row = (await schema.pool.query('SELECT username, domain, password, ha1, ha1b, ha1_sha256 FROM subscriber WHERE username = $1', ['alice'])).rows[0];
    expect(row).toEqual({
      username: 'alice',
      domain: 'example.com',
      password: 'secret',
      ha1: computeHa1(DigestAlgorithm.md5, 'alice', 'example.com', 'secret'),
      ha1b: computeHa1(DigestAlgorithm.md5, 'alice@example.com', 'example.com', 'secret'),
      ha1_sha256: computeHa1(DigestAlgorithm.sha256, 'alice', 'example.com', 'secret'),
    });
    expect(await source.find('alice', 'EXAMPLE.com')).toMatchObject({ username: 'alice', password: 'secret' });
    expect(await source.add('alice', 'example.com', 'again')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.exists } });
    expect(await source.add('bad@name', 'example.com', 'x')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.invalid } });
    expect(await source.add('x', '', 'x')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.invalid } });
  });

  it('changes passwords like kamctl passwd and removes like kamctl rm', async () => {
    const source = new PgCredentialSource(schema.pool, { useDomain: true, storePassword: false });
    await source.add('bob', 'example.com', 'one');
    expect(await source.find('bob', 'example.com')).toEqual({
      username: 'bob',
      domain: 'example.com',
      ha1: computeHa1(DigestAlgorithm.md5, 'bob', 'example.com', 'one'),
      ha1b: computeHa1(DigestAlgorithm.md5, 'bob@example.com', 'example.com', 'one'),
      ha1Sha256: computeHa1(DigestAlgorithm.sha256, 'bob', 'example.com', 'one'),
    });
    expect(await source.setPassword('bob', 'example.com', 'two')).toEqual({ ok: true, value: undefined });
    expect(await source.find('bob', 'example.com')).toMatchObject({ ha1: computeHa1(DigestAlgorithm.md5, 'bob', 'example.com', 'two') });
    expect(await source.setPassword('nobody', 'example.com', 'x')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.notFound } });
    expect(await source.remove('bob', 'example.com')).toEqual({ ok: true, value: undefined });
    expect(await source.find('bob', 'example.com')).toBeUndefined();
    expect(await source.remove('bob', 'example.com')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.notFound } });
  });

  it('loads the whole table, asks for a missing user once, and remembers a miss briefly', async () => {
    await schema.pool.query(`INSERT INTO subscriber (username, domain, password) VALUES ('carol', 'example.com', 'c')`);
    let t = 0;
    const source = new PgCredentialSource(schema.pool, { useDomain: true, negativeCacheMs: 1000, now: () => t });
    const loaded = await source.reload();
    expect(loaded.ok && loaded.value).toBe(source.size);
    expect(await source.find('carol', 'example.com')).toMatchObject({ password: 'c' });

    expect(await source.find('dave', 'example.com')).toBeUndefined();
    // another instance (or kamctl) adds dave
    await schema.pool.query(`INSERT INTO subscriber (username, domain, password) VALUES ('dave', 'example.com', 'd')`);
    t = 999;
    expect(await source.find('dave', 'example.com')).toBeUndefined();
    t = 1000;
    expect(await source.find('dave', 'example.com')).toMatchObject({ password: 'd' });
  });

  it('keeps serving cached rows while PostgreSQL fails, and keeps its cache when a reload fails', async () => {
    await schema.pool.query(`INSERT INTO subscriber (username, domain, password) VALUES ('erin', 'example.com', 'e')`);
    const errors: Error[] = [];
    const source = new PgCredentialSource(schema.pool, { useDomain: true, onError: (e) => errors.push(e) });
    await source.reload();
    await schema.pool.query('ALTER TABLE subscriber RENAME TO subscriber_away');
    try {
      expect(await source.find('erin', 'example.com')).toMatchObject({ password: 'e' });
      expect(await source.find('frank', 'example.com')).toBeUndefined();
      expect(errors).toHaveLength(1);
      const reload = await source.reload();
      expect(reload).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.database } });
      expect(await source.find('erin', 'example.com')).toMatchObject({ password: 'e' });
      expect(await source.add('frank', 'example.com', 'f')).toMatchObject({ ok: false, error: { code: SubscriberStoreErrorCode.database } });
    } finally {
      await schema.pool.query('ALTER TABLE subscriber_away RENAME TO subscriber');
    }
  });

  it('looks users up by name alone without use_domain, the oldest row first', async () => {
    await schema.pool.query(`INSERT INTO subscriber (username, domain, password) VALUES ('gus', 'a.example', 'first'), ('gus', 'b.example', 'second')`);
    const cached = new PgCredentialSource(schema.pool, { useDomain: false });
    await cached.reload();
    expect(await cached.find('gus', 'elsewhere.net')).toMatchObject({ domain: 'a.example', password: 'first' });
    const uncached = new PgCredentialSource(schema.pool, { useDomain: false });
    expect(await uncached.find('gus', 'elsewhere.net')).toMatchObject({ domain: 'a.example' });
    expect(await uncached.remove('gus', 'a.example')).toEqual({ ok: true, value: undefined });
    expect(await uncached.find('gus', 'elsewhere.net')).toMatchObject({ domain: 'b.example' });
  });
});
