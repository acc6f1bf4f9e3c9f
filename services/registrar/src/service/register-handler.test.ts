/**
 * handleRegister's store traffic: a REGISTER with credentials has its AoR read while it is being
 * authenticated (before its nonce count is checked), and that read is the one the binding is
 * written from; without credentials nothing is read, and a refused one writes nothing.
 */
import type { RouteParams } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, digestConfig, makeSubscriber } from '../auth/index.js';
import { clientAuthorization, nonceOf } from '../auth/digest-client.fixture.js';
import { MemoryLocationStore, type AorSnapshot, type LocationStore } from '../location/index.js';
import { DEFAULT_REGISTER_CONFIG } from '../register/index.js';
import { handleRegister } from './register-handler.js';
import { registerParams } from './register-params.fixture.js';

function params(authorization?: string): RouteParams {
  return registerParams({ callId: 'reg-1', cseq: 2, ...(authorization !== undefined ? { authorization } : {}) });
}

function setUp(): { deps: Parameters<typeof handleRegister>[1]; reads: string[]; authenticator: DigestAuthenticator; store: LocationStore } {
  const reads: string[] = [];
  const memory = new MemoryLocationStore();
  const store = new Proxy(memory, {
    get(target, prop, receiver) {
      if (prop === 'read') {
        return (aor: string): Promise<AorSnapshot> => {
          reads.push(`read ${aor}`);
          return target.read(aor);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const subscriber = makeSubscriber({ username: '1001', domain: 'example.com', password: 'pw1001' });
  const authenticator = new DigestAuthenticator({
    config: digestConfig({ secret: 's' }),
    credentials: { find: (user) => Promise.resolve(user === '1001' ? subscriber : undefined) },
    nonceCounts: {
      accept: (): Promise<boolean> => {
        reads.push('nonce count');
        return Promise.resolve(true);
      },
    },
  });
  return { deps: { store, register: DEFAULT_REGISTER_CONFIG, authenticator, natTest: 0, now: Date.now }, reads, authenticator, store };
}

const answer = (authenticator: DigestAuthenticator, password: string): string =>
  clientAuthorization({ username: '1001', password, realm: 'example.com', nonce: nonceOf(authenticator.challengeHeaders('example.com', false, true).headers[0] as string), method: 'REGISTER', uri: 'sip:example.com' });

describe('handleRegister', () => {
  it('reads the AoR while authenticating, once: the read ahead is the one it writes from', async () => {
    const { deps, reads, authenticator, store } = setUp();
    const r = await handleRegister(params(answer(authenticator, 'pw1001')), deps);
    expect(r).toMatchObject({ kind: 'register', reply: { code: 200 }, user: '1001' });
    expect(reads).toEqual(['read 1001@example.com', 'nonce count']);
    expect((await store.get('1001@example.com')).map((b) => b.contact)).toEqual(['sip:1001@192.0.2.5:5062']);
  });

  it('reads nothing for a REGISTER without credentials, and writes nothing for a wrong password', async () => {
    const { deps, reads, authenticator, store } = setUp();
    expect(await handleRegister(params(), deps)).toMatchObject({ kind: 'auth', outcome: 'challenge', reply: { code: 401 } });
    expect(reads).toEqual([]);
    expect(await handleRegister(params(answer(authenticator, 'wrong')), deps)).toMatchObject({ kind: 'auth', outcome: 'challenge', reason: 'wrong-password' });
    expect(await store.get('1001@example.com')).toEqual([]);
  });
});
