/** The small rules REGISTER processing is made of: AoR form, expiry choice, received address, reply lines. */
import { describe, expect, it } from 'vitest';
import type { Binding } from '../location/index.js';
import { canonicalAor } from './address-of-record.js';
import { receivedUri } from './received-address.js';
import { DEFAULT_REGISTER_CONFIG } from './register-config.js';
import { contactHeaderValue, dateHeaderValue } from './register-reply.js';
import { decideExpiry, parseExpiresHeader } from './registration-expiry.js';

describe('canonicalAor (RFC 3261 §10.3 step 5)', () => {
  it.each([
    ['alice@example.com', true, 'alice@example.com'],
    ['Alice@Example.COM', true, 'Alice@example.com'],
    ['sip:alice@example.com:5060;transport=tcp', true, 'alice@example.com'],
    ['sips:al%69ce:secret@[2001:DB8::1]:5061', true, 'alice@[2001:db8::1]'],
    ['alice@example.com', false, 'alice'],
  ])('%s (use_domain %s) -> %s', (value, useDomain, aor) => {
    expect(canonicalAor(value, useDomain)).toEqual({ ok: true, aor });
  });

  it('refuses an AoR without user part', () => {
    expect(canonicalAor('example.com', true).ok).toBe(false);
    expect(canonicalAor('sip:@example.com', true).ok).toBe(false);
  });
});

describe('decideExpiry (RFC 3261 §10.3 step 7)', () => {
  const c = DEFAULT_REGISTER_CONFIG;
  it('prefers the contact parameter, then the header, then the default', () => {
    expect(decideExpiry(120, 300, c)).toEqual({ ok: true, seconds: 120 });
    expect(decideExpiry(undefined, 300, c)).toEqual({ ok: true, seconds: 300 });
    expect(decideExpiry(undefined, undefined, c)).toEqual({ ok: true, seconds: 3600 });
    expect(decideExpiry(0, 300, c)).toEqual({ ok: true, seconds: 0 });
  });

  it('cuts to the maximum (none when 0) and refuses below the minimum only under one hour', () => {
    expect(decideExpiry(100_000, undefined, c)).toEqual({ ok: true, seconds: 86_400 });
    expect(decideExpiry(100_000, undefined, { ...c, maxExpiresSec: 0 })).toEqual({ ok: true, seconds: 100_000 });
    expect(decideExpiry(59, undefined, c)).toEqual({ ok: false, tooBrief: true });
    expect(decideExpiry(60, undefined, c)).toEqual({ ok: true, seconds: 60 });
    expect(decideExpiry(3600, undefined, { ...c, minExpiresSec: 7200 })).toEqual({ ok: true, seconds: 3600 });
  });

  it('parses the Expires header as delta-seconds', () => {
    expect(parseExpiresHeader(' 600 ')).toBe(600);
    expect(parseExpiresHeader('99999999999')).toBe(4_294_967_295);
    expect(parseExpiresHeader('-1')).toBeUndefined();
    expect(parseExpiresHeader('Thu, 01 Dec 1994 16:00:00 GMT')).toBeUndefined();
  });
});

describe('receivedUri (nathelper fix_nated_register)', () => {
  it('names the source address, with the transport unless UDP, and brackets IPv6', () => {
    expect(receivedUri({ ip: '203.0.113.5', port: 5060, transport: 'udp' })).toBe('sip:203.0.113.5:5060');
    expect(receivedUri({ ip: '203.0.113.5', port: 50123, transport: 'tcp' })).toBe('sip:203.0.113.5:50123;transport=tcp');
    expect(receivedUri({ ip: '203.0.113.5', port: 443, transport: 'wss' })).toBe('sip:203.0.113.5:443;transport=wss');
    expect(receivedUri({ ip: '2001:db8::5', port: 5060, transport: 'udp' })).toBe('sip:[2001:db8::5]:5060');
  });
});

describe('reply lines (RFC 3261 §10.3 step 8)', () => {
  const base: Binding = { aor: 'a@b', contact: 'sip:a@192.0.2.1', ruid: 'r', expiresAtMs: 10_000, q: undefined, callId: 'c', cseq: 1, edge: 'e', nat: false, lastModifiedMs: 0 };

  it('rounds the remaining time up, so a live binding never shows expires=0', () => {
    expect(contactHeaderValue(base, 0)).toBe('<sip:a@192.0.2.1>;expires=10');
    expect(contactHeaderValue(base, 9_700)).toBe('<sip:a@192.0.2.1>;expires=1');
  });

  it('prints q without trailing zeros, received quoted, and the RFC 5626 parameters', () => {
    const full = { ...base, q: 0.5, received: 'sip:198.51.100.1:4000', instance: '<urn:uuid:1>', regId: 2 };
    expect(contactHeaderValue(full, 0)).toBe('<sip:a@192.0.2.1>;expires=10;q=0.5;received="sip:198.51.100.1:4000";+sip.instance="<urn:uuid:1>";reg-id=2');
    expect(contactHeaderValue({ ...base, q: 1 }, 0)).toBe('<sip:a@192.0.2.1>;expires=10;q=1');
    expect(contactHeaderValue({ ...base, q: 0 }, 0)).toBe('<sip:a@192.0.2.1>;expires=10;q=0');
  });

  it('dates in RFC 1123 GMT form', () => {
    expect(dateHeaderValue(Date.UTC(2010, 10, 13, 23, 29, 0))).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
  });
});
