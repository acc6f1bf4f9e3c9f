import { describe, expect, test } from 'vitest';
import { checkFlagObject, FlagsError, FlagsErrorCode, flagsToNg, mergeFlags, OWNED_KEYS, parseFlagString } from './flags.js';
import { BUILT_IN_PROFILES, compileProfiles } from './profiles.js';
import type { NgArgs } from './ng/ng-messages.js';

function flagsError(run: () => unknown): FlagsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FlagsError);
    return error as FlagsError;
  }
  throw new Error('no FlagsError thrown');
}

describe('parseFlagString: the book’s recipes (§8.14.3), byte for byte', () => {
  test('1:1 NAT, outside caller -> inside callee', () => {
    expect(parseFlagString('replace-origin replace-session-connection direction=pub direction=priv')).toEqual({
      replace: ['origin', 'session-connection'],
      direction: ['pub', 'priv'],
    });
    expect(parseFlagString('replace-origin replace-session-connection direction=priv direction=pub')).toEqual({
      replace: ['origin', 'session-connection'],
      direction: ['priv', 'pub'],
    });
  });

  test('WebRTC -> SIP, offer towards SIP', () => {
    expect(parseFlagString('rtcp-mux-demux DTLS=off SDES-off ICE=remove RTP/AVP')).toEqual({
      'rtcp-mux': ['demux'],
      DTLS: 'off',
      SDES: ['off'],
      ICE: 'remove',
      'transport-protocol': 'RTP/AVP',
    });
  });

  test('WebRTC -> SIP, answer towards the browser', () => {
    expect(parseFlagString('rtcp-mux-offer generate-mid DTLS=passive SDES-off ICE=force RTP/SAVPF')).toEqual({
      'rtcp-mux': ['offer'],
      flags: ['generate-mid'],
      DTLS: 'passive',
      SDES: ['off'],
      ICE: 'force',
      'transport-protocol': 'RTP/SAVPF',
    });
  });

  test('transcoding: codec-mask, codec-strip and the legacy transcode-X', () => {
    expect(parseFlagString('codec-mask-PCMA codec-strip-opus transcode-opus')).toEqual({ codec: { mask: ['PCMA'], strip: ['opus'], transcode: ['opus'] } });
  });

  test('DTMF: always-transcode, codec-transcode/offer of telephone-event, ptime as an integer', () => {
    expect(parseFlagString('always-transcode codec-transcode-telephone-event codec-offer-telephone-event ptime=20')).toEqual({
      flags: ['always-transcode'],
      codec: { transcode: ['telephone-event'], offer: ['telephone-event'] },
      ptime: 20,
    });
  });

  test('the empty string (the book’s answer of the transcoding recipes) and white space', () => {
    expect(parseFlagString('')).toEqual({});
    expect(parseFlagString('  \n\t ')).toEqual({});
    expect(parseFlagString('  replace-origin\n  ICE=remove  ')).toEqual({ replace: ['origin'], ICE: 'remove' });
  });
});

