/**
 * Two registrar instances with real stores: subscribers in PostgreSQL, nonce counts and bans in
 * Redis, one nonce secret. What one instance issued or saw, the other honours.
 */
import { randomBytes } from 'node:crypto';
import { runMigrations } from '@sipmesh/runtime';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../../../test/helpers/pg-schema.js';
import { DigestAuthenticator, type DigestAuthRequest } from './digest-authenticator.js';
import { clientAuthorization, nonceOf } from './digest-client.fixture.js';
import { digestConfig } from './digest-config.js';
import { PgCredentialSource } from './pg-credentials.js';
import { RedisAuthAcceptor } from './auth-acceptance.js';
import { RedisBanTracker } from './redis-ban-tracker.js';
import { RedisNonceCountTracker } from './redis-nonce-count.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const MIGRATIONS = new URL('../../migrations/', import.meta.url);

describe('registrar instances sharing PostgreSQL and Redis', () => {
  const prefix = `sipmesh:test:auth:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let schema: TestSchema;
  let redis: Redis;
  let a: DigestAuthenticator;
  let b: DigestAuthenticator;

  beforeAll(async () => {
    schema = await createTestSchema('reg_auth_shared');
    await runMigrations(schema.pool, { dir: MIGRATIONS, scope: 'registrar' });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const config = digestConfig({ secret: 'cluster-secret', ban: { maxFailures: 3, windowSec: 300, banSec: 300 } });
    // `a` accepts a good digest in one script (as the registrar does), `b` asks its trackers one
    // after the other: both read and write the same keys
    const instance = async (oneScript: boolean): Promise<DigestAuthenticator> => {
      const credentials = new PgCredentialSource(schema.pool, { useDomain: config.useDomain });
      await credentials.reload();
      const nonceCounts = new RedisNonceCountTracker(redis, { keyPrefix: `${prefix}nc:` });
      const bans = new RedisBanTracker(redis, config.ban, { keyPrefix: `${prefix}ban:` });
      return new DigestAuthenticator({ config, credentials, nonceCounts, bans, ...(oneScript ? { acceptor: new RedisAuthAcceptor(redis, bans, nonceCounts) } : {}) });
    };
    const admin = new PgCredentialSource(schema.pool, { useDomain: true });
    for (const [user, pw] of [['1001', 'one'], ['1002', 'two']] as const) {
      const added = await admin.add(user, 'example.com', pw);
      if (!added.ok) throw new Error(added.error.reason);
    }
    a = await instance(true);
    b = await instance(false);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await schema.drop();
  });

  const request = (value: string, ip = '192.0.2.10'): DigestAuthRequest => ({
    method: 'REGISTER',
    requestUri: 'sip:example.com',
    credentialsHeaderValues: [value],
    realm: 'example.com',
    checkUser: '1001',
    sourceIp: ip,
  });

  it('accepts on one instance a nonce the other issued, and refuses its replay on either', async () => {
    const nonce = nonceOf(a.challengeHeaders('example.com', false, true).headers[0] as string);
    const creds = clientAuthorization({ username: '1001', password: 'one', realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com', algorithm: 'SHA-256' });
    expect(await b.authenticate(request(creds))).toMatchObject({ result: 'ok', user: '1001' });
    expect(await a.authenticate(request(creds))).toMatchObject({ result: 'challenge', reason: 'replayed' });
    expect(await b.authenticate(request(creds))).toMatchObject({ result: 'challenge', reason: 'replayed' });
    const next = clientAuthorization({ username: '1001', password: 'one', realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com', algorithm: 'SHA-256', nc: 2 });
    expect(await a.authenticate(request(next))).toMatchObject({ result: 'ok' });
  });

  it('bans across instances', async () => {
    const guess = (via: DigestAuthenticator, ip: string): Promise<unknown> => {
      const nonce = nonceOf(via.challengeHeaders('example.com', false, true).headers[0] as string);
      return via.authenticate(request(clientAuthorization({ username: '1002', password: 'guess', realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com' }), ip));
    };
    expect(await guess(a, '198.51.100.1')).toMatchObject({ reason: 'wrong-password' });
    expect(await guess(b, '198.51.100.2')).toMatchObject({ reason: 'wrong-password' });
    expect(await guess(a, '198.51.100.3')).toMatchObject({ result: 'banned' });
    const nonce = nonceOf(b.challengeHeaders('example.com', false, true).headers[0] as string);
    const good = clientAuthorization({ username: '1002', password: 'two', realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com' });
    expect(await b.authenticate({ ...request(good, '198.51.100.4'), checkUser: '1002' })).toMatchObject({ result: 'banned' });
    const nonceA = nonceOf(a.challengeHeaders('example.com', false, true).headers[0] as string);
    const goodA = clientAuthorization({ username: '1002', password: 'two', realm: 'example.com', nonce: nonceA, method: 'REGISTER', uri: 'sip:example.com' });
    expect(await a.authenticate({ ...request(goodA, '198.51.100.5'), checkUser: '1002' })).toMatchObject({ result: 'banned' });
    // the ban consumed no nonce count: once it is lifted, the same credentials are good
    await redis.del(`${prefix}ban:ban:u:1002@example.com`);
    expect(await a.authenticate({ ...request(goodA, '198.51.100.5'), checkUser: '1002' })).toMatchObject({ result: 'ok', user: '1002' });
  });

  it('clears the failures of a user who then authenticates, on either instance', async () => {
    const attempt = (via: DigestAuthenticator, password: string, ip: string): Promise<unknown> => {
      const nonce = nonceOf(via.challengeHeaders('example.com', false, true).headers[0] as string);
      return via.authenticate(request(clientAuthorization({ username: '1001', password, realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com' }), ip));
    };
    for (const via of [a, b]) {
      // two failures (the limit is three), a success, then two more failures: never banned
      expect(await attempt(via, 'guess', '203.0.113.1')).toMatchObject({ reason: 'wrong-password' });
      expect(await attempt(via, 'guess', '203.0.113.2')).toMatchObject({ reason: 'wrong-password' });
      expect(await redis.get(`${prefix}ban:fail:u:1001@example.com`)).toBe('2');
      expect(await attempt(via, 'one', '203.0.113.3')).toMatchObject({ result: 'ok' });
      expect(await redis.exists(`${prefix}ban:fail:u:1001@example.com`)).toBe(0);
      expect(await attempt(via, 'guess', '203.0.113.4')).toMatchObject({ reason: 'wrong-password' });
      expect(await attempt(via, 'guess', '203.0.113.5')).toMatchObject({ reason: 'wrong-password' });
      expect(await attempt(via, 'one', '203.0.113.6')).toMatchObject({ result: 'ok' });
    }
  });
});
