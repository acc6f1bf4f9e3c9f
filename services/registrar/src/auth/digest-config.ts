/**
 * Settings of digest authentication (Kamailio auth / auth_db modparams), with their defaults.
 * The registrar's config schema (config/registrar-config.ts) documents each for operators; this
 * type is what the auth code takes, already validated.
 */
import { DEFAULT_BAN_POLICY, type BanPolicy } from './ban-tracker.js';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { DEFAULT_NONCE_LIFETIME_SEC } from '@sipmesh/runtime';

export const QopMode = { auth: 'auth', none: 'none' } as const;
export type QopMode = (typeof QopMode)[keyof typeof QopMode];

export interface DigestConfig {
  /** Nonce secret, the same on every registrar instance; empty: a random one per process (one instance only). */
  readonly secret: string;
  /** Seconds a nonce is good for; older ones are answered with stale=true (Kamailio nonce_expire). */
  readonly nonceLifetimeSec: number;
  /**
   * Algorithms challenged with, one header each, preferred first (RFC 7616 §3.7, RFC 8760 §2.4),
   * and the only ones accepted in credentials.
   */
  readonly algorithms: readonly DigestAlgorithm[];
  /** `auth`: challenge with qop="auth" (nonce counts); `none`: the RFC 2069 form. Both forms are accepted either way. */
  readonly qop: QopMode;
  /** Sent in challenges when not empty (RFC 7616 §3.3); not checked, since the nonce is authenticated already. */
  readonly opaque: string;
  /** Kamailio auth_db use_domain: subscribers are looked up by user and realm; false: by user alone. Read by the credential sources. */
  readonly useDomain: boolean;
  readonly ban: BanPolicy;
}

export const DEFAULT_DIGEST_CONFIG: DigestConfig = Object.freeze({
  secret: '',
  nonceLifetimeSec: DEFAULT_NONCE_LIFETIME_SEC,
  algorithms: Object.freeze([DigestAlgorithm.sha256, DigestAlgorithm.md5]),
  qop: QopMode.auth,
  opaque: '',
  useDomain: true,
  ban: DEFAULT_BAN_POLICY,
});

/** The defaults with some settings replaced. */
export function digestConfig(overrides: Partial<DigestConfig> = {}): DigestConfig {
  return Object.freeze({ ...DEFAULT_DIGEST_CONFIG, ...overrides, ban: Object.freeze({ ...DEFAULT_BAN_POLICY, ...overrides.ban }) });
}
