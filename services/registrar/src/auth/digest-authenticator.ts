/**
 * Digest authentication of one request: Kamailio's `auth_check(realm, "subscriber", flags)` and
 * `auth_challenge` (spec §2.2 route[AUTH], TC-11, TC-12) with the userban of spec §10.2.4, done
 * the RFC way:
 *   - credentials are picked by realm (RFC 7235 §4.2, RFC 3261 §22.4); none for ours is a plain
 *     challenge, never a failure;
 *   - the digest is checked before the nonce's age is acted on, so `stale=true` is only sent when
 *     the client knows the password (RFC 2617 §3.2.1), and a stale or foreign nonce with a wrong
 *     digest counts as a wrong password;
 *   - the nonce count is recorded only after the digest proved good, so nobody can burn a
 *     client's counts with guesses;
 *   - an unknown user is answered exactly like a wrong password (a new challenge);
 *   - failures that may be password guesses are counted per user and per source IP; a stale nonce
 *     and a replayed nonce count (both carry a valid digest) are not;
 *   - a banned user or source is answered 403 whatever it sent; the ban is looked up when the
 *     outcome is known, and for a good digest together with the nonce count and the cleared
 *     failures (AuthAcceptor: one Redis script), so a registration costs one store round trip
 *     here. The subscriber lookup before it is served from the credential source's cache.
 * A store that fails (Redis or PostgreSQL down) rejects the promise; the caller answers 5xx.
 */
import type { DigestAlgorithm } from '@sipmesh/runtime';
import { MemoryBanTracker, type BanTracker } from './ban-tracker.js';
import { splitDigestUsername, subscriberHa1, type CredentialSource } from './credential-source.js';
import { buildChallenge, type ChallengeReply } from './digest-challenge.js';
import type { DigestConfig } from './digest-config.js';
import { CredentialsErrorCode, parseDigestCredentials, type DigestCredentials } from './digest-credentials.js';
import { digestUriMatches } from './digest-uri-match.js';
import { computeResponse, digestsEqual } from './digest.js';
import { MemoryNonceCountTracker, type NonceCountTracker } from './nonce-count.js';
import { Acceptance, SequentialAuthAcceptor, type AuthAcceptor } from './auth-acceptance.js';
import { NonceIssuer, NonceStatus } from '@sipmesh/runtime';

export const ChallengeReason = {
  noCredentials: 'no-credentials',
  wrongPassword: 'wrong-password',
  unknownUser: 'unknown-user',
  stale: 'stale',
  replayed: 'replayed',
  userMismatch: 'user-mismatch',
  malformed: 'malformed',
  realmMismatch: 'realm-mismatch',
} as const;
export type ChallengeReason = (typeof ChallengeReason)[keyof typeof ChallengeReason];

export const AuthResultKind = { ok: 'ok', challenge: 'challenge', banned: 'banned' } as const;
export type AuthResultKind = (typeof AuthResultKind)[keyof typeof AuthResultKind];

export interface DigestAuthRequest {
  readonly method: string;
  /** The Request-URI as received. */
  readonly requestUri: string;
  /** Every Authorization (REGISTER) or Proxy-Authorization value of the request. */
  readonly credentialsHeaderValues: readonly string[];
  /** The realm expected: the To domain for REGISTER, the From domain otherwise (the caller decides). */
  readonly realm: string;
  /** Kamailio auth_check flag 1: the authenticated user must be this one (the From / To user). */
  readonly checkUser?: string;
  readonly sourceIp: string;
}

export type DigestAuthResult =
  | {
      readonly result: typeof AuthResultKind.ok;
      /** The subscriber: the digest username's part before any `@` (Kamailio `$au`). */
      readonly user: string;
      /** The digest username as sent. */
      readonly username: string;
      readonly realm: string;
      readonly algorithm: DigestAlgorithm;
    }
  | {
      readonly result: typeof AuthResultKind.challenge;
      readonly reason: ChallengeReason;
      /** Send `stale=true`: the client knows the password, only the nonce is no longer good. */
      readonly stale: boolean;
      /** For logs only. */
      readonly detail?: string;
      readonly user?: string;
    }
  | { readonly result: typeof AuthResultKind.banned; readonly detail: string; readonly user?: string };

