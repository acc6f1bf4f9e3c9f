/**
 * The client side of digest authentication, for tests: builds the Authorization value a phone
 * would send in answer to a challenge (RFC 7616 §3.4), with every field overridable.
 */
import type { DigestAlgorithm } from '@sipmesh/runtime';
import { computeHa1, computeResponse } from './digest.js';
import { quoteString } from '@sipmesh/runtime';

export interface ClientAnswer {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  readonly algorithm?: DigestAlgorithm;
  /** Default 'auth'; undefined in `rfc2069` mode. */
  readonly qop?: string;
  /** Default 1. */
  readonly nc?: number;
  readonly cnonce?: string;
  /** The RFC 2069 form: no qop, nc or cnonce. */
  readonly rfc2069?: boolean;
  /** Hash with this realm instead of `realm` (a client with a wrong idea). */
  readonly hashRealm?: string;
  readonly opaque?: string;
}

export function clientAuthorization(a: ClientAnswer): string {
  const algorithm = a.algorithm ?? 'MD5';
  const ha1 = computeHa1(algorithm, a.username, a.hashRealm ?? a.realm, a.password);
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? 'c0ffee42';
  const qop = a.rfc2069 ? undefined : (a.qop ?? 'auth');
  const input = qop === undefined ? { algorithm, ha1, nonce: a.nonce, method: a.method, uri: a.uri } : { algorithm, ha1, nonce: a.nonce, method: a.method, uri: a.uri, qop, nc, cnonce };
  const r = computeResponse(input);
  if (!r.ok) throw new Error(r.error.reason);
  const params = [
    `username=${quoteString(a.username)}`,
    `realm=${quoteString(a.realm)}`,
    `nonce=${quoteString(a.nonce)}`,
    `uri=${quoteString(a.uri)}`,
    `response=${quoteString(r.response)}`,
    `algorithm=${algorithm}`,
  ];
  if (qop !== undefined) params.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quoteString(cnonce)}`);
  if (a.opaque !== undefined) params.push(`opaque=${quoteString(a.opaque)}`);
  return `Digest ${params.join(', ')}`;
}

/** The nonce of a challenge header line. */
export function nonceOf(headerLine: string): string {
  const m = /nonce="([^"]+)"/.exec(headerLine);
  if (!m) throw new Error(`no nonce in ${headerLine}`);
  return m[1] as string;
}
