/**
 * The ng commands the client has typed helpers for, with rtpengine's own key names
 * (docs/ng_control_protocol.md of rtpengine; the book §8.14.3). Keys are passed through as
 * given: a route answer's `media` flags are ng dictionaries already (the Kamailio module's
 * flag string, parsed: `replace-origin` -> `replace: ['origin']`, `direction=pub direction=priv`
 * -> `direction: ['pub', 'priv']`, `ICE=remove` -> `ICE: 'remove'`, `RTP/AVP` ->
 * `transport-protocol: 'RTP/AVP'`, `codec-strip-opus` -> `codec: { strip: ['opus'] }`).
 * Any key not listed here passes through too (the index signature): rtpengine knows more
 * than this file does.
 */
import type { BencodeInput } from './bencode.js';

/** An rtpengine's ng listener. A host name is resolved on every send (use an address). */
export interface NgInstance {
  readonly host: string;
  readonly port: number;
}

/** A value in an ng request: bencode's strings, integers, lists and dictionaries. */
export type NgArgValue = BencodeInput;

/** Request arguments; `undefined` entries are left out. `command` is set by the client. */
export interface NgArgs {
  readonly [key: string]: NgArgValue | undefined;
}

/** The `codec` dictionary: each operation takes a list of codec names (`PCMA`, `opus/48000`, `all`). */
export interface NgCodecOptions {
  readonly strip?: readonly string[];
  readonly offer?: readonly string[];
  readonly transcode?: readonly string[];
  readonly mask?: readonly string[];
  readonly set?: readonly string[];
  readonly except?: readonly string[];
  readonly accept?: readonly string[];
  readonly consume?: readonly string[];
  readonly [key: string]: NgArgValue | undefined;
}

/** What identifies a call's session (and, with tags, one of its dialogs). */
export interface NgCallKey {
  readonly 'call-id': string;
  readonly 'from-tag'?: string;
  readonly 'to-tag'?: string;
  /** The Via branch of the request, to tell forked branches apart. */
  readonly 'via-branch'?: string;
}

/** The options offer and answer share. */
export interface NgMediaOptions extends NgArgs {
  readonly sdp: string;
  /** Free-form flags: `trust-address`, `symmetric`, `asymmetric`, `strict-source`, `generate-mid`, ... */
  readonly flags?: readonly string[];
  /** `origin`, `session-connection` (the book's 1:1 NAT set), `session-name`, `SDP-version`, ... */
  readonly replace?: readonly string[];
  /** Interface names for the two sides, from-side first: `['pub', 'priv']`. */
  readonly direction?: readonly string[];
  /** `remove`, `force`, `force-relay`, `default`. */
  readonly ICE?: string;
  /** `off`, `passive`, `active`. */
  readonly DTLS?: string;
  readonly SDES?: readonly string[];
  /** `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`. */
  readonly 'transport-protocol'?: string;
  /** `offer`, `require`, `demux`, `accept`, `reject`. */
  readonly 'rtcp-mux'?: readonly string[];
  readonly codec?: NgCodecOptions;
  readonly 'T.38'?: readonly string[];
  /** `[family, address]` the SDP really came from, when the proxy saw it behind NAT. */
  readonly 'received-from'?: readonly string[];
  readonly 'media-address'?: string;
  readonly 'address-family'?: string;
  readonly 'record-call'?: string;
  readonly label?: string;
  readonly 'delete-delay'?: number;
  /** Capabilities of the client; `['load limit']` lets rtpengine answer `result: load limit`. */
  readonly supports?: readonly string[];
}

export interface NgOfferParams extends NgMediaOptions {
  readonly 'call-id': string;
  readonly 'from-tag': string;
  readonly 'via-branch'?: string;
}

export interface NgAnswerParams extends NgMediaOptions {
  readonly 'call-id': string;
  readonly 'from-tag': string;
  readonly 'to-tag': string;
  readonly 'via-branch'?: string;
}

export interface NgDeleteParams extends NgArgs {
  readonly 'call-id': string;
  /** Without it the whole call goes (all dialogs); with it, that party's dialogs. */
  readonly 'from-tag'?: string;
  readonly 'to-tag'?: string;
  readonly 'via-branch'?: string;
  /** Seconds before the session is really removed; 0 removes it at once. */
  readonly 'delete-delay'?: number;
  /** `fatal` (an unknown call-id is an error), `discard-recording`, ... */
  readonly flags?: readonly string[];
}

export interface NgQueryParams extends NgArgs {
  readonly 'call-id': string;
  readonly 'from-tag'?: string;
  readonly 'to-tag'?: string;
}

export interface NgListParams extends NgArgs {
  /** Most Call-IDs returned (rtpengine's default is 32). */
  readonly limit?: number;
}

/** A reply value with every bencode string turned into a JavaScript string. */
export type NgReplyValue = string | number | NgReplyValue[] | { [key: string]: NgReplyValue };

/** Every reply: `result` is `ok` or `pong` here (`error` and `load limit` become an NgError). */
export interface NgReply {
  readonly result: string;
  readonly warning?: string;
  readonly [key: string]: NgReplyValue | undefined;
}

/** offer and answer: the rewritten SDP. */
export interface NgSdpReply extends NgReply {
  readonly sdp: string;
}

/** query: the call's parties by tag (`tags[tag].medias[].streams[]`) and packet totals. */
export interface NgQueryReply extends NgReply {
  readonly created?: number;
  readonly tags: { readonly [tag: string]: NgReplyValue };
  readonly totals?: NgReplyValue;
}
