/**
 * Where subscribers' secrets come from (Kamailio auth_db and its `subscriber` table), and which
 * secret checks a response. Kamailio's rules (auth_db `get_ha1`): a digest username `user@domain`
 * is looked up by its user part and checked against `ha1b` = MD5(user@domain:realm:password);
 * a plain username against `ha1` = MD5(user:realm:password). With a stored password HA1 is computed
 * from it instead (auth_db calculate_ha1). `ha1Sha256` is sipmesh's own column for SHA-256
 * (RFC 7616 §3.4.2), SHA-256(user:realm:password); there is no SHA-256 `ha1b`.
 */
import { isMd5Family, type DigestAlgorithm } from '@sipmesh/runtime';
import { computeHa1 } from './digest.js';

export interface Subscriber {
  readonly username: string;
  readonly domain: string;
  readonly password?: string;
  /** MD5(username:realm:password), hex. */
  readonly ha1?: string;
  /** MD5(username@domain:realm:password), hex. */
  readonly ha1b?: string;
  /** SHA-256(username:realm:password), hex. */
  readonly ha1Sha256?: string;
}

export interface CredentialSource {
  /**
   * The subscriber `username` of `domain`; sources configured without domains (Kamailio auth_db
   * use_domain=0) ignore `domain`.
   */
  find(username: string, domain: string): Promise<Subscriber | undefined>;
}

/** The digest username split at its first `@`, as Kamailio's parse_username does. */
export function splitDigestUsername(username: string): { user: string; domain: string | undefined } {
  const at = username.indexOf('@');
  return at < 0 ? { user: username, domain: undefined } : { user: username.slice(0, at), domain: username.slice(at + 1) };
}

/**
 * The HA1 that checks a response from `digestUsername` in `realm` with `algorithm` (its base form,
 * before any `-sess` step), or undefined when the subscriber has no secret for it.
 */
export function subscriberHa1(subscriber: Subscriber, digestUsername: string, realm: string, algorithm: DigestAlgorithm): string | undefined {
  if (subscriber.password) return computeHa1(algorithm, digestUsername, realm, subscriber.password);
  const withDomain = digestUsername.includes('@');
  const stored = isMd5Family(algorithm) ? (withDomain ? subscriber.ha1b : subscriber.ha1) : withDomain ? undefined : subscriber.ha1Sha256;
  return stored ? stored.toLowerCase() : undefined;
}

/** Lookup key of a subscriber: username alone, or with its domain (compared case-insensitively). */
export function subscriberKey(username: string, domain: string, useDomain: boolean): string {
  return useDomain ? `${username}\u0000${domain.toLowerCase()}` : username;
}

/** A subscriber from table or file fields; empty strings (the columns' default) mean absent. */
export function makeSubscriber(fields: {
  username: string;
  domain: string;
  password?: string | null | undefined;
  ha1?: string | null | undefined;
  ha1b?: string | null | undefined;
  ha1Sha256?: string | null | undefined;
}): Subscriber {
  const s: { -readonly [K in keyof Subscriber]: Subscriber[K] } = { username: fields.username, domain: fields.domain };
  if (fields.password) s.password = fields.password;
  if (fields.ha1) s.ha1 = fields.ha1.toLowerCase();
  if (fields.ha1b) s.ha1b = fields.ha1b.toLowerCase();
  if (fields.ha1Sha256) s.ha1Sha256 = fields.ha1Sha256.toLowerCase();
  return s;
}

/** True when the subscriber has some secret to check a response against. */
export function hasSecret(s: Subscriber): boolean {
  return Boolean(s.password ?? s.ha1 ?? s.ha1b ?? s.ha1Sha256);
}