describe('parseFlagString: the module’s token forms', () => {
  test.each([
    ['RTP/AVP', 'RTP/AVP'],
    ['RTP/SAVP', 'RTP/SAVP'],
    ['RTP/AVPF', 'RTP/AVPF'],
    ['RTP/SAVPF', 'RTP/SAVPF'],
    ['UDP/TLS/RTP/SAVP', 'UDP/TLS/RTP/SAVP'],
    ['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVPF'],
    ['transport-protocol=RTP/AVPF', 'RTP/AVPF'],
    // The modifiers: SRTP and AVPF add their bit; RTP clears SRTP, AVP clears AVPF; the last full name wins.
    ['SRTP', 'RTP/SAVP'],
    ['AVPF', 'RTP/AVPF'],
    ['SRTP AVPF', 'RTP/SAVPF'],
    ['RTP/SAVPF RTP', 'RTP/AVPF'],
    ['RTP/SAVPF AVP', 'RTP/SAVP'],
    ['DTLS AVPF', 'UDP/TLS/RTP/SAVPF'],
    ['RTP/AVP RTP/SAVPF', 'RTP/SAVPF'],
  ])('%s -> transport-protocol %s', (flags, transport) => {
    expect(parseFlagString(flags)).toEqual({ 'transport-protocol': transport });
  });

  test('a bad transport-protocol= value is refused', () => {
    expect(flagsError(() => parseFlagString('transport-protocol=RTP/XYZ')).code).toBe(FlagsErrorCode.invalid);
  });

  test('sub-lists take both the dash and the = form', () => {
    expect(parseFlagString('replace=origin replace-session-connection replace-origin')).toEqual({ replace: ['origin', 'session-connection'] });
    expect(parseFlagString('SDES-off SDES=no-AES_CM_128_HMAC_SHA1_32 SDES-unencrypted_srtp')).toEqual({ SDES: ['off', 'no-AES_CM_128_HMAC_SHA1_32', 'unencrypted_srtp'] });
    expect(parseFlagString('T38-decode T.38=force T38=no-ECM')).toEqual({ 'T.38': ['decode', 'force', 'no-ECM'] });
  });

  test.each(['demux', 'offer', 'accept', 'reject', 'require'])('rtcp-mux-%s -> rtcp-mux list', (op) => {
    expect(parseFlagString(`rtcp-mux-${op}`)).toEqual({ 'rtcp-mux': [op] });
  });

  test('bare rtcp-mux, SDES or replace are plain flags (no sub-list value)', () => {
    expect(parseFlagString('rtcp-mux SDES')).toEqual({ flags: ['rtcp-mux', 'SDES'] });
  });

  test.each(['strip', 'offer', 'transcode', 'mask', 'set', 'except', 'accept', 'consume'])('codec-%s-X and codec-%s=X -> codec.%s', (op) => {
    expect(parseFlagString(`codec-${op}-PCMU codec-${op}=opus/48000 codec-${op}-PCMU`)).toEqual({ codec: { [op]: ['PCMU', 'opus/48000'] } });
  });

  test('codec names keep their dashes; transcode-X and codec-transcode-X fill one list', () => {
    expect(parseFlagString('codec-strip-all codec-offer-telephone-event transcode-G722 codec-transcode-AMR-WB')).toEqual({
      codec: { strip: ['all'], offer: ['telephone-event'], transcode: ['G722', 'AMR-WB'] },
    });
  });

  test('a bare codec=... is refused with the way to say it', () => {
    expect(flagsError(() => parseFlagString('codec=PCMA')).message).toMatch(/codec-<operation>-<codec>/);
  });

  test('direction is ordered and repeatable; internal/external are direction shortcuts', () => {
    expect(parseFlagString('direction=priv direction=pub')).toEqual({ direction: ['priv', 'pub'] });
    expect(parseFlagString('external internal')).toEqual({ direction: ['external', 'internal'] });
    expect(parseFlagString('direction=pub direction=pub')).toEqual({ direction: ['pub', 'pub'] });
    expect(flagsError(() => parseFlagString('direction')).message).toMatch(/direction=pub/);
    expect(flagsError(() => parseFlagString('internal=x')).code).toBe(FlagsErrorCode.invalid);
  });

  test('key=value tokens become dictionary entries; integers where rtpengine reads integers', () => {
    expect(
      parseFlagString('ICE=force-relay DTLS=active address-family=IP6 media-address=203.0.113.7 label=caller record-call=yes TOS=184 delete-delay=0 ptime=30 ptime-reverse=20 DTMF-security=drop DTMF-delay=50'),
    ).toEqual({
      ICE: 'force-relay',
      DTLS: 'active',
      'address-family': 'IP6',
      'media-address': '203.0.113.7',
      label: 'caller',
      'record-call': 'yes',
      TOS: 184,
      'delete-delay': 0,
      ptime: 30,
      'ptime-reverse': 20,
      'DTMF-security': 'drop',
      'DTMF-delay': 50,
    });
  });

  test('a later key=value replaces an earlier one; a non-number for an integer key stays a string', () => {
    expect(parseFlagString('ICE=remove ICE=force ptime=abc')).toEqual({ ICE: 'force', ptime: 'abc' });
  });

  test('bare words go to the flags list once, in order (rtpengine reads hyphens as spaces)', () => {
    expect(parseFlagString('trust-address symmetric strict-source trust-address WebRTC loop-protect inject-DTMF record-call')).toEqual({
      flags: ['trust-address', 'symmetric', 'strict-source', 'WebRTC', 'loop-protect', 'inject-DTMF', 'record-call'],
    });
    expect(parseFlagString('flags=port-latching supports=load-limit')).toEqual({ flags: ['port-latching'], supports: ['load-limit'] });
  });

  test.each([...OWNED_KEYS])('%s cannot be set by flags (bare or with a value)', (key) => {
    expect(flagsError(() => parseFlagString(`replace-origin ${key}=x`)).code).toBe(FlagsErrorCode.ownedKey);
    expect(flagsError(() => parseFlagString(key)).code).toBe(FlagsErrorCode.ownedKey);
  });

  test('the owned-key error names the request field to use', () => {
    expect(flagsError(() => parseFlagString('via-branch=auto')).message).toBe('flag "via-branch=auto": via-branch is set by media-control from the request (via_branch), not by flags');
  });

  test('a token without a name is refused', () => {
    expect(flagsError(() => parseFlagString('=x')).code).toBe(FlagsErrorCode.invalid);
  });
});

