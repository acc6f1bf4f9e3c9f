/**
 * The first REGISTER of a phone carries no credentials, and the registrar's only possible answer
 * is a challenge. With `registrar.challenge.enabled` the edge gives that answer itself, with the
 * registrar's settings and nonce secret (runtime's digestChallenge and NonceIssuer, the same code
 * the registrar runs), so the registration costs one trip to the registrar instead of two; the
 * registrar verifies the edge's nonce like one of its own. Every other request goes on to the
 * router or registrar unchanged. Kamailio does the same in one process: `auth_challenge` before
 * `save("location")` in the script.
 */
import { CONTRACT_VERSION, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { digestChallenge, NonceIssuer, type DigestChallengeSettings } from '@sipmesh/runtime';
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

  ask(tx: Suspended, params: RouteParams, traceHeaders: Record<string, string> | undefined, policy: string | typeof REGISTRAR_TARGET): void {
    if (policy !== REGISTRAR_TARGET || (params.headers['authorization']?.length ?? 0) > 0) {
      this.next.ask(tx, params, traceHeaders, policy);
      return;
    }
    // The registrar's realm: the To domain (Kamailio www_challenge("$td")).
    const c = digestChallenge(this.settings, this.nonces, params.to.host, false, true);
    const answer: RouteAnswer = { version: CONTRACT_VERSION, reply: { code: c.code, reason: c.reason, headers: c.headers }, policy: 'registrar' };
    this.counters.inc('register_challenges_local');
    // as a bus answer would: after the transaction finished asking
    queueMicrotask(() => tx.onAnswer(answer));
  }

  forget(askId: string): void {
    this.next.forget(askId);
  }
}
