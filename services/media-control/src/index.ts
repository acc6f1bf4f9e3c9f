// ng protocol (rtpengine control)
export {
  BENCODE_DEFAULT_MAX_BYTES,
  BENCODE_DEFAULT_MAX_DEPTH,
  BENCODE_DEFAULT_MAX_VALUES,
  BencodeError,
  BencodeErrorCode,
  bencodeToText,
  decodeBencode,
  decodeBencodeStrings,
  encodeBencode,
  isBencodeDict,
} from './ng/bencode.js';
export type { BencodeDecodeOptions, BencodeDict, BencodeEncodeOptions, BencodeInput, BencodeText, BencodeTextDict, BencodeValue } from './ng/bencode.js';
export {
  NG_DEFAULT_MAX_IN_FLIGHT,
  NG_DEFAULT_MAX_QUEUED,
  NG_DEFAULT_RETRANSMIT_MS,
  NG_DEFAULT_TIMEOUT_MS,
  NG_MAX_DATAGRAM_BYTES,
  NgClient,
  NgDropReason,
  ngInstanceKey,
} from './ng/ng-client.js';
export type { NgClientOptions, NgClientStats, NgDroppedReply, NgRequestOptions } from './ng/ng-client.js';
export { isNgError, NgError, NgErrorCode } from './ng/ng-error.js';
export type { NgErrorDetails } from './ng/ng-error.js';
export type {
  NgAnswerParams,
  NgArgs,
  NgArgValue,
  NgCallKey,
  NgCodecOptions,
  NgDeleteParams,
  NgInstance,
  NgListParams,
  NgMediaOptions,
  NgOfferParams,
  NgQueryParams,
  NgQueryReply,
  NgReply,
  NgReplyValue,
  NgSdpReply,
} from './ng/ng-messages.js';

// The service
export { createMediaControlApp } from './app.js';
export type { InstanceView, MediaControlApp, MediaControlAppOptions, SessionsView } from './app.js';
export { MEDIA_ADMIN_PORT, mediaConfigSchema, mediaEnvMap, parseRtpengineUrl, resolveMediaConfig } from './config/media-config.js';
export type { MediaConfig, ResolvedMediaConfig, RtpengineAddress, RtpengineEntry, RtpengineMember } from './config/media-config.js';
export { checkFlagObject, FlagsError, FlagsErrorCode, flagsToNg, mergeFlags, OWNED_KEYS, parseFlagString } from './flags.js';
export type { FlagMethod, ProfileLookup } from './flags.js';
export { BUILT_IN_PROFILES, compileProfiles } from './profiles.js';
export type { FlagSource, MediaProfile, MediaProfileConfig } from './profiles.js';
export { HealthInput, HealthState, INITIAL_HEALTH, nextHealth } from './health.js';
export type { HealthCounters, HealthThresholds } from './health.js';
export { InstancePool, RtpengineInstance } from './instances.js';
export type { HealthChange, InstancePoolOptions, InstanceSnapshot, PingRound } from './instances.js';
export { MemoryAffinityStore, RedisAffinityStore } from './affinity.js';
export type { AffinityEntry, AffinitySession, AffinityStore } from './affinity.js';
export { MediaController, MediaError, MediaErrorKind } from './media-controller.js';
export type { MediaControllerOptions, MediaObserver } from './media-controller.js';
export { ADMIN_COMMANDS } from './service/admin-commands.js';
export { CommandOutcome, serveMediaRpc } from './service/rpc-endpoint.js';
export type { MediaMethod, MediaRpcOptions } from './service/rpc-endpoint.js';
