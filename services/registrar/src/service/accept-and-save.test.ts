/**
 * A good digest accepted and its bindings written in one Redis script (RedisAcceptAndSave), as
 * two registrar instances sharing one Redis do it: a new AoR and a refresh through the same
 * registrar cost one round trip; an AoR another instance changed, or one this instance forgot,
 * is found as it is and decided again; nothing is written for a digest that is not accepted.
 */
import { randomBytes } from 'node:crypto';
import type { RouteParams } from '@sipmesh/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DigestAuthenticator, digestConfig, makeSubscriber, RedisAuthAcceptor, RedisBanTracker, RedisNonceCountTracker } from '../auth/index.js';
import { clientAuthorization, nonceOf } from '../auth/digest-client.fixture.js';
import { RedisLocationStore, type Binding } from '../location/index.js';
import { DEFAULT_REGISTER_CONFIG } from '../register/index.js';
import { RedisAcceptAndSave } from './accept-and-save.js';
import { handleRegister, type RegisterHandlerDeps } from './register-handler.js';
import { registerParams, type RegisterParamsOptions } from './register-params.fixture.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `sipmesh:test:accept-save:${process.pid}:${randomBytes(4).toString('hex')}:`;
const config = digestConfig({ secret: 'cluster-secret', ban: { maxFailures: 3, windowSec: 300, banSec: 300 } });
const subscribers = new Map(['1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008'].map((u) => [u, makeSubscriber({ username: u, domain: 'example.com', password: `pw${u}` })]));

interface Instance {
  readonly deps: RegisterHandlerDeps;
  readonly store: RedisLocationStore;
  readonly authenticator: DigestAuthenticator;
  readonly bans: RedisBanTracker;
  /** Scripts this instance ran (each is one round trip: none ran concurrently here). */
  readonly scripts: string[];
  readonly expired: Binding[];
  readonly redis: Redis;
}

const instances: Instance[] = [];

function instance(options: { recentAors?: number; keyGraceMs?: number } = {}): Instance {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const scripts: string[] = [];
  const evalsha = redis.evalsha.bind(redis);
  redis.evalsha = ((sha: string, ...rest: unknown[]) => {
    scripts.push(sha.slice(0, 8));
    return (evalsha as (...a: unknown[]) => Promise<unknown>)(sha, ...rest);
  }) as typeof redis.evalsha;
  const expired: Binding[] = [];
  const store = new RedisLocationStore({ redis, keyPrefix: `${prefix}loc:`, onExpired: (_aor, bs) => expired.push(...bs), ...options });
  const nonceCounts = new RedisNonceCountTracker(redis, { keyPrefix: `${prefix}nc:` });
  const bans = new RedisBanTracker(redis, config.ban, { keyPrefix: `${prefix}ban:` });
  const acceptor = new RedisAuthAcceptor(redis, bans, nonceCounts);
  const authenticator = new DigestAuthenticator({ config, credentials: { find: (user) => Promise.resolve(subscribers.get(user)) }, nonceCounts, bans, acceptor });
  const deps: RegisterHandlerDeps = { store, register: DEFAULT_REGISTER_CONFIG, authenticator, acceptAndSave: new RedisAcceptAndSave(redis, store, acceptor), natTest: 0, now: Date.now };
  const i = { deps, store, authenticator, bans, scripts, expired, redis };
  instances.push(i);
  return i;
}

interface Register extends RegisterParamsOptions {
  readonly user: string;
  readonly nc?: number;
  readonly nonce?: string;
  readonly password?: string;
}

