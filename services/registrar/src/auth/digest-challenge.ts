/**
 * The registrar's challenge reply (runtime's digestChallenge with the registrar's auth settings);
 * an edge configured with the same settings and secret answers a REGISTER without credentials
 * with the same challenge, and the registrar verifies its nonce.
 */
import { digestChallenge, type NonceIssuer } from '@sipmesh/runtime';
import type { DigestConfig } from './digest-config.js';

export interface ChallengeReply {
  readonly code: 401 | 407;
  readonly reason: string;
  /** Complete header lines without CRLF. */
  readonly headers: readonly string[];
}

export function buildChallenge(config: DigestConfig, nonces: NonceIssuer, realm: string, stale: boolean, forRegister: boolean): ChallengeReply {
  return digestChallenge(config, nonces, realm, stale, forRegister);
}