describe('profiles in flag strings', () => {
  const profiles = compileProfiles({});
  const lookup = (method: 'offer' | 'answer') => (name: string) => profiles.get(name)?.flags[method];

  test('profile:<name> expands the profile of the command', () => {
    expect(parseFlagString('profile:nat-pub-to-priv', lookup('offer'))).toEqual({ replace: ['origin', 'session-connection'], direction: ['pub', 'priv'] });
    expect(parseFlagString('profile:nat-pub-to-priv', lookup('answer'))).toEqual({ replace: ['origin', 'session-connection'], direction: ['priv', 'pub'] });
  });

  test('tokens after the profile add to it or override it; direction and transport are replaced whole', () => {
    expect(parseFlagString('profile:webrtc-to-sip ICE=force-relay trust-address direction=a direction=b', lookup('offer'))).toEqual({
      'rtcp-mux': ['demux'],
      DTLS: 'off',
      SDES: ['off'],
      ICE: 'force-relay',
      'transport-protocol': 'RTP/AVP',
      flags: ['trust-address'],
      direction: ['a', 'b'],
    });
    expect(parseFlagString('RTP/SAVP profile:nat-pub-to-priv direction=x direction=y UDP/TLS/RTP/SAVPF', lookup('offer'))).toEqual({
      'transport-protocol': 'UDP/TLS/RTP/SAVPF',
      replace: ['origin', 'session-connection'],
      direction: ['x', 'y'],
    });
  });

  test('a profile is never changed by what is merged over it', () => {
    const before = JSON.stringify(profiles.get('webrtc-to-sip')?.flags);
    parseFlagString('profile:webrtc-to-sip SDES-pad rtcp-mux-require codec-strip-all', lookup('offer'));
    expect(JSON.stringify(profiles.get('webrtc-to-sip')?.flags)).toBe(before);
    expect(Object.isFrozen(profiles.get('webrtc-to-sip')?.flags.offer)).toBe(true);
  });

  test('unknown profile, and profiles where none may be used', () => {
    expect(flagsError(() => parseFlagString('profile:nope', lookup('offer'))).message).toBe('unknown media profile "nope"');
    expect(flagsError(() => parseFlagString('profile:nat-pub-to-priv')).code).toBe(FlagsErrorCode.unknownProfile);
  });
});

