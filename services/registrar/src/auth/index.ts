// Digest authentication (Kamailio auth / auth_db, the book's userban): the public surface of
// services/registrar/src/auth for the registrar's service and app wiring.

// Algorithms and the digest computation (RFC 2617, RFC 7616)
export { DigestAlgorithm, digestHash, isSessionAlgorithm, parseDigestAlgorithm } from '@sipmesh/runtime';
export { computeHa1, computeHa2, computeResponse, digestsEqual, DigestErrorCode, sessionHa1 } from './digest.js';
export type { DigestError, DigestResponseInput, DigestResponseResult } from './digest.js';

// Credentials header parsing
export { CredentialsErrorCode, MAX_CREDENTIALS_LENGTH, parseDigestCredentials, parseDigestParams } from './digest-credentials.js';
export type { CredentialsError, DigestCredentials, ParseCredentialsResult } from './digest-credentials.js';
export { digestUriMatches } from './digest-uri-match.js';

// Nonces and replay protection
export { DEFAULT_NONCE_LIFETIME_SEC, NonceIssuer, NonceStatus } from '@sipmesh/runtime';
export type { NonceCheck, NonceOptions } from '@sipmesh/runtime';
export { MemoryNonceCountTracker } from './nonce-count.js';
export type { MemoryNonceCountOptions, NonceCountTracker } from './nonce-count.js';
export { RedisNonceCountTracker } from './redis-nonce-count.js';
export type { RedisNonceCountOptions } from './redis-nonce-count.js';

// Subscribers
export { makeSubscriber, splitDigestUsername, subscriberHa1, subscriberKey } from './credential-source.js';
export type { CredentialSource, Subscriber } from './credential-source.js';
export { loadSubscriberFile, parseSubscriberCsv, SubscriberFileErrorCode, subscribersFromRecords } from './subscriber-file.js';
export type { SubscriberFileError, SubscriberFileOptions, SubscriberFileResult } from './subscriber-file.js';
export { FileCredentialSource } from './file-credentials.js';
export type { FileCredentialOptions } from './file-credentials.js';
export { PgCredentialSource, SubscriberStoreErrorCode } from './pg-credentials.js';
export type { PgCredentialOptions, SubscriberStoreError, SubscriberStoreResult } from './pg-credentials.js';

// Bans after repeated failures
export { DEFAULT_BAN_POLICY, MemoryBanTracker } from './ban-tracker.js';
export type { BanPolicy, BanTracker, MemoryBanOptions } from './ban-tracker.js';
export { RedisBanTracker } from './redis-ban-tracker.js';
export type { RedisBanOptions } from './redis-ban-tracker.js';
export { Acceptance, ACCEPT_DIGEST_LUA, acceptanceOf, RedisAuthAcceptor, SequentialAuthAcceptor } from './auth-acceptance.js';
export type { AuthAcceptor, DigestAcceptanceInputs } from './auth-acceptance.js';

// Configuration, challenge and the authenticator
export { DEFAULT_DIGEST_CONFIG, digestConfig, QopMode } from './digest-config.js';
export type { DigestConfig } from './digest-config.js';
export { buildChallenge } from './digest-challenge.js';
export { quoteString } from '@sipmesh/runtime';
export type { ChallengeReply } from './digest-challenge.js';
export { AuthResultKind, ChallengeReason, DigestAuthenticator } from './digest-authenticator.js';
export type { DigestAuthenticatorOptions, DigestAuthRequest, DigestAuthResult } from './digest-authenticator.js';
