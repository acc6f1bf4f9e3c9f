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
