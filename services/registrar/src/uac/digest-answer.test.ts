/**
 * sipmesh's answers to a carrier's challenge are checked by sipmesh's own registrar side, which
 * verifies digests independently (auth/digest-authenticator.ts): what one writes the other accepts.
 */
import { describe, expect, it } from 'vitest';
import { computeHa1, DigestAuthenticator, digestConfig, FileCredentialSource, makeSubscriber } from '../auth/index.js';
import { answerChallenge, challengesOf } from './digest-answer.js';

function carrier(algorithms: ('MD5' | 'SHA-256')[], qop: 'auth' | 'none' = 'auth', opaque = ''): DigestAuthenticator {
  const credentials = new FileCredentialSource([makeSubscriber({ username: 'trunk1', domain: 'carrier.example', password: 's3cret' })], { useDomain: false });
  return new DigestAuthenticator({ config: digestConfig({ secret: 'k', algorithms, qop, opaque }), credentials });
}

async function verdict(auth: DigestAuthenticator, header: string, method = 'REGISTER', uri = 'sip:carrier.example'): Promise<string> {
  const r = await auth.authenticate({ method, requestUri: uri, credentialsHeaderValues: [header], realm: 'carrier.example', sourceIp: '192.0.2.1' });
  return r.result;
}

describe('answering a digest challenge', () => {
  it.each([
    ['MD5 with qop', ['MD5'] as const, 'auth' as const],
    ['SHA-256 with qop', ['SHA-256'] as const, 'auth' as const],
    ['MD5 in the RFC 2069 form', ['MD5'] as const, 'none' as const],
  ])('answers %s so that the challenger accepts it', async (_name, algorithms, qop) => {
    const auth = carrier([...algorithms], qop, 'op4que');
    const challenge = auth.challengeHeaders('carrier.example', false, true);
    const a = answerChallenge(challenge.headers, false, { username: 'trunk1', password: 's3cret' }, { method: 'REGISTER', uri: 'sip:carrier.example' });
    expect(a.ok).toBe(true);
    if (!a.ok) return;
    expect(a.header).toContain('opaque="op4que"');
    expect(await verdict(auth, a.header)).toBe('ok');
  });

  it('answers with a stored HA1 instead of the password, and picks the challenge its algorithm fits', async () => {
    const auth = carrier(['SHA-256', 'MD5']);
    const challenge = auth.challengeHeaders('carrier.example', false, false);
    const ha1 = computeHa1('MD5', 'trunk1', 'carrier.example', 's3cret');
    const a = answerChallenge(challenge.headers, true, { username: 'trunk1', ha1 }, { method: 'REGISTER', uri: 'sip:carrier.example' });
    expect(a.ok && a.challenge.algorithm).toBe('MD5');
    if (a.ok) expect(await verdict(auth, a.header)).toBe('ok');
  });

  it('refuses a challenge of another realm than the configured one', () => {
    const a = answerChallenge(['WWW-Authenticate: Digest realm="other", nonce="n", qop="auth"'], false, { username: 'u', password: 'p', realm: 'carrier.example' }, { method: 'REGISTER', uri: 'sip:x' });
    expect(a).toEqual({ ok: false, reason: 'challenge realm other is not carrier.example' });
  });

  it('reads only the header the status asks for, and skips challenges it cannot answer', () => {
    const headers = ['Proxy-Authenticate: Digest realm="p", nonce="1"', 'WWW-Authenticate: Digest realm="w", nonce="2", qop="auth-int"', 'WWW-Authenticate: Basic realm="w"', 'WWW-Authenticate: Digest realm="w", nonce="3", qop="auth,auth-int", algorithm=SHA-256-sess, stale=TRUE'];
    expect(challengesOf(headers, false)).toEqual([{ realm: 'w', nonce: '3', algorithm: 'SHA-256-sess', qopAuth: true, stale: true }]);
    expect(challengesOf(headers, true).map((c) => c.nonce)).toEqual(['1']);
    expect(answerChallenge([], false, { username: 'u', password: 'p' }, { method: 'REGISTER', uri: 'sip:x' }).ok).toBe(false);
  });
});
