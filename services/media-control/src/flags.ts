/**
 * rtpengine flags as the edge (and a route answer's `media`) gives them, turned into ng
 * dictionary keys.
 *
 * A string is read the way Kamailio's rtpengine module reads the argument of
 * rtpengine_offer()/rtpengine_answer() (`rtpengine.c`, parse_flags): tokens separated by white
 * space, `key=value` or bare `key`; tokens with a sub-list (`replace-origin`, `SDES-off`,
 * `rtcp-mux-demux`, `T38-decode`, `codec-strip-opus`, `transcode-opus`) go into that list,
 * transport tokens (`RTP/AVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, or the `RTP`/`SRTP`/`AVP`/`AVPF`/
 * `DTLS` modifiers) become `transport-protocol`, `direction=x` (and the `internal`/`external`
 * shortcuts) append to the ordered `direction` list, any other `key=value` is a dictionary entry
 * (`ICE=remove`, `DTLS=passive`, `label=caller`, `ptime=20` as an integer), any other bare word
 * goes into the `flags` list (`trust-address`, `generate-mid`, `always-transcode`), which
 * rtpengine itself expands (it takes hyphens for spaces). `profile:<name>` expands a configured
 * profile in place. An object is taken as ng keys, checked only for what bencode can carry.
 *
 * Unlike the module, the keys that identify the call (`call-id`, `from-tag`, `to-tag`,
 * `via-branch`, `sdp`, `received-from`) are refused: media-control sets them from the request's
 * own fields, and a flag silently redirecting a command to another call would be a bug that
 * only shows in production.
 */
import type { NgArgs, NgArgValue } from './ng/ng-messages.js';

export const FlagsErrorCode = {
  /** A flag sets a key media-control owns (call-id, from-tag, ...). */
  ownedKey: 'MEDIA_ERR_FLAG_OWNED_KEY',
  /** `profile:<name>` names no configured profile, or a profile is used where none may be. */
  unknownProfile: 'MEDIA_ERR_UNKNOWN_PROFILE',
  /** A value bencode cannot carry (boolean, fraction, null) or a malformed token. */
  invalid: 'MEDIA_ERR_FLAG_INVALID',
} as const;
export type FlagsErrorCode = (typeof FlagsErrorCode)[keyof typeof FlagsErrorCode];

