/**
 * The digest computation of RFC 2617 §3.2.2 / RFC 7616 §3.4: HA1, HA2 and the request-digest, for
 * qop=auth and for the RFC 2069 form without qop. qop=auth-int (a hash of the body) is refused:
 * the registrar sees SIP facts, not bodies, and no SIP phone needs it.
 */
import { timingSafeEqual } from 'node:crypto';
import { digestHash, digestResponse, isSessionAlgorithm, type DigestAlgorithm } from '@sipmesh/runtime';

export const DigestErrorCode = {
  unsupportedQop: 'REGISTRAR_ERR_DIGEST_UNSUPPORTED_QOP',
  missingCnonce: 'REGISTRAR_ERR_DIGEST_MISSING_CNONCE',
  missingNonceCount: 'REGISTRAR_ERR_DIGEST_MISSING_NC',
} as const;
export type DigestErrorCode = (typeof DigestErrorCode)[keyof typeof DigestErrorCode];

export interface DigestError {
  readonly code: DigestErrorCode;
  /** Detail for logs; never sent on the wire. */
  readonly reason: string;
}

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password) in hex, the form a subscriber table stores (never the -sess form). */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  /** The `uri` parameter as the client sent it (RFC 2617 §3.2.2.5: the digest covers it, not the Request-URI). */
  readonly uri: string;
  /** Absent: the RFC 2069 form. */
  readonly qop?: string;
  /** The nonce count exactly as sent (8LHEX); hashed as text. */
  readonly nc?: string;
  readonly cnonce?: string;
}

export type DigestResponseResult = { readonly ok: true; readonly response: string } | { readonly ok: false; readonly error: DigestError };

/** HA1 = H(username ":" realm ":" password), RFC 7616 §3.4.2 (RFC 2617 §3.2.2.2). */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return digestHash(algorithm, `${username}:${realm}:${password}`);
}

/** The `-sess` HA1 = H(H(username:realm:password) ":" nonce ":" cnonce), RFC 7616 §3.4.2. */
export function sessionHa1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string): string {
  return digestHash(algorithm, `${ha1.toLowerCase()}:${nonce}:${cnonce}`);
}

/** HA2 = H(method ":" digest-uri) for qop=auth or no qop, RFC 7616 §3.4.3. */
export function computeHa2(algorithm: DigestAlgorithm, method: string, uri: string): string {
  return digestHash(algorithm, `${method}:${uri}`);
}

/**
 * The request-digest the client must have sent: with qop,
 * H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) (RFC 7616 §3.4.1); without,
 * H(HA1 ":" nonce ":" HA2) (RFC 2069 §2.1.2, kept by RFC 2617 §3.2.2.1).
 */
export function computeResponse(input: DigestResponseInput): DigestResponseResult {
  const { algorithm } = input;
  if (input.qop !== undefined && input.qop.toLowerCase() !== 'auth') {
    return fail(DigestErrorCode.unsupportedQop, `qop=${input.qop} is not supported (only auth)`);
  }
  // RFC 7616 §3.4.2: the -sess HA1 needs the client nonce, which only exists with qop
  if (isSessionAlgorithm(algorithm) && (input.cnonce === undefined || input.qop === undefined)) return fail(DigestErrorCode.missingCnonce, `${algorithm} needs qop and cnonce`);
  if (input.qop !== undefined && input.cnonce === undefined) return fail(DigestErrorCode.missingCnonce, 'qop without cnonce');
  if (input.qop !== undefined && input.nc === undefined) return fail(DigestErrorCode.missingNonceCount, 'qop without nc');
  // The same computation as the client's (the runtime's digestResponse); the qop token is hashed as sent.
  const qop = input.qop !== undefined ? { nc: input.nc as string, cnonce: input.cnonce as string, token: input.qop } : undefined;
  const response = digestResponse({ algorithm, ha1: input.ha1, nonce: input.nonce, method: input.method, uri: input.uri, ...(qop ? { qop } : {}) });
  return response === undefined ? fail(DigestErrorCode.missingCnonce, `${algorithm} needs qop and cnonce`) : { ok: true, response };
}

/** Compares two hex digests without leaking where they differ; case-insensitive. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function fail(code: DigestErrorCode, reason: string): DigestResponseResult {
  return { ok: false, error: { code, reason } };
}
