/**
 * The client side of digest authentication (RFC 2617 §3.2.2, RFC 7616 §3.4, RFC 8760 for SIP),
 * shared by the edge (Kamailio uac `uac_auth()` for relayed requests) and the registrar (outbound
 * registrations): reads the WWW-Authenticate / Proxy-Authenticate challenges of a 401/407 and
 * computes the Authorization / Proxy-Authorization value. MD5, MD5-sess, SHA-256, SHA-256-sess;
 * qop=auth when offered (auth-int is not, as in Kamailio), the RFC 2069 form when no qop is;
 * opaque echoed.
 */
import { randomBytes } from 'node:crypto';
import { DigestAlgorithm, digestHash, isMd5Family, isSessionAlgorithm, parseDigestAlgorithm } from './digest-algorithm.js';

/** What answers a challenge: a password, or the HA1 (H(username:realm:password)) instead. */
export interface DigestCredentials {
  readonly username: string;
  readonly password?: string;
  readonly ha1?: string;
  /** Only a challenge of this realm is answered; empty or absent: any realm. */
  readonly realm?: string;
}

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  /** qop=auth was offered (answered with qop=auth, nc and cnonce). */
  readonly qopAuth: boolean;
  readonly opaque?: string;
  readonly stale: boolean;
}

export type DigestAnswer = { readonly ok: true; readonly value: string; readonly challenge: DigestChallenge } | { readonly ok: false; readonly reason: string };

/** The nonce count of the one answer sent per challenge (RFC 7616 §3.4: the first use of a nonce). */
const FIRST_NONCE_COUNT = '00000001';

/** Longer header values are not read: real challenges are a few hundred bytes. */
const MAX_CHALLENGE_LENGTH = 8192;

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password), never the -sess form. */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** Absent: the RFC 2069 form H(HA1:nonce:HA2). `token`: the qop value hashed (default `auth`, as a server hashes what the client sent). */
  readonly qop?: { readonly nc: string; readonly cnonce: string; readonly token?: string };
}

/**
 * request-digest (RFC 7616 §3.4.1): with qop=auth H(HA1:nonce:nc:cnonce:auth:HA2), without
 * H(HA1:nonce:HA2) (RFC 2069 §2.1.2); HA2 = H(method:uri) (§3.4.3); the -sess HA1 is
 * H(HA1:nonce:cnonce) (§3.4.2), so a -sess algorithm needs qop.
 */
export function digestResponse(input: DigestResponseInput): string | undefined {
  const { algorithm, nonce, qop } = input;
  let ha1 = input.ha1.toLowerCase();
  if (isSessionAlgorithm(algorithm)) {
    if (!qop) return undefined;
    ha1 = digestHash(algorithm, `${ha1}:${nonce}:${qop.cnonce}`);
  }
  const ha2 = digestHash(algorithm, `${input.method}:${input.uri}`);
  if (!qop) return digestHash(algorithm, `${ha1}:${nonce}:${ha2}`);
  return digestHash(algorithm, `${ha1}:${nonce}:${qop.nc}:${qop.cnonce}:${qop.token ?? 'auth'}:${ha2}`);
}

/**
 * The auth-params of one `Digest` challenge (RFC 7235 §2.1: `Digest` SP auth-param *("," auth-param)),
 * names lower-cased, quoted values unescaped; undefined when the scheme is not Digest or the value
 * does not scan. A second challenge on the same line (`…, Basic realm=…`) ends the scan.
 */
export function parseChallengeParams(value: string): ReadonlyMap<string, string> | undefined {
  if (value.length > MAX_CHALLENGE_LENGTH) return undefined;
  let i = skipLws(value, 0);
  const schemeEnd = scanToken(value, i);
  if (value.slice(i, schemeEnd).toLowerCase() !== 'digest') return undefined;
  const params = new Map<string, string>();
  i = skipLws(value, schemeEnd);
  while (i < value.length) {
    if (value[i] === ',') {
      i = skipLws(value, i + 1);
      continue;
    }
    const nameEnd = scanToken(value, i);
    if (nameEnd === i) return undefined;
    const name = value.slice(i, nameEnd).toLowerCase();
    i = skipLws(value, nameEnd);
    if (value[i] !== '=') break; // the scheme of a further challenge
    i = skipLws(value, i + 1);
    let v: string;
    if (value[i] === '"') {
      const q = readQuotedString(value, i);
      if (!q) return undefined;
      v = q.value;
      i = q.end;
    } else {
      // RFC 7616 wants tokens; servers send e.g. `algorithm=MD5` or `stale=TRUE` bare.
      const end = scanBare(value, i);
      if (end === i) return undefined;
      v = value.slice(i, end);
      i = end;
    }
    if (!params.has(name)) params.set(name, v);
    i = skipLws(value, i);
  }
  return params;
}

function scanBare(s: string, from: number): number {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2c || c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || c === 0x22) break;
  }
  return i;
}

