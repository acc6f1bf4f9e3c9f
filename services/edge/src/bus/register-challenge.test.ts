import { describe, expect, it } from 'vitest';
import type { RouteAnswer, RouteParams } from '@sipmesh/contracts';
import { NonceIssuer, NonceStatus, parseChallenges } from '@sipmesh/runtime';
import { REGISTRAR_TARGET, type RouteAsker, type Suspended } from '../proxy/proxy-context.js';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest } from '../parser/sip-message.js';
import { RegisterChallenger } from './register-challenge.js';

function register(extra = ''): SipRequest {
  const r = parseMessage(
    Buffer.from(
      'REGISTER sip:example.com SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP 192.0.2.4:5060;branch=z9hG4bK1\r\n' +
        'Max-Forwards: 70\r\n' +
        'From: <sip:alice@example.com>;tag=t1\r\n' +
        'To: <sip:alice@Example.COM>\r\n' +
        'Call-ID: c1\r\n' +
        'CSeq: 1 REGISTER\r\n' +
        'Contact: <sip:alice@192.0.2.4:5060>\r\n' +
        extra +
        'Content-Length: 0\r\n\r\n',
    ),
  );
  if (!r.ok || r.message.kind !== 'request') throw new Error('not a request');
  return r.message;
}

const PARAMS = { method: 'REGISTER' } as RouteParams;

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
  it("answers 401 with the registrar's challenge, one header per algorithm, a nonce the registrars' secret verifies for the To domain", () => {
    const { challenger, counted } = setUp();
    const answer = challenger.answerLocally(register(), REGISTRAR_TARGET);
    expect(counted).toEqual(['register_challenges_local']);
    const reply = answer?.reply;
    expect(reply?.code).toBe(401);
    expect(reply?.reason).toBe('Unauthorized');
    expect(answer?.policy).toBe('registrar');
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

  it('leaves REGISTERs with credentials and every routed request to be asked, and passes them on', () => {
    const { challenger, forwarded, answers, tx, counted } = setUp();
    expect(challenger.answerLocally(register('Authorization: Digest username="alice"\r\n'), REGISTRAR_TARGET)).toBeUndefined();
    expect(challenger.answerLocally(register(), 'default')).toBeUndefined();
    expect(counted).toEqual([]);
    challenger.ask(tx, PARAMS, undefined, REGISTRAR_TARGET);
    challenger.ask(tx, PARAMS, undefined, 'default');
    expect(forwarded).toEqual(['REGISTER registrar', 'REGISTER default']);
    expect(answers).toEqual([]);
  });
});
