/**
 * The answer of an outbound registration to its registrar's 401/407 (Kamailio uac): the runtime's
 * digest client (answerChallenge, shared with the edge's uac_auth) applied to the challenge header
 * lines of the response the edge relayed back.
 */
import { answerChallenge as answerDigest, parseChallenges, type DigestChallenge, type DigestCredentials } from '@sipmesh/runtime';

export type DigestSecret = DigestCredentials;
export type { DigestChallenge };

export type DigestAnswer =
  | { readonly ok: true; readonly header: string; readonly challenge: DigestChallenge }
  | { readonly ok: false; readonly reason: string };

/** The values of the WWW-Authenticate (or, `proxy`, Proxy-Authenticate) lines among `Name: value` header lines. */
function challengeValues(headers: readonly string[], proxy: boolean): string[] {
  const name = proxy ? 'proxy-authenticate' : 'www-authenticate';
  const out: string[] = [];
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon >= 0 && line.slice(0, colon).trim().toLowerCase() === name) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

/** Header lines `Name: value` of a response → the challenges it carries, in order (unusable ones left out). */
export function challengesOf(headers: readonly string[], proxy: boolean): DigestChallenge[] {
  return parseChallenges(challengeValues(headers, proxy));
}

/**
 * The credentials answering the first challenge of `headers` that `secret` can answer (its realm
 * when one is set; a stored HA1 only for its algorithm family: 32 hex digits MD5, 64 SHA-256).
 */
export function answerChallenge(headers: readonly string[], proxy: boolean, secret: DigestSecret, request: { readonly method: string; readonly uri: string }, cnonce?: string): DigestAnswer {
  const a = answerDigest(challengeValues(headers, proxy), secret, request, cnonce);
  return a.ok ? { ok: true, header: a.value, challenge: a.challenge } : a;
}
