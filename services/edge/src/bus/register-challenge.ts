/**
 * The first REGISTER of a phone carries no credentials, and the registrar's only possible answer
 * is a challenge. With `registrar.challenge.enabled` the edge gives that answer itself, with the
 * registrar's settings and nonce secret (runtime's digestChallenge and NonceIssuer, the same code
 * the registrar runs), so the registration costs one trip to the registrar instead of two; the
 * registrar verifies the edge's nonce like one of its own. The transaction asks for that answer
 * before it builds a route request (answerLocally); every other request goes on to the router or
 * registrar unchanged. Kamailio does the same in one process: `auth_challenge` before
 * `save("location")` in the script.
 */
import { CONTRACT_VERSION, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { digestChallenge, NonceIssuer, type DigestChallengeSettings } from '@sipmesh/runtime';
import type { SipRequest } from '../parser/sip-message.js';
import { REGISTRAR_TARGET, type RouteAsker, type Suspended } from '../proxy/proxy-context.js';

export interface RegisterChallengeSettings extends DigestChallengeSettings {
  /** The registrars' auth.secret. */
  readonly secret: string;
  /** The registrars' auth.nonceLifetimeSec. */
  readonly nonceLifetimeSec: number;
}

export interface RegisterChallengeCounters {
  inc(name: 'register_challenges_local'): void;
}

export class RegisterChallenger implements RouteAsker {
  private readonly nonces: NonceIssuer;

  constructor(
    private readonly next: RouteAsker,
    private readonly settings: RegisterChallengeSettings,
    private readonly counters: RegisterChallengeCounters,
  ) {
    this.nonces = new NonceIssuer({ secret: settings.secret, lifetimeSec: settings.nonceLifetimeSec });
  }

  answerLocally(req: SipRequest, policy: string | typeof REGISTRAR_TARGET): RouteAnswer | undefined {
    if (policy !== REGISTRAR_TARGET || req.hasHeader('authorization')) return undefined;
    // The registrar's realm: the To domain (Kamailio www_challenge("$td")).
    const c = digestChallenge(this.settings, this.nonces, req.toUri?.host ?? '', false, true);
    this.counters.inc('register_challenges_local');
    return { version: CONTRACT_VERSION, reply: { code: c.code, reason: c.reason, headers: c.headers }, policy: 'registrar' };
  }

  ask(tx: Suspended, params: RouteParams, traceHeaders: Record<string, string> | undefined, policy: string | typeof REGISTRAR_TARGET): void {
    this.next.ask(tx, params, traceHeaders, policy);
  }

  forget(askId: string): void {
    this.next.forget(askId);
  }
}
