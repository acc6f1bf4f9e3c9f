import { describe, expect, it } from 'vitest';
import { CONTRACT_VERSION, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { NonceIssuer, NonceStatus, parseChallenges } from '@sipmesh/runtime';
import { REGISTRAR_TARGET, type RouteAsker, type Suspended } from '../proxy/proxy-context.js';
import { RegisterChallenger } from './register-challenge.js';

function params(headers: Record<string, string[]>): RouteParams {
  return {
    version: CONTRACT_VERSION,
    edge: 'e1',
    tx: 'e1.1.1',
    method: 'REGISTER',
    ruri: 'sip:example.com',
    ruri_parts: { scheme: 'sip', host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't1' },
    to: { uri: 'sip:alice@Example.COM', user: 'alice', host: 'Example.COM' },
    call_id: 'c1',
    cseq: { seq: 1, method: 'REGISTER' },
    headers,
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
  };
}

function setUp(): { challenger: RegisterChallenger; forwarded: string[]; answers: RouteAnswer[]; tx: Suspended; counted: string[] } {
  const forwarded: string[] = [];
  const answers: RouteAnswer[] = [];
  const counted: string[] = [];
  const next: RouteAsker = { ask: (_tx, p, _t, policy) => forwarded.push(`${p.method} ${policy === REGISTRAR_TARGET ? 'registrar' : policy}`), forget: () => undefined };
  const tx: Suspended = { askId: 'e1.1.1', onAnswer: (a) => answers.push(a), onRouterError: () => undefined, onInvalidAnswer: () => undefined, onNoResponders: () => undefined };
  const challenger = new RegisterChallenger(next, { secret: 's3cret', nonceLifetimeSec: 300, algorithms: ['SHA-256', 'MD5'], qop: 'auth', opaque: '' }, { inc: (n) => counted.push(n) });
  return { challenger, forwarded, answers, tx, counted };
}

describe('the edge challenging a REGISTER without credentials', () => {
  it("answers 401 with the registrar's challenge, one header per algorithm, a nonce the registrars' secret verifies for the To domain", async () => {
    const { challenger, forwarded, answers, tx, counted } = setUp();
    challenger.ask(tx, params({}), undefined, REGISTRAR_TARGET);
    expect(answers).toEqual([]); // answered after ask returns, as from the bus
    await Promise.resolve();
    expect(forwarded).toEqual([]);
    expect(counted).toEqual(['register_challenges_local']);
    const reply = answers[0]?.reply;
    expect(reply?.code).toBe(401);
    expect(reply?.reason).toBe('Unauthorized');
    expect(answers[0]?.policy).toBe('registrar');
    const headers = reply?.headers ?? [];
    expect(headers.map((h) => h.split(':')[0])).toEqual(['WWW-Authenticate', 'WWW-Authenticate']);
    const challenges = parseChallenges(headers.map((h) => h.slice(h.indexOf(':') + 1).trim()));
    expect(challenges.map((c) => c.algorithm)).toEqual(['SHA-256', 'MD5']);
    expect(challenges.every((c) => c.qopAuth && c.realm === 'Example.COM' && !c.stale)).toBe(true);
    const nonce = challenges[0]?.nonce ?? '';
    expect(challenges[1]?.nonce).toBe(nonce);
    expect(new NonceIssuer({ secret: 's3cret' }).verify(nonce, 'example.com').status).toBe(NonceStatus.valid);
    expect(new NonceIssuer({ secret: 'other' }).verify(nonce, 'example.com').status).toBe(NonceStatus.forged);
  });

  it('passes REGISTERs with credentials and every routed request on', () => {
    const { challenger, forwarded, answers, tx } = setUp();
    challenger.ask(tx, params({ authorization: ['Digest username="alice"'] }), undefined, REGISTRAR_TARGET);
    challenger.ask(tx, params({}), undefined, 'default');
    expect(forwarded).toEqual(['REGISTER registrar', 'REGISTER default']);
    expect(answers).toEqual([]);
  });
});