/** A REGISTER answering `by`'s challenge (or the given nonce), as the edge hands it over. */
function register(by: Instance, r: Register): RouteParams {
  const nonce = r.nonce ?? nonceOf(by.authenticator.challengeHeaders('example.com', false, true).headers[0] as string);
  const authorization = clientAuthorization({ username: r.user, password: r.password ?? `pw${r.user}`, realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com', nc: r.nc ?? 1 });
  return registerParams({ ...r, authorization });
}

async function stored(i: Instance, user: string): Promise<Binding[]> {
  return (await i.store.read(`${user}@example.com`)).bindings;
}

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterEach(() => {
  for (const i of instances.splice(0)) i.redis.disconnect();
});

afterAll(async () => {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

describe('a REGISTER accepted and saved in one Redis script', () => {
  it('registers a new AoR in one round trip, and a replay of its credentials writes nothing', async () => {
    const a = instance();
    const first = register(a, { user: '1001' });
    expect(await handleRegister(first, a.deps)).toMatchObject({ kind: 'register', reply: { code: 200 }, user: '1001', presumed: 'right', outcome: { changes: { added: [{ contact: 'sip:1001@192.0.2.5:5062' }] } } });
    expect(a.scripts).toHaveLength(1);
    const [b] = await stored(a, '1001');
    expect(b).toMatchObject({ contact: 'sip:1001@192.0.2.5:5062', callId: 'reg-1001', cseq: 1 });

    // the same Authorization again (nc 1 of the same nonce): replayed, the binding as it was
    const replay = { ...first, call_id: 'other', headers: { ...first.headers, contact: ['<sip:1001@198.51.100.9>'] }, contact: ['<sip:1001@198.51.100.9>'] };
    expect(await handleRegister(replay, a.deps)).toMatchObject({ kind: 'auth', outcome: 'challenge', reason: 'replayed' });
    expect(await stored(a, '1001')).toEqual([b]);
  });

  it('refreshes through the same registrar in one round trip, keeping the binding', async () => {
    const a = instance();
    await handleRegister(register(a, { user: '1002' }), a.deps);
    const [before] = await stored(a, '1002');
    a.scripts.length = 0;
    const r = await handleRegister(register(a, { user: '1002', cseq: 2, expires: 1200 }), a.deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 200 }, presumed: 'right', outcome: { changes: { refreshed: [{ ruid: before?.ruid }] } } });
    expect(a.scripts).toHaveLength(1);
    const [after] = await stored(a, '1002');
    expect(after).toMatchObject({ ruid: before?.ruid, cseq: 2 });
    expect((after?.expiresAtMs ?? 0) - (before?.expiresAtMs ?? 0)).toBeGreaterThan(500_000);
  });

  it('decides again from the AoR as it is when another registrar changed it, losing no contact', async () => {
    const a = instance();
    const b = instance();
    await handleRegister(register(a, { user: '1003', contact: 'sip:1003@192.0.2.5:5062', callId: 'desk' }), a.deps);
    await handleRegister(register(b, { user: '1003', contact: 'sip:1003@192.0.2.6:5062', callId: 'mobile' }), b.deps);
    a.scripts.length = 0;
    // `a` presumes the AoR as it wrote it; `b` has added a contact since
    const r = await handleRegister(register(a, { user: '1003', contact: 'sip:1003@192.0.2.5:5062', callId: 'desk', cseq: 2 }), a.deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 200 }, presumed: 'wrong' });
    expect(a.scripts).toHaveLength(2);
    expect(r.kind === 'register' && r.outcome.bindings.map((x) => x.contact).sort()).toEqual(['sip:1003@192.0.2.5:5062', 'sip:1003@192.0.2.6:5062']);
    expect((await stored(a, '1003')).map((x) => `${x.contact} ${x.cseq}`).sort()).toEqual(['sip:1003@192.0.2.5:5062 2', 'sip:1003@192.0.2.6:5062 1']);
  });

  it('takes two round trips for an AoR it does not remember, with the same result', async () => {
    const writer = instance();
    await handleRegister(register(writer, { user: '1004' }), writer.deps);
    const forgetful = instance({ recentAors: 0 });
    await handleRegister(register(forgetful, { user: '1004', cseq: 2 }), forgetful.deps);
    forgetful.scripts.length = 0;
    const r = await handleRegister(register(forgetful, { user: '1004', cseq: 3, contact: 'sip:1004@192.0.2.7' }), forgetful.deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 200 } });
    expect(forgetful.scripts).toHaveLength(2);
    expect((await stored(writer, '1004')).map((x) => `${x.contact} ${x.cseq}`).sort()).toEqual(['sip:1004@192.0.2.5:5062 2', 'sip:1004@192.0.2.7 3']);
  });

  it('refuses an out-of-order CSeq from the remembered AoR without writing', async () => {
    const a = instance();
    await handleRegister(register(a, { user: '1005', cseq: 5 }), a.deps);
    const before = await stored(a, '1005');
    a.scripts.length = 0;
    const r = await handleRegister(register(a, { user: '1005', cseq: 4 }), a.deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 400, reason: 'Bad Request' } });
    expect(a.scripts).toHaveLength(1);
    expect(await stored(a, '1005')).toEqual(before);
  });

  it('writes nothing for a banned user, even with the right password', async () => {
    const a = instance();
    // its own source: the guesses ban the source too
    for (let n = 0; n < 3; n++) await handleRegister(register(a, { user: '1006', password: 'guess', ip: '203.0.113.66' }), a.deps);
    const r = await handleRegister(register(a, { user: '1006', ip: '203.0.113.66' }), a.deps);
    expect(r).toMatchObject({ kind: 'auth', outcome: 'banned', reply: { code: 403, reason: 'Try later' } });
    expect(await stored(a, '1006')).toEqual([]);
    expect(await admin.exists(a.store.aorKey('1006@example.com'))).toBe(0);
  });

  it('loses no contact when two registrars write one AoR at once, many times', async () => {
    const a = instance();
    const b = instance();
    const contacts = Array.from({ length: 40 }, (_, i) => `sip:1008@192.0.2.${i + 1}:5062`);
    const replies = await Promise.all(
      contacts.map((contact, i) => {
        const by = i % 2 === 0 ? a : b;
        // each phone its own Call-ID: every REGISTER adds a binding
        return handleRegister(register(by, { user: '1008', contact, callId: `phone-${i}` }), by.deps);
      }),
    );
    expect(replies.map((r) => r.reply.code)).toEqual(contacts.map(() => 200));
    expect((await stored(a, '1008')).map((x) => x.contact).sort()).toEqual([...contacts].sort());
    // most of them presumed the AoR as their registrar last saw it, and were wrong
    const presumptions = replies.map((r) => (r.kind === 'register' ? r.presumed : undefined));
    expect(presumptions.every((p) => p === 'right' || p === 'wrong')).toBe(true);
    expect(presumptions).toContain('wrong');
  });

  it('announces the remembered bindings that expired once, when the next REGISTER replaces them', async () => {
    // a key grace keeps the expired binding in Redis (without, Redis drops the key at its TTL)
    const a = instance({ keyGraceMs: 60_000 });
    const short = { ...DEFAULT_REGISTER_CONFIG, minExpiresSec: 0 };
    const deps = { ...a.deps, register: short };
    await handleRegister(register(a, { user: '1007', contact: 'sip:1007@192.0.2.8', expires: 1, callId: 'old' }), deps);
    await new Promise((r) => setTimeout(r, 1100));
    a.scripts.length = 0;
    const r = await handleRegister(register(a, { user: '1007', contact: 'sip:1007@192.0.2.9', callId: 'new' }), deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 200 } });
    expect(r.kind === 'register' && r.outcome.bindings.map((x) => x.contact)).toEqual(['sip:1007@192.0.2.9']);
    expect(a.expired.map((x) => x.contact)).toEqual(['sip:1007@192.0.2.8']);
    expect((await stored(a, '1007')).map((x) => x.contact)).toEqual(['sip:1007@192.0.2.9']);
  });
});