/** The challenges of WWW-Authenticate / Proxy-Authenticate values, in order; unusable ones left out. */
export function parseChallenges(values: readonly string[]): DigestChallenge[] {
  const out: DigestChallenge[] = [];
  for (const value of values) {
    const p = parseChallengeParams(value);
    if (!p) continue;
    const realm = p.get('realm');
    const nonce = p.get('nonce');
    // RFC 7616 §3.3: no algorithm means MD5.
    const algorithm = parseDigestAlgorithm(p.get('algorithm') ?? DigestAlgorithm.md5);
    if (realm === undefined || nonce === undefined || algorithm === undefined) continue;
    const qop = p.get('qop');
    const qopAuth = qop !== undefined && qop.split(',').some((q) => q.trim().toLowerCase() === 'auth');
    // A challenge offering only auth-int cannot be answered (Kamailio uac: qop=auth only).
    if (qop !== undefined && !qopAuth) continue;
    // The -sess forms need the client nonce, which only qop carries (RFC 7616 §3.4.2).
    if (isSessionAlgorithm(algorithm) && !qopAuth) continue;
    const opaque = p.get('opaque');
    out.push({ realm, nonce, algorithm, qopAuth, ...(opaque !== undefined ? { opaque } : {}), stale: (p.get('stale') ?? '').toLowerCase() === 'true' });
  }
  return out;
}

/**
 * The Authorization / Proxy-Authorization value answering the first challenge (the server's
 * preference, RFC 8760 §2.4) that `credentials` can answer: of their realm when one is set
 * (Kamailio uac: a set realm must equal the challenge's), of the family of a given HA1 (32 hex
 * digits are MD5, 64 are SHA-256). `uri` is the Request-URI of the request being answered.
 */
export function answerChallenge(
  values: readonly string[],
  credentials: DigestCredentials,
  request: { readonly method: string; readonly uri: string },
  cnonce: string = randomBytes(8).toString('hex'),
): DigestAnswer {
  const challenges = parseChallenges(values);
  if (challenges.length === 0) return { ok: false, reason: 'no usable digest challenge' };
  const wanted = credentials.realm;
  const inRealm = challenges.filter((c) => wanted === undefined || wanted === '' || c.realm === wanted);
  if (inRealm.length === 0) return { ok: false, reason: `challenge realm ${challenges.map((c) => c.realm).join(', ')} is not ${wanted ?? ''}` };
  for (const c of inRealm) {
    const ha1 = credentialHa1(credentials, c);
    if (ha1 === undefined) continue;
    const qop = c.qopAuth ? { nc: FIRST_NONCE_COUNT, cnonce } : undefined;
    const response = digestResponse({ algorithm: c.algorithm, ha1, nonce: c.nonce, method: request.method, uri: request.uri, ...(qop ? { qop } : {}) });
    if (response === undefined) continue;
    // RFC 7616 §3.4: username, realm, nonce, uri, response, cnonce and opaque are quoted;
    // algorithm, qop and nc are tokens.
    const params = [
      `username=${quoteString(credentials.username)}`,
      `realm=${quoteString(c.realm)}`,
      `nonce=${quoteString(c.nonce)}`,
      `uri=${quoteString(request.uri)}`,
      `response=${quoteString(response)}`,
      `algorithm=${c.algorithm}`,
    ];
    if (qop) params.push('qop=auth', `nc=${qop.nc}`, `cnonce=${quoteString(qop.cnonce)}`);
    if (c.opaque !== undefined) params.push(`opaque=${quoteString(c.opaque)}`);
    return { ok: true, value: `Digest ${params.join(', ')}`, challenge: c };
  }
  return { ok: false, reason: `no challenge with an algorithm the credentials fit (${inRealm.map((c) => c.algorithm).join(', ')})` };
}

/** HA1 of the challenge's algorithm family: the given one when it fits, else from the password. */
function credentialHa1(credentials: DigestCredentials, c: DigestChallenge): string | undefined {
  const base = isMd5Family(c.algorithm) ? DigestAlgorithm.md5 : DigestAlgorithm.sha256;
  if (credentials.ha1 !== undefined) return (credentials.ha1.length === 32) === (base === DigestAlgorithm.md5) ? credentials.ha1 : undefined;
  if (credentials.password === undefined) return undefined;
  return digestHash(base, `${credentials.username}:${c.realm}:${credentials.password}`);
}

/** A quoted-string (RFC 7230 §3.2.6): `"` and `\` escaped, line breaks dropped so a header stays one line. */
export function quoteString(value: string): string {
  return `"${value.replace(/[\r\n]/g, '').replace(/(["\\])/g, '\\$1')}"`;
}

/** Index of the first character at or after `i` that is not LWS. */
function skipLws(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

/** token characters of RFC 3261 §25.1. */
const TOKEN = /[A-Za-z0-9\-.!%*_+`'~]/;

function scanToken(s: string, i: number): number {
  while (i < s.length && TOKEN.test(s.charAt(i))) i++;
  return i;
}

/** A quoted-string opening at `s[i]`: its content with quoted-pairs resolved, and the index after it. */
function readQuotedString(s: string, i: number): { value: string; end: number } | undefined {
  let value = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charAt(j);
    if (c === '\\') {
      if (j + 1 >= s.length) return undefined;
      value += s.charAt(++j);
    } else if (c === '"') {
      return { value, end: j + 1 };
    } else value += c;
  }
  return undefined;
}
