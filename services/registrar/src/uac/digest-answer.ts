/**
 * The client side of digest authentication for sipmesh's own requests (Kamailio uac's answer to a
 * registrar's 401/407): picks the challenge to answer out of the WWW-Authenticate /
 * Proxy-Authenticate headers of a response and computes the Authorization / Proxy-Authorization
 * value (RFC 7616 §3.4, RFC 2617 §3.2.2): MD5, SHA-256 and their -sess forms, qop=auth when offered
 * (auth-int is not), the RFC 2069 form when no qop is, opaque echoed.
 */
import { randomBytes } from 'node:crypto';
import { computeHa1, computeResponse, parseDigestAlgorithm, parseDigestParams, quoteString, type DigestAlgorithm } from '../auth/index.js';

export interface DigestSecret {
  readonly username: string;
  /** Plain password, or `ha1` (H(username:realm:password) of the challenge's algorithm) instead. */
  readonly password?: string;
  readonly ha1?: string;
  /** Only a challenge of this realm is answered; empty: any realm. */
  readonly realm?: string;
}

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  readonly qopAuth: boolean;
  readonly opaque?: string;
  readonly stale: boolean;
}

export type DigestAnswer =
  | { readonly ok: true; readonly header: string; readonly challenge: DigestChallenge }
  | { readonly ok: false; readonly reason: string };

/** Header lines `Name: value` of a response → the challenges it carries, in order (unusable ones left out). */
export function challengesOf(headers: readonly string[], proxy: boolean): DigestChallenge[] {
  const name = proxy ? 'proxy-authenticate' : 'www-authenticate';
  const out: DigestChallenge[] = [];
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== name) continue;
    const parsed = parseDigestParams(line.slice(colon + 1).trim());
    if (!parsed.ok) continue;
    const p = parsed.params;
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    const algorithm = parseDigestAlgorithm(p.get('algorithm') ?? 'MD5');
    if (realm === undefined || nonce === undefined || algorithm === undefined) continue;
    const qop = p.get('qop');
    const qopAuth = qop !== undefined && qop.split(',').some((q) => q.trim().toLowerCase() === 'auth');
    // A challenge that only offers auth-int cannot be answered.
    if (qop !== undefined && !qopAuth) continue;
    const opaque = p.get('opaque');
    out.push({ realm, nonce, algorithm, qopAuth, ...(opaque !== undefined ? { opaque } : {}), stale: (p.get('stale') ?? '').toLowerCase() === 'true' });
  }
  return out;
}

/**
 * The credentials answering the first challenge of `headers` that `secret` can answer. With
 * `ha1` only a challenge whose algorithm family the HA1 was made for can be answered: 32 hex
 * digits are MD5, 64 are SHA-256.
 */
export function answerChallenge(
  headers: readonly string[],
  proxy: boolean,
  secret: DigestSecret,
  request: { readonly method: string; readonly uri: string },
  cnonce: string = randomBytes(8).toString('hex'),
): DigestAnswer {
  const challenges = challengesOf(headers, proxy);
  if (challenges.length === 0) return { ok: false, reason: `no usable ${proxy ? 'Proxy' : 'WWW'}-Authenticate digest challenge` };
  const realmOk = challenges.filter((c) => !secret.realm || c.realm === secret.realm);
  if (realmOk.length === 0) return { ok: false, reason: `challenge realm ${challenges.map((c) => c.realm).join(', ')} is not ${secret.realm ?? ''}` };
  for (const c of realmOk) {
    let ha1: string;
    if (secret.ha1) {
      const family = secret.ha1.length === 64 ? 'SHA-256' : 'MD5';
      if (!c.algorithm.startsWith(family)) continue;
      ha1 = secret.ha1;
    } else {
      ha1 = computeHa1(c.algorithm.replace(/-sess$/i, '') as DigestAlgorithm, secret.username, c.realm, secret.password ?? '');
    }
    const nc = '00000001';
    const r = computeResponse(c.qopAuth ? { algorithm: c.algorithm, ha1, nonce: c.nonce, method: request.method, uri: request.uri, qop: 'auth', nc, cnonce } : { algorithm: c.algorithm, ha1, nonce: c.nonce, method: request.method, uri: request.uri });
    if (!r.ok) continue;
    const params = [
      `username=${quoteString(secret.username)}`,
      `realm=${quoteString(c.realm)}`,
      `nonce=${quoteString(c.nonce)}`,
      `uri=${quoteString(request.uri)}`,
      `response=${quoteString(r.response)}`,
      `algorithm=${c.algorithm}`,
    ];
    if (c.qopAuth) params.push('qop=auth', `nc=${nc}`, `cnonce=${quoteString(cnonce)}`);
    if (c.opaque !== undefined) params.push(`opaque=${quoteString(c.opaque)}`);
    return { ok: true, header: `Digest ${params.join(', ')}`, challenge: c };
  }
  return { ok: false, reason: `no challenge with an algorithm the stored HA1 fits (${realmOk.map((c) => c.algorithm).join(', ')})` };
}
