/** The book's TC-11 / TC-12 flows and every failure path of auth_check, end to end in memory. */
import { describe, expect, it } from 'vitest';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { AuthResultKind, ChallengeReason, DigestAuthenticator, type DigestAuthRequest } from './digest-authenticator.js';
import { clientAuthorization, nonceOf, type ClientAnswer } from './digest-client.fixture.js';
import { digestConfig, type DigestConfig } from './digest-config.js';
import { computeHa1 } from './digest.js';
import { makeSubscriber, type Subscriber } from './credential-source.js';
import { FileCredentialSource } from './file-credentials.js';
import { NonceIssuer } from '@sipmesh/runtime';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const REALM = 'example.com';
const SECRET = 'shared-test-secret';

const SUBSCRIBERS: Subscriber[] = [
  makeSubscriber({ username: 'alice', domain: REALM, password: 'wonderland' }),
  makeSubscriber({ username: 'bob', domain: REALM, password: 'builder' }),
  // hashes only, as kamctl writes them with STORE_PLAINTEXT_PW=0
  makeSubscriber({
    username: 'hashed',
    domain: REALM,
    ha1: computeHa1(DigestAlgorithm.md5, 'hashed', REALM, 'pw'),
    ha1b: computeHa1(DigestAlgorithm.md5, `hashed@${REALM}`, REALM, 'pw'),
    ha1Sha256: computeHa1(DigestAlgorithm.sha256, 'hashed', REALM, 'pw'),
  }),
];

function setup(overrides: Partial<DigestConfig> = {}): {
  auth: DigestAuthenticator;
  advance: (ms: number) => void;
  now: () => number;
  nonce: (realm?: string) => string;
} {
  let t = T0;
  const now = (): number => t;
  const config = digestConfig({ secret: SECRET, ban: { maxFailures: 3, windowSec: 300, banSec: 300 }, ...overrides });
  const auth = new DigestAuthenticator({ config, credentials: new FileCredentialSource(SUBSCRIBERS, { useDomain: true }), now });
  return { auth, now, advance: (ms) => (t += ms), nonce: (realm = REALM) => nonceOf(auth.challengeHeaders(realm, false, true).headers[0] as string) };
}

const register = (values: string[], extra: Partial<DigestAuthRequest> = {}): DigestAuthRequest => ({
  method: 'REGISTER',
  requestUri: 'sip:example.com',
  credentialsHeaderValues: values,
  realm: REALM,
  sourceIp: '192.0.2.10',
  ...extra,
});

const answer = (nonce: string, a: Partial<ClientAnswer> = {}): string =>
  clientAuthorization({ username: 'alice', password: 'wonderland', realm: REALM, nonce, method: 'REGISTER', uri: 'sip:example.com', ...a });

