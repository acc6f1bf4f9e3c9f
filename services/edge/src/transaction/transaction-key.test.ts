import { describe, expect, it } from 'vitest';
import {
  cancelTargetKey,
  clientTransactionKey,
  isRfc3261Branch,
  rfc2543CancelTargetKey,
  rfc2543ServerKey,
  serverTransactionKey,
} from './transaction-key.js';
import type { Rfc2543KeyInput } from './transaction-key.js';

// RFC 3665 §3.1 style INVITE: Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9
const invite = { branch: 'z9hG4bK74bf9', sentByHost: 'client.atlanta.example.com', sentByPort: '5060', method: 'INVITE' };

describe('client transaction keys (§17.1.3)', () => {
  it('are the top Via branch plus the CSeq method', () => {
    expect(clientTransactionKey({ branch: 'z9hG4bK74bf9', cseqMethod: 'INVITE' })).toBe('z9hG4bK74bf9 INVITE');
  });

  it('keep an INVITE and the CANCEL that shares its branch apart', () => {
    const inviteKey = clientTransactionKey({ branch: 'z9hG4bK74bf9', cseqMethod: 'INVITE' });
    const cancelKey = clientTransactionKey({ branch: 'z9hG4bK74bf9', cseqMethod: 'CANCEL' });
    expect(cancelKey).not.toBe(inviteKey);
  });
});

describe('server transaction keys (§17.2.3)', () => {
  it('are branch, sent-by and method', () => {
    expect(serverTransactionKey(invite)).toBe('z9hG4bK74bf9 client.atlanta.example.com:5060 INVITE');
  });

  it('match an ACK to its INVITE', () => {
    expect(serverTransactionKey({ ...invite, method: 'ACK' })).toBe(serverTransactionKey(invite));
  });

  it('make a CANCEL its own transaction, and find the INVITE it cancels (§9.2)', () => {
    const cancel = { ...invite, method: 'CANCEL' };
    expect(serverTransactionKey(cancel)).toBe('z9hG4bK74bf9 client.atlanta.example.com:5060 CANCEL');
    expect(cancelTargetKey(cancel)).toBe(serverTransactionKey(invite));
  });

  it('compare hosts case-insensitively, branches and methods exactly', () => {
    expect(serverTransactionKey({ ...invite, sentByHost: 'Client.Atlanta.Example.COM' })).toBe(serverTransactionKey(invite));
    expect(serverTransactionKey({ ...invite, branch: 'z9hG4bK74BF9' })).not.toBe(serverTransactionKey(invite));
    expect(serverTransactionKey({ ...invite, method: 'invite' })).not.toBe(serverTransactionKey(invite));
  });

  it('tell different sent-by values apart, an absent port included', () => {
    expect(serverTransactionKey({ ...invite, sentByPort: '5070' })).not.toBe(serverTransactionKey(invite));
    expect(serverTransactionKey({ ...invite, sentByPort: '' })).toBe('z9hG4bK74bf9 client.atlanta.example.com INVITE');
    expect(serverTransactionKey({ ...invite, sentByHost: '[2001:db8::9]', sentByPort: '5060' })).toBe('z9hG4bK74bf9 [2001:db8::9]:5060 INVITE');
  });
});

describe('isRfc3261Branch (§8.1.1.7)', () => {
  it('recognises the magic cookie', () => {
    expect(isRfc3261Branch('z9hG4bK74bf9')).toBe(true);
    expect(isRfc3261Branch('74bf9')).toBe(false);
    expect(isRfc3261Branch('')).toBe(false);
    expect(isRfc3261Branch('Z9HG4BK74bf9')).toBe(false);
  });
});

describe('RFC 2543 fallback keys (§17.2.3, §9.2)', () => {
  const legacyInvite: Rfc2543KeyInput = {
    requestUri: 'sip:bob@biloxi.example.com',
    callId: '12345601@atlanta.example.com',
    fromTag: '1928301774',
    toTag: '',
    cseqNumber: '101',
    method: 'INVITE',
    topVia: 'SIP/2.0/UDP pc33.atlanta.example.com',
  };

  it('key an INVITE on R-URI, From tag, Call-ID, CSeq and the whole top Via', () => {
    expect(rfc2543ServerKey(legacyInvite)).toBe(
      'rfc2543 INVITE sip:bob@biloxi.example.com 1928301774 12345601@atlanta.example.com 101 SIP/2.0/UDP pc33.atlanta.example.com',
    );
  });

  it('match the ACK (carrying the response To tag) to its INVITE', () => {
    expect(rfc2543ServerKey({ ...legacyInvite, method: 'ACK', toTag: '314159' })).toBe(rfc2543ServerKey(legacyInvite));
  });

  it('find the INVITE a CANCEL cancels', () => {
    expect(rfc2543CancelTargetKey(legacyInvite)).toBe(rfc2543ServerKey(legacyInvite));
  });

  it('key other methods on the To tag and method too', () => {
    const bye = { ...legacyInvite, method: 'BYE', toTag: '314159', cseqNumber: '102' };
    expect(rfc2543ServerKey(bye)).toBe(
      'rfc2543 BYE sip:bob@biloxi.example.com 314159 1928301774 12345601@atlanta.example.com 102 SIP/2.0/UDP pc33.atlanta.example.com',
    );
    expect(rfc2543ServerKey({ ...bye, toTag: 'other' })).not.toBe(rfc2543ServerKey(bye));
    expect(rfc2543ServerKey({ ...legacyInvite, method: 'CANCEL' })).not.toBe(rfc2543ServerKey(legacyInvite));
  });

  it('tell requests apart on every field', () => {
    const base = rfc2543ServerKey(legacyInvite);
    for (const field of ['requestUri', 'callId', 'fromTag', 'cseqNumber', 'topVia'] as const) {
      expect(rfc2543ServerKey({ ...legacyInvite, [field]: `${legacyInvite[field]}x` })).not.toBe(base);
    }
  });

  it('never collide with RFC 3261 keys', () => {
    expect(rfc2543ServerKey(legacyInvite).startsWith('z9hG4bK')).toBe(false);
  });
});
