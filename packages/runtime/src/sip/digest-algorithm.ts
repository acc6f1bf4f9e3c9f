/**
 * The digest algorithms sipmesh speaks: MD5 (RFC 2617 §3.2.1) and SHA-256 (RFC 7616 §3.3, RFC 8760
 * for SIP), each also in its `-sess` form. SHA-512-256 is not offered: no SIP phone we know of
 * uses it, and Kamailio does not either.
 */
import { hash } from 'node:crypto';

export const DigestAlgorithm = {
  md5: 'MD5',
  md5Sess: 'MD5-sess',
  sha256: 'SHA-256',
  sha256Sess: 'SHA-256-sess',
} as const;
export type DigestAlgorithm = (typeof DigestAlgorithm)[keyof typeof DigestAlgorithm];

const ALL: readonly DigestAlgorithm[] = Object.values(DigestAlgorithm);

/** The algorithm named by an `algorithm=` token; tokens compare case-insensitively (RFC 7616 §3.3). */
export function parseDigestAlgorithm(token: string): DigestAlgorithm | undefined {
  const lower = token.toLowerCase();
  return ALL.find((a) => a.toLowerCase() === lower);
}

/** `-sess` variants hash the client nonce into HA1 (RFC 7616 §3.4.2). */
export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm === DigestAlgorithm.md5Sess || algorithm === DigestAlgorithm.sha256Sess;
}

/** True for MD5 and MD5-sess, whose stored secrets are Kamailio's `ha1` / `ha1b` columns. */
export function isMd5Family(algorithm: DigestAlgorithm): boolean {
  return algorithm === DigestAlgorithm.md5 || algorithm === DigestAlgorithm.md5Sess;
}

/** H(data) of RFC 7616 §3.4.1 as lowercase hex; strings are hashed as UTF-8 (RFC 7616 §4). */
export function digestHash(algorithm: DigestAlgorithm, data: string): string {
  // one-shot: a third of createHash().update().digest()'s cost, and two or three run per check
  return hash(isMd5Family(algorithm) ? 'md5' : 'sha256', data, 'hex');
}

/** Length in hex digits of a digest computed with `algorithm`. */
export function digestHexLength(algorithm: DigestAlgorithm): number {
  return isMd5Family(algorithm) ? 32 : 64;
}
