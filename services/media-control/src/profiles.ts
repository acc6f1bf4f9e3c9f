/**
 * Named flag sets, so a route answer says `profile:webrtc-to-sip` instead of repeating the
 * flags: one entry per command, because the book's recipes differ between the offer and the
 * answer (the 1:1 NAT directions swap; WebRTC is DTLS/ICE on one side only). The built-ins are
 * the book's recipes (§8.14.3), byte for byte where the book gives them; the config may
 * replace one (same name) or add more.
 */
import { FlagsError, flagsToNg, type FlagMethod } from './flags.js';
import type { NgArgs } from './ng/ng-messages.js';

/** Flags as the config and the contract carry them: a flag string or an object of ng keys. */
export type FlagSource = string | Readonly<Record<string, unknown>>;

export interface MediaProfileConfig {
  readonly description?: string;
  readonly offer?: FlagSource;
  readonly answer?: FlagSource;
  readonly delete?: FlagSource;
}

export interface MediaProfile {
  readonly name: string;
  readonly description: string;
  readonly builtIn: boolean;
  /** The ng keys per command (empty: none). */
  readonly flags: Readonly<Record<FlagMethod, NgArgs>>;
}

const NAT_PUB_TO_PRIV = 'replace-origin replace-session-connection direction=pub direction=priv';
const NAT_PRIV_TO_PUB = 'replace-origin replace-session-connection direction=priv direction=pub';
/** Towards the SIP side: plain RTP, no ICE, no DTLS/SDES, RTCP on its own port. */
const TO_SIP = 'rtcp-mux-demux DTLS=off SDES-off ICE=remove RTP/AVP';
/** Towards the browser: DTLS-SRTP (rtpengine passive), ICE, muxed RTCP, a=mid. The book prints RTP/SAVPE, a typo. */
const TO_WEBRTC = 'rtcp-mux-offer generate-mid DTLS=passive SDES-off ICE=force RTP/SAVPF';

export const BUILT_IN_PROFILES: Readonly<Record<string, MediaProfileConfig>> = Object.freeze({
  'nat-pub-to-priv': {
    description: '1:1 NAT, caller on the public side (interface pub), callee on the private one (priv)',
    offer: NAT_PUB_TO_PRIV,
    answer: NAT_PRIV_TO_PUB,
  },
  'nat-priv-to-pub': {
    description: '1:1 NAT, caller on the private side (priv), callee on the public one (pub)',
    offer: NAT_PRIV_TO_PUB,
    answer: NAT_PUB_TO_PRIV,
  },
  'webrtc-to-sip': {
    description: 'WebRTC caller, SIP callee: the offer becomes plain RTP/AVP, the answer DTLS-SRTP with ICE',
    offer: TO_SIP,
    answer: TO_WEBRTC,
  },
  'sip-to-webrtc': {
    description: 'SIP caller, WebRTC callee: the offer becomes DTLS-SRTP with ICE, the answer plain RTP/AVP',
    offer: TO_WEBRTC,
    answer: TO_SIP,
  },
  transcoding: {
    description: "The book's transcoding recipe: PCMA from the caller, Opus towards the callee",
    offer: 'codec-mask-PCMA codec-strip-opus transcode-opus',
  },
  'transcode-pcma': {
    description: 'The callee is offered PCMA only (rtpengine transcodes from whatever the caller offered)',
    offer: 'codec-mask-all codec-transcode-PCMA',
  },
  'transcode-pcmu': {
    description: 'The callee is offered PCMU only (rtpengine transcodes from whatever the caller offered)',
    offer: 'codec-mask-all codec-transcode-PCMU',
  },
  dtmf: {
    description: 'In-band DTMF <-> RFC 4733 telephone-event: rtpengine offers telephone-event and converts where a side lacks it',
    offer: 'always-transcode codec-transcode-telephone-event codec-offer-telephone-event ptime=20',
  },
});

const METHODS: readonly FlagMethod[] = ['offer', 'answer', 'delete'];

/** Frozen, so a request's flags merged over a profile can never change the profile. */
function deepFreezeArgs<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreezeArgs(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * The built-ins with the configured profiles over them, each flag source parsed once: a
 * mistake in a profile stops the service at start, naming the profile and the command.
 */
export function compileProfiles(configured: Readonly<Record<string, MediaProfileConfig>>): ReadonlyMap<string, MediaProfile> {
  const out = new Map<string, MediaProfile>();
  const all: [string, MediaProfileConfig, boolean][] = [
    ...Object.entries(BUILT_IN_PROFILES).filter(([name]) => !(name in configured)).map(([n, p]): [string, MediaProfileConfig, boolean] => [n, p, true]),
    ...Object.entries(configured).map(([n, p]): [string, MediaProfileConfig, boolean] => [n, p, false]),
  ];
  for (const [name, profile, builtIn] of all) {
    const flags = {} as Record<FlagMethod, NgArgs>;
    for (const method of METHODS) {
      try {
        // No lookup: a profile cannot name another profile.
        flags[method] = deepFreezeArgs(flagsToNg(profile[method]));
      } catch (error) {
        if (error instanceof FlagsError) throw new FlagsError(error.code, `media profile "${name}", ${method}: ${error.message}`);
        throw error;
      }
    }
    out.set(name, Object.freeze({ name, description: profile.description ?? '', builtIn, flags: Object.freeze(flags) }));
  }
  return out;
}