describe('objects of ng keys', () => {
  test('pass through as given', () => {
    const flags = { replace: ['origin'], ICE: 'remove', codec: { strip: ['all'], offer: ['PCMA'] }, 'delete-delay': 0, flags: ['trust-address'] };
    expect(checkFlagObject(flags)).toEqual(flags);
    expect(flagsToNg(flags)).toEqual(flags);
  });

  test('owned keys, booleans, fractions and null are refused with the path', () => {
    expect(flagsError(() => checkFlagObject({ 'call-id': 'x' })).code).toBe(FlagsErrorCode.ownedKey);
    expect(flagsError(() => checkFlagObject({ sdp: 'v=0' })).code).toBe(FlagsErrorCode.ownedKey);
    expect(flagsError(() => checkFlagObject({ 'trust-address': true })).message).toMatch(/flags\.trust-address: boolean .*"flags": \["trust-address"\]/);
    expect(flagsError(() => checkFlagObject({ ptime: 20.5 })).message).toBe('flags.ptime: 20.5 is not an integer (ng has no fractions)');
    expect(flagsError(() => checkFlagObject({ codec: { strip: [null] } })).message).toBe('flags.codec.strip[0]: null cannot be sent to rtpengine');
  });

  test('undefined flags are none', () => {
    expect(flagsToNg(undefined)).toEqual({});
  });
});

describe('mergeFlags', () => {
  test('lists united, dictionaries merged, direction and scalars replaced', () => {
    const base: NgArgs = { replace: ['origin'], codec: { strip: ['opus'] }, direction: ['pub', 'priv'], ICE: 'remove' };
    const extra: NgArgs = { replace: ['origin', 'session-connection'], codec: { strip: ['G722'], mask: ['PCMA'] }, direction: ['priv', 'pub'], ICE: 'force' };
    expect(mergeFlags(base, extra)).toEqual({
      replace: ['origin', 'session-connection'],
      codec: { strip: ['opus', 'G722'], mask: ['PCMA'] },
      direction: ['priv', 'pub'],
      ICE: 'force',
    });
    expect(base).toEqual({ replace: ['origin'], codec: { strip: ['opus'] }, direction: ['pub', 'priv'], ICE: 'remove' });
  });
});

describe('compileProfiles', () => {
  test('the built-ins, each parsed', () => {
    const profiles = compileProfiles({});
    expect([...profiles.keys()].sort()).toEqual(Object.keys(BUILT_IN_PROFILES).sort());
    expect(profiles.get('sip-to-webrtc')?.flags.offer).toEqual(parseFlagString('rtcp-mux-offer generate-mid DTLS=passive SDES-off ICE=force RTP/SAVPF'));
    expect(profiles.get('transcoding')?.flags.answer).toEqual({});
    expect(profiles.get('dtmf')?.flags.offer).toMatchObject({ ptime: 20 });
    expect(profiles.get('dtmf')?.builtIn).toBe(true);
  });

  test('the config replaces a built-in of the same name and adds new ones (strings or objects)', () => {
    const profiles = compileProfiles({
      dtmf: { offer: 'codec-offer-telephone-event' },
      carrier: { description: 'to the carrier', offer: { ICE: 'remove', replace: ['origin'] }, answer: 'trust-address', delete: 'delete-delay=5' },
    });
    expect(profiles.get('dtmf')).toMatchObject({ builtIn: false, flags: { offer: { codec: { offer: ['telephone-event'] } }, answer: {} } });
    expect(profiles.get('carrier')?.flags).toEqual({ offer: { ICE: 'remove', replace: ['origin'] }, answer: { flags: ['trust-address'] }, delete: { 'delete-delay': 5 } });
  });

  test('a mistake names the profile and the command', () => {
    expect(flagsError(() => compileProfiles({ bad: { answer: 'call-id=x' } })).message).toMatch(/^media profile "bad", answer: flag "call-id=x"/);
    expect(flagsError(() => compileProfiles({ nested: { offer: 'profile:dtmf' } })).message).toMatch(/cannot use another profile/);
  });
});