export interface DigestAuthenticatorOptions {
  readonly config: DigestConfig;
  readonly credentials: CredentialSource;
  /** Default: in memory (one instance only). */
  readonly nonceCounts?: NonceCountTracker;
  /** Default: in memory with `config.ban`. */
  readonly bans?: BanTracker;
  /**
   * The last step of a good digest (ban, nonce count, cleared failures); default: `bans` and
   * `nonceCounts` one after the other. RedisAuthAcceptor does it in one Redis script.
   */
  readonly acceptor?: AuthAcceptor;
  /** Default: from `config.secret` and `config.nonceLifetimeSec`. */
  readonly nonces?: NonceIssuer;
  /** Wall clock in ms for the defaults above; default Date.now. */
  readonly now?: () => number;
}

type Challenge = Extract<DigestAuthResult, { result: 'challenge' }>;

export class DigestAuthenticator {
  private readonly config: DigestConfig;
  private readonly credentials: CredentialSource;
  private readonly bans: BanTracker;
  private readonly acceptor: AuthAcceptor;
  private readonly nonces: NonceIssuer;

  constructor(options: DigestAuthenticatorOptions) {
    const now = options.now ?? Date.now;
    this.config = options.config;
    this.credentials = options.credentials;
    this.bans = options.bans ?? new MemoryBanTracker(options.config.ban, { now });
    this.acceptor = options.acceptor ?? new SequentialAuthAcceptor(this.bans, options.nonceCounts ?? new MemoryNonceCountTracker({ now }));
    this.nonces = options.nonces ?? new NonceIssuer({ secret: options.config.secret, lifetimeSec: options.config.nonceLifetimeSec, now });
  }

  /** The challenge reply for `realm`: 401 + WWW-Authenticate for REGISTER, 407 + Proxy-Authenticate otherwise. */
  challengeHeaders(realm: string, stale: boolean, forRegister: boolean): ChallengeReply {
    return buildChallenge(this.config, this.nonces, realm, stale, forRegister);
  }

  /**
   * `options.acceptor` replaces the authenticator's own last step for this request (a caller that
   * does more in the same store step: service/accept-and-save.ts).
   */
  async authenticate(req: DigestAuthRequest, options: { readonly acceptor?: AuthAcceptor } = {}): Promise<DigestAuthResult> {
    if (req.credentialsHeaderValues.length === 0) return challenge(ChallengeReason.noCredentials);
    const picked = pickCredentials(req.credentialsHeaderValues, req.realm);
    if (picked.kind === 'none') return challenge(ChallengeReason.realmMismatch, false, 'no credentials for this realm');
    if (picked.kind === 'malformed') {
      // the user is unknown; the source is checked and counted
      if (await this.bans.check(undefined, req.sourceIp)) return banned(`source ${req.sourceIp} is banned`);
      return this.failure(undefined, req.sourceIp, ChallengeReason.malformed, picked.detail);
    }

    const creds = picked.credentials;
    const { user } = splitDigestUsername(creds.username);
    const banUser = `${user}@${req.realm.toLowerCase()}`;
    const isBanned = (): DigestAuthResult => banned(`${banUser} or ${req.sourceIp} is banned`, user);
    // A banned user or source gets 403 whatever it sent; the ban is looked up once the outcome
    // is known (with the nonce count, in one step, when the digest is good).
    const fail = async (reason: ChallengeReason, detail?: string): Promise<DigestAuthResult> =>
      (await this.bans.check(banUser, req.sourceIp)) ? isBanned() : this.failure(banUser, req.sourceIp, reason, detail, user);
    if (!this.config.algorithms.includes(creds.algorithm)) return fail(ChallengeReason.malformed, `algorithm ${creds.algorithm} was not offered`);
    if (!digestUriMatches(creds.uri, req.requestUri)) return fail(ChallengeReason.malformed, `uri ${creds.uri} is not the Request-URI ${req.requestUri}`);

    const subscriber = await this.credentials.find(user, req.realm);
    if (!subscriber) return fail(ChallengeReason.unknownUser);
    // the client hashed the realm as it sent it, so that spelling is the one to hash with
    const ha1 = subscriberHa1(subscriber, creds.username, creds.realm, creds.algorithm);
    if (!ha1) return fail(ChallengeReason.unknownUser, `no ${creds.algorithm} secret for ${creds.username}`);
    const expected = computeResponse({ ...responseFields(creds), ha1, method: req.method });
    if (!expected.ok) return fail(ChallengeReason.malformed, expected.error.reason);
    if (!digestsEqual(expected.response, creds.response)) return fail(ChallengeReason.wrongPassword);

    const nonce = this.nonces.verify(creds.nonce, req.realm);
    // RFC 2617 §3.2.1: stale=true when the nonce is not good but the digest is; not a failure
    if (nonce.status !== NonceStatus.valid) return (await this.bans.check(banUser, req.sourceIp)) ? isBanned() : challenge(ChallengeReason.stale, true, `nonce ${nonce.status}`, user);
    if (req.checkUser !== undefined && user !== req.checkUser) return fail(ChallengeReason.userMismatch, `authenticated as ${user}, request is from ${req.checkUser}`);
    // RFC 2617 §3.2.2: the count must grow; the RFC 2069 form has none, so its nonce is good once
    switch (await (options.acceptor ?? this.acceptor).accept(banUser, req.sourceIp, creds.nonce, creds.nonceCount ?? 1, nonce.expiresAtMs)) {
      case Acceptance.banned:
        return isBanned();
      case Acceptance.replayed:
        // a valid digest seen before: a replay, or a client reusing its nonce; a fresh nonce ends it
        return challenge(ChallengeReason.replayed, true, `nc ${creds.nc ?? '(none)'} already seen`, user);
      case Acceptance.ok:
        return { result: AuthResultKind.ok, user, username: creds.username, realm: req.realm, algorithm: creds.algorithm };
    }
  }

