/**
 * The challenge reply: `401 Unauthorized` with WWW-Authenticate for REGISTER (a registrar is the
 * UAS, RFC 3261 §22.1 / §10.3), `407 Proxy Authentication Required` with Proxy-Authenticate for
 * everything else (a proxy, RFC 3261 §22.3). Kamailio's auth_challenge does the same [KD, spec
 * §2.2]. One header per algorithm, preferred first (RFC 7616 §3.7, RFC 8760 §2.4), all with the
 * same nonce.
 */
import { quoteString } from '@sipmesh/runtime';
import type { DigestConfig } from './digest-config.js';
import type { NonceIssuer } from './nonce.js';

export interface ChallengeReply {
  readonly code: 401 | 407;
  readonly reason: string;
  /** Complete header lines without CRLF. */
  readonly headers: readonly string[];
}

export function buildChallenge(config: DigestConfig, nonces: NonceIssuer, realm: string, stale: boolean, forRegister: boolean): ChallengeReply {
  const nonce = nonces.issue(realm);
  const name = forRegister ? 'WWW-Authenticate' : 'Proxy-Authenticate';
  const headers = config.algorithms.map((algorithm) => {
    // RFC 7616 §3.3: realm, nonce, opaque and qop are quoted; algorithm and stale are tokens
    const params = [`realm=${quoteString(realm)}`, `nonce=${quoteString(nonce)}`];
    if (config.opaque !== '') params.push(`opaque=${quoteString(config.opaque)}`);
    if (config.qop === 'auth') params.push('qop="auth"');
    params.push(`algorithm=${algorithm}`);
    if (stale) params.push('stale=true');
    return `${name}: Digest ${params.join(', ')}`;
  });
  return forRegister ? { code: 401, reason: 'Unauthorized', headers } : { code: 407, reason: 'Proxy Authentication Required', headers };
}