describe('DigestAuthenticator', () => {
  it('TC-11: a REGISTER without credentials gets 401 WWW-Authenticate, then 200 with good ones', async () => {
    const { auth } = setup();
    expect(await auth.authenticate(register([]))).toEqual({ result: 'challenge', reason: ChallengeReason.noCredentials, stale: false });
    const reply = auth.challengeHeaders(REALM, false, true);
    expect(reply.code).toBe(401);
    expect(reply.headers[0]).toMatch(/^WWW-Authenticate: Digest realm="example.com", nonce="[\w-]{44}", qop="auth", algorithm=SHA-256$/);
    const nonce = nonceOf(reply.headers[0] as string);
    expect(await auth.authenticate(register([answer(nonce)]))).toEqual({ result: AuthResultKind.ok, user: 'alice', username: 'alice', realm: REALM, algorithm: 'MD5' });
  });

  it('TC-12: an INVITE from a local user gets 407 Proxy-Authenticate, then passes with good credentials (From user checked)', async () => {
    const { auth } = setup();
    const invite = (values: string[]): DigestAuthRequest => ({ method: 'INVITE', requestUri: 'sip:bob@example.com', credentialsHeaderValues: values, realm: REALM, checkUser: 'alice', sourceIp: '192.0.2.10' });
    expect(await auth.authenticate(invite([]))).toMatchObject({ result: 'challenge', reason: 'no-credentials' });
    const reply = auth.challengeHeaders(REALM, false, false);
    expect(reply).toMatchObject({ code: 407, reason: 'Proxy Authentication Required' });
    expect(reply.headers.map((h) => h.split(':')[0])).toEqual(['Proxy-Authenticate', 'Proxy-Authenticate']);
    const creds = answer(nonceOf(reply.headers[0] as string), { method: 'INVITE', uri: 'sip:bob@example.com', algorithm: 'SHA-256' });
    expect(await auth.authenticate(invite([creds]))).toMatchObject({ result: 'ok', user: 'alice', algorithm: 'SHA-256' });
  });

  it('checks stored hashes the Kamailio way: ha1, ha1b for user@domain, ha1_sha256 for SHA-256', async () => {
    const { auth, nonce } = setup();
    const as = (username: string, algorithm: DigestAlgorithm): Promise<unknown> => auth.authenticate(register([answer(nonce(), { username, password: 'pw', algorithm })]));
    expect(await as('hashed', 'MD5')).toMatchObject({ result: 'ok', user: 'hashed', username: 'hashed' });
    expect(await as(`hashed@${REALM}`, 'MD5')).toMatchObject({ result: 'ok', user: 'hashed', username: `hashed@${REALM}` });
    expect(await as('hashed', 'SHA-256')).toMatchObject({ result: 'ok', user: 'hashed' });
    // no SHA-256 form of ha1b exists
    expect(await as(`hashed@${REALM}`, 'SHA-256')).toMatchObject({ result: 'challenge', reason: 'unknown-user' });
  });

  it('accepts only the configured algorithms, -sess included when configured', async () => {
    const shaOnly = setup({ algorithms: ['SHA-256'] });
    expect(await shaOnly.auth.authenticate(register([answer(shaOnly.nonce(), { algorithm: 'MD5' })]))).toMatchObject({ result: 'challenge', reason: 'malformed' });
    const sess = setup({ algorithms: ['MD5-sess'] });
    expect(await sess.auth.authenticate(register([answer(sess.nonce(), { algorithm: 'MD5-sess' })]))).toMatchObject({ result: 'ok', algorithm: 'MD5-sess' });
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const { auth, nonce } = setup({ ban: { maxFailures: 0, windowSec: 300, banSec: 300 } });
    const wrong = await auth.authenticate(register([answer(nonce(), { password: 'guess' })]));
    const unknown = await auth.authenticate(register([answer(nonce(), { username: 'mallory', password: 'guess' })]));
    expect(wrong).toEqual({ result: 'challenge', reason: ChallengeReason.wrongPassword, stale: false, user: 'alice' });
    expect(unknown).toEqual({ result: 'challenge', reason: ChallengeReason.unknownUser, stale: false, user: 'mallory' });
    // what goes on the wire depends on realm and stale only
    const wire = (stale: boolean): string[] => auth.challengeHeaders(REALM, stale, true).headers.map((h) => h.replace(/nonce="[^"]+"/, 'nonce=N'));
    expect(wire(wrong.result === 'challenge' && wrong.stale)).toEqual(wire(unknown.result === 'challenge' && unknown.stale));
  });

  it('says stale=true for an expired nonce with a good digest, and does not count it', async () => {
    const { auth, nonce, advance } = setup();
    const old = nonce();
    advance(301_000);
    for (let i = 0; i < 5; i++) {
      expect(await auth.authenticate(register([answer(old, { nc: i + 1 })]))).toEqual({ result: 'challenge', reason: 'stale', stale: true, detail: 'nonce stale', user: 'alice' });
    }
    expect(auth.challengeHeaders(REALM, true, true).headers[0]).toMatch(/, stale=true$/);
    expect(await auth.authenticate(register([answer(nonce())]))).toMatchObject({ result: 'ok' });
  });

  it('counts an expired or foreign nonce with a wrong digest as a wrong password', async () => {
    const { auth, nonce, advance, now } = setup();
    const old = nonce();
    advance(400_000);
    const foreign = new NonceIssuer({ secret: 'someone-else', now }).issue(REALM);
    expect(await auth.authenticate(register([answer(foreign)]))).toMatchObject({ result: 'challenge', reason: 'stale', stale: true, detail: 'nonce forged' });
    expect(await auth.authenticate(register([answer(foreign, { password: 'x' })]))).toMatchObject({ result: 'challenge', reason: 'wrong-password', stale: false });
    expect(await auth.authenticate(register([answer(old, { password: 'x' })]))).toMatchObject({ result: 'challenge', reason: 'wrong-password' });
    expect(await auth.authenticate(register([answer(old, { password: 'y' })]))).toMatchObject({ result: 'banned' });
  });

  it('refuses a replayed nonce count, and an RFC 2069 nonce used twice', async () => {
    const { auth, nonce } = setup();
    const n = nonce();
    const first = answer(n, { nc: 1 });
    expect(await auth.authenticate(register([first]))).toMatchObject({ result: 'ok' });
    expect(await auth.authenticate(register([first]))).toEqual({ result: 'challenge', reason: 'replayed', stale: true, detail: 'nc 00000001 already seen', user: 'alice' });
    expect(await auth.authenticate(register([answer(n, { nc: 2 })]))).toMatchObject({ result: 'ok' });
    expect(await auth.authenticate(register([answer(n, { nc: 7 })]))).toMatchObject({ result: 'ok' });
    expect(await auth.authenticate(register([answer(n, { nc: 6 })]))).toMatchObject({ result: 'challenge', reason: 'replayed' });

    const once = answer(nonce(), { rfc2069: true });
    expect(await auth.authenticate(register([once]))).toMatchObject({ result: 'ok' });
    expect(await auth.authenticate(register([once]))).toMatchObject({ result: 'challenge', reason: 'replayed' });
    // replays carry a valid digest: they are not password guesses and ban nobody
    for (let i = 0; i < 5; i++) expect(await auth.authenticate(register([first]))).toMatchObject({ reason: 'replayed' });
  });

  it('does not spend a nonce count on a wrong digest', async () => {
    const { auth, nonce } = setup();
    const n = nonce();
    expect(await auth.authenticate(register([answer(n, { nc: 1, password: 'guess' })]))).toMatchObject({ reason: 'wrong-password' });
    expect(await auth.authenticate(register([answer(n, { nc: 1 })]))).toMatchObject({ result: 'ok' });
  });

  it('enforces auth_check flag 1: the authenticated user must be the From / To user', async () => {
    const { auth, nonce } = setup();
    expect(await auth.authenticate(register([answer(nonce())], { checkUser: 'bob' }))).toMatchObject({ result: 'challenge', reason: 'user-mismatch', stale: false });
    expect(await auth.authenticate(register([answer(nonce(), { username: `alice@${REALM}` })], { checkUser: 'alice' }))).toMatchObject({ result: 'ok', user: 'alice' });
  });

  it('picks the credentials of its realm among several, ignoring case', async () => {
    const { auth, nonce } = setup();
    const other = answer('whatever', { realm: 'upstream.example.net' });
    expect(await auth.authenticate(register([other, 'Basic Zm9vOmJhcg==', answer(nonce())]))).toMatchObject({ result: 'ok' });
    expect(await auth.authenticate(register([answer(nonce(), { realm: 'EXAMPLE.COM' })]))).toMatchObject({ result: 'ok', realm: REALM });
    expect(await auth.authenticate(register([other, 'Basic Zm9vOmJhcg==']))).toMatchObject({ result: 'challenge', reason: 'realm-mismatch', stale: false });
  });

  it('calls broken credentials malformed: syntax, userhash, auth-int, a uri that is not the Request-URI', async () => {
    const { auth, nonce } = setup({ ban: { maxFailures: 0, windowSec: 300, banSec: 300 } });
    const malformed = { result: 'challenge', reason: 'malformed', stale: false };
    expect(await auth.authenticate(register(['Digest username="alice", realm="example.com"']))).toMatchObject(malformed);
    expect(await auth.authenticate(register([`${answer(nonce())}, userhash=true`]))).toMatchObject({ ...malformed, detail: expect.stringContaining('USERHASH') });
    expect(await auth.authenticate(register([answer(nonce()).replace('qop=auth', 'qop=auth-int')]))).toMatchObject({ ...malformed, detail: expect.stringContaining('auth-int') });
    expect(await auth.authenticate(register([answer(nonce(), { uri: 'sip:other.example.com' })]))).toMatchObject({ ...malformed, detail: expect.stringContaining('Request-URI') });
    // an equivalent spelling of the Request-URI is fine (RFC 3261 §19.1.4)
    expect(await auth.authenticate(register([answer(nonce(), { uri: 'sip:EXAMPLE.com' })]))).toMatchObject({ result: 'ok' });
  });

  describe('bans (spec §10.2.4, corrected)', () => {
    it('bans a user after maxFailures failures in the window, even with the right password, until banSec passes', async () => {
      const { auth, nonce, advance } = setup();
      const from = (ip: string, password: string): Promise<unknown> => auth.authenticate(register([answer(nonce(), { password })], { sourceIp: ip }));
      expect(await from('192.0.2.1', 'a')).toMatchObject({ reason: 'wrong-password' });
      expect(await from('192.0.2.2', 'b')).toMatchObject({ reason: 'wrong-password' });
      expect(await from('192.0.2.3', 'c')).toMatchObject({ result: 'banned', user: 'alice' });
      expect(await from('192.0.2.4', 'wonderland')).toMatchObject({ result: 'banned' });
      // other users are not affected
      expect(await auth.authenticate(register([answer(nonce(), { username: 'bob', password: 'builder' })], { sourceIp: '192.0.2.4' }))).toMatchObject({ result: 'ok' });
      advance(300_000);
      expect(await from('192.0.2.4', 'wonderland')).toMatchObject({ result: 'ok' });
    });

    it('bans a source address trying many users', async () => {
      const { auth, nonce } = setup();
      const guess = (username: string): Promise<unknown> => auth.authenticate(register([answer(nonce(), { username, password: 'guess' })], { sourceIp: '203.0.113.66' }));
      expect(await guess('u1')).toMatchObject({ reason: 'unknown-user' });
      expect(await guess('alice')).toMatchObject({ reason: 'wrong-password' });
      expect(await guess('u3')).toMatchObject({ result: 'banned' });
      expect(await auth.authenticate(register([answer(nonce(), { username: 'bob', password: 'builder' })], { sourceIp: '203.0.113.66' }))).toMatchObject({ result: 'banned' });
      // a request without credentials is challenged, never banned
      expect(await auth.authenticate(register([], { sourceIp: '203.0.113.66' }))).toMatchObject({ reason: 'no-credentials' });
    });

    it('counts malformed credentials against the source', async () => {
      const { auth } = setup();
      const junk = (): Promise<unknown> => auth.authenticate(register(['Digest garbage'], { sourceIp: '203.0.113.77' }));
      expect(await junk()).toMatchObject({ reason: 'malformed' });
      expect(await junk()).toMatchObject({ reason: 'malformed' });
      expect(await junk()).toMatchObject({ result: 'banned' });
      expect(await junk()).toMatchObject({ result: 'banned' });
    });

    it('does not count requests without credentials, or for another realm', async () => {
      const { auth, nonce } = setup();
      for (let i = 0; i < 10; i++) {
        expect(await auth.authenticate(register([]))).toMatchObject({ reason: 'no-credentials' });
        expect(await auth.authenticate(register([answer('x', { realm: 'elsewhere.org' })]))).toMatchObject({ reason: 'realm-mismatch' });
      }
      expect(await auth.authenticate(register([answer(nonce())]))).toMatchObject({ result: 'ok' });
    });

    it("clears the user's count on success", async () => {
      const { auth, nonce } = setup();
      const from = (ip: string, password: string): Promise<unknown> => auth.authenticate(register([answer(nonce(), { password })], { sourceIp: ip }));
      await from('192.0.2.1', 'a');
      await from('192.0.2.2', 'b');
      expect(await from('192.0.2.3', 'wonderland')).toMatchObject({ result: 'ok' });
      expect(await from('192.0.2.4', 'c')).toMatchObject({ reason: 'wrong-password' });
      expect(await from('192.0.2.5', 'd')).toMatchObject({ reason: 'wrong-password' });
    });
  });
});