  private async failure(banUser: string | undefined, ip: string, reason: ChallengeReason, detail?: string, user?: string): Promise<DigestAuthResult> {
    if (await this.bans.fail(banUser, ip)) return banned(`${reason}: too many failures of ${banUser ?? ip}`, user);
    return challenge(reason, false, detail, user);
  }
}

type Picked = { kind: 'ok'; credentials: DigestCredentials } | { kind: 'malformed'; detail: string } | { kind: 'none' };

/**
 * The first credentials for `realm` (realms are host names here, compared case-insensitively).
 * Values of another scheme or realm belong to someone else; a broken value, whose realm cannot be
 * trusted, makes the request malformed only when no good value is ours.
 */
function pickCredentials(values: readonly string[], realm: string): Picked {
  const wanted = realm.toLowerCase();
  let malformed: string | undefined;
  for (const value of values) {
    const parsed = parseDigestCredentials(value);
    if (!parsed.ok) {
      if (parsed.error.code !== CredentialsErrorCode.notDigest) malformed ??= `${parsed.error.code}: ${parsed.error.reason}`;
      continue;
    }
    if (parsed.credentials.realm.toLowerCase() === wanted) return { kind: 'ok', credentials: parsed.credentials };
  }
  return malformed === undefined ? { kind: 'none' } : { kind: 'malformed', detail: malformed };
}

function responseFields(c: DigestCredentials): { algorithm: DigestAlgorithm; nonce: string; uri: string; qop?: string; nc?: string; cnonce?: string } {
  const f: { algorithm: DigestAlgorithm; nonce: string; uri: string; qop?: string; nc?: string; cnonce?: string } = { algorithm: c.algorithm, nonce: c.nonce, uri: c.uri };
  if (c.qop !== undefined) f.qop = c.qop;
  if (c.nc !== undefined) f.nc = c.nc;
  if (c.cnonce !== undefined) f.cnonce = c.cnonce;
  return f;
}

function challenge(reason: ChallengeReason, stale = false, detail?: string, user?: string): Challenge {
  const c: { -readonly [K in keyof Challenge]: Challenge[K] } = { result: AuthResultKind.challenge, reason, stale };
  if (detail !== undefined) c.detail = detail;
  if (user !== undefined) c.user = user;
  return c;
}

function banned(detail: string, user?: string): DigestAuthResult {
  return user === undefined ? { result: AuthResultKind.banned, detail } : { result: AuthResultKind.banned, detail, user };
}