export class FlagsError extends Error {
  override readonly name = 'FlagsError';
  constructor(
    readonly code: FlagsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** ng keys media-control sets from the request's fields; flags cannot set them. */
export const OWNED_KEYS: ReadonlySet<string> = new Set(['command', 'call-id', 'from-tag', 'to-tag', 'via-branch', 'sdp', 'received-from']);

/** What a flag source means per command; a profile may differ between offer and answer. */
export type FlagMethod = 'offer' | 'answer' | 'delete';

/** Looks a profile up for the command being built; undefined when no such profile. */
export type ProfileLookup = (name: string) => NgArgs | undefined;

type Dict = Record<string, NgArgValue>;

/** Keys whose value is a list the sources add to (union, first occurrence kept). */
const LIST_KEYS: ReadonlySet<string> = new Set(['flags', 'replace', 'SDES', 'rtcp-mux', 'T.38', 'supports', 'OSRTP']);
/** `direction` is an ordered pair (one interface per side): a later source replaces it whole. */
const DIRECTION = 'direction';
/** `key=value` tokens whose value rtpengine reads as an integer (Kamailio sends TOS and delete-delay as integers). */
const INTEGER_KEYS: ReadonlySet<string> = new Set(['TOS', 'delete-delay', 'ptime', 'ptime-reverse', 'repacketize', 'DTMF-delay']);
/** `codec-<op>-<name>` operations, rtpengine's `codec` dictionary. */
const CODEC_OPS = ['strip', 'offer', 'transcode', 'mask', 'set', 'except', 'accept', 'consume'] as const;
/** Prefixes with a sub-list, tried in this order (as the module does): token prefix -> ng key. */
const LIST_PREFIXES: readonly (readonly [string, string])[] = [
  ['replace', 'replace'],
  ['SDES', 'SDES'],
  ['T38', 'T.38'],
  ['T.38', 'T.38'],
  ['rtcp-mux', 'rtcp-mux'],
];

/**
 * Transport: bit 0x100 "set", 0x001 SRTP, 0x002 AVPF, 0x004 DTLS (UDP/TLS), as the module keeps
 * it; the names are the module's table, completed for the two DTLS forms it leaves out.
 */
const TRANSPORTS: readonly string[] = ['RTP/AVP', 'RTP/SAVP', 'RTP/AVPF', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVPF'];
const TRANSPORT_SET = 0x100;
const FULL_TRANSPORTS: Readonly<Record<string, number>> = {
  'RTP/AVP': 0x100,
  'RTP/SAVP': 0x101,
  'RTP/AVPF': 0x102,
  'RTP/SAVPF': 0x103,
  'UDP/TLS/RTP/SAVP': 0x105,
  'UDP/TLS/RTP/SAVPF': 0x107,
};

/** `key=value` -> value; `key-rest` -> rest (the module's str_key_val_prefix). */
function prefixValue(key: string, value: string | undefined, prefix: string): string | undefined {
  if (key === prefix) return value === undefined || value === '' ? undefined : value;
  if (key.length > prefix.length + 1 && key.startsWith(prefix) && key[prefix.length] === '-') return key.slice(prefix.length + 1);
  return undefined;
}

function addToList(dict: Dict, key: string, value: string): void {
  const current = dict[key];
  // Copied, never changed in place: the list may belong to a (frozen) profile.
  const list: NgArgValue[] = Array.isArray(current) ? [...(current as NgArgValue[])] : [];
  if (!list.includes(value)) list.push(value);
  dict[key] = list;
}

function addCodec(dict: Dict, op: string, codec: string): void {
  const current = dict['codec'];
  const codecs: Dict = typeof current === 'object' && current !== null && !Array.isArray(current) && !Buffer.isBuffer(current) ? { ...(current as Dict) } : {};
  addToList(codecs, op, codec);
  dict['codec'] = codecs;
}

function ownedKeyError(token: string, key: string): FlagsError {
  const field = key.replaceAll('-', '_');
  return new FlagsError(FlagsErrorCode.ownedKey, `flag "${token}": ${key} is set by media-control from the request${key === 'command' ? '' : ` (${field})`}, not by flags`);
}

/**
 * Parses a Kamailio-style flag string into ng keys. `profile` resolves `profile:<name>` tokens;
 * without it they are an error (a profile cannot name another profile).
 */
export function parseFlagString(text: string, profile?: ProfileLookup): NgArgs {
  let dict: Dict = {};
  let transport = 0;
  let direction: string[] | undefined;
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    if (token.startsWith('profile:')) {
      const name = token.slice('profile:'.length);
      if (profile === undefined) throw new FlagsError(FlagsErrorCode.unknownProfile, `flag "${token}": a profile cannot use another profile`);
      const expanded = profile(name);
      if (expanded === undefined) throw new FlagsError(FlagsErrorCode.unknownProfile, `unknown media profile "${name}"`);
      // What came before the profile stays under it; what follows overrides it.
      if (direction !== undefined) dict[DIRECTION] = direction;
      if (transport !== 0) dict['transport-protocol'] = TRANSPORTS[transport & 0x7] as string;
      dict = mergeFlags(dict, expanded) as Dict;
      direction = undefined;
      transport = 0;
      continue;
    }
    const eq = token.indexOf('=');
    const key = eq < 0 ? token : token.slice(0, eq);
    const value = eq < 0 ? undefined : token.slice(eq + 1);
    if (key === '') throw new FlagsError(FlagsErrorCode.invalid, `flag "${token}" has no name`);
    if (OWNED_KEYS.has(key)) throw ownedKeyError(token, key);

    const listed = LIST_PREFIXES.find(([prefix]) => prefixValue(key, value, prefix) !== undefined);
    if (listed !== undefined) {
      addToList(dict, listed[1], prefixValue(key, value, listed[0]) as string);
      continue;
    }
    const transcode = prefixValue(key, value, 'transcode') ?? prefixValue(key, value, 'codec-transcode');
    if (transcode !== undefined) {
      addCodec(dict, 'transcode', transcode);
      continue;
    }
    const codecOp = CODEC_OPS.find((op) => prefixValue(key, value, `codec-${op}`) !== undefined);
    if (codecOp !== undefined) {
      addCodec(dict, codecOp, prefixValue(key, value, `codec-${codecOp}`) as string);
      continue;
    }
    if (key in FULL_TRANSPORTS && value === undefined) {
      transport = FULL_TRANSPORTS[key] as number;
      continue;
    }
    if (value === undefined && (key === 'RTP' || key === 'AVP' || key === 'SRTP' || key === 'AVPF' || key === 'DTLS')) {
      // The module's modifiers: RTP clears SRTP, AVP clears AVPF, the others add their bit.
      transport |= TRANSPORT_SET;
      if (key === 'RTP') transport &= ~0x001;
      else if (key === 'AVP') transport &= ~0x002;
      else transport |= key === 'SRTP' ? 0x001 : key === 'AVPF' ? 0x002 : 0x004;
      continue;
    }
    if (key === 'internal' || key === 'external') {
      if (value !== undefined) throw new FlagsError(FlagsErrorCode.invalid, `flag "${token}": ${key} takes no value`);
      (direction ??= []).push(key);
      continue;
    }
    if (key === DIRECTION) {
      if (value === undefined || value === '') throw new FlagsError(FlagsErrorCode.invalid, `flag "${token}": direction needs an interface name (direction=pub)`);
      (direction ??= []).push(value);
      continue;
    }
    if (key === 'transport-protocol') {
      if (value === undefined || !(value in FULL_TRANSPORTS)) throw new FlagsError(FlagsErrorCode.invalid, `flag "${token}": not a transport protocol (${Object.keys(FULL_TRANSPORTS).join(', ')})`);
      transport = FULL_TRANSPORTS[value] as number;
      continue;
    }
    if (key === 'codec') throw new FlagsError(FlagsErrorCode.invalid, `flag "${token}": use codec-<operation>-<codec> (codec-strip-opus) or an object`);
    if (value === undefined) {
      addToList(dict, 'flags', key);
      continue;
    }
    if (LIST_KEYS.has(key)) {
      addToList(dict, key, value);
      continue;
    }
    dict[key] = INTEGER_KEYS.has(key) && /^-?\d{1,9}$/.test(value) ? Number(value) : value;
  }
  if (direction !== undefined) dict[DIRECTION] = direction;
  if (transport !== 0) dict['transport-protocol'] = TRANSPORTS[transport & 0x7] as string;
  return dict;
}

function checkValue(value: unknown, path: string): NgArgValue {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    throw new FlagsError(FlagsErrorCode.invalid, `flags.${path}: ${value} is not an integer (ng has no fractions)`);
  }
  if (Array.isArray(value)) return value.map((item, i) => checkValue(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    const out: Dict = {};
    for (const [key, child] of Object.entries(value)) out[key] = checkValue(child, `${path}.${key}`);
    return out;
  }
  const hint = typeof value === 'boolean' ? ' (put a bare flag in the "flags" list: {"flags": ["trust-address"]})' : '';
  throw new FlagsError(FlagsErrorCode.invalid, `flags.${path}: ${value === null ? 'null' : typeof value} cannot be sent to rtpengine${hint}`);
}

/** Checks an object of ng keys: no owned key, only strings, integers, lists and dictionaries. */
export function checkFlagObject(flags: Readonly<Record<string, unknown>>): NgArgs {
  const out: Dict = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (OWNED_KEYS.has(key)) throw ownedKeyError(key, key);
    out[key] = checkValue(value, key);
  }
  return out;
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * `extra` over `base`: lists are united (first occurrence kept), dictionaries merged key by key,
 * `direction` and any other value replaced.
 */
export function mergeFlags(base: NgArgs, extra: NgArgs): NgArgs {
  const out: Dict = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) out[key] = value;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) continue;
    const current = out[key];
    if (key !== DIRECTION && Array.isArray(current) && Array.isArray(value)) {
      const list = [...current];
      for (const item of value) if (!list.includes(item)) list.push(item);
      out[key] = list;
    } else if (isDict(current) && isDict(value)) {
      out[key] = mergeFlags(current, value) as Dict;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Flags of one source (a string, an object, or none) as ng keys. */
export function flagsToNg(flags: string | Readonly<Record<string, unknown>> | undefined, profile?: ProfileLookup): NgArgs {
  if (flags === undefined) return {};
  return typeof flags === 'string' ? parseFlagString(flags, profile) : checkFlagObject(flags);
}
