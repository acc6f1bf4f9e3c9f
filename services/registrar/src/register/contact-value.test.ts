import { describe, expect, it } from 'vitest';
import { parseContactValue, type ContactValue } from './contact-value.js';

function ok(raw: string): ContactValue {
  const r = parseContactValue(raw);
  if (!r.ok) throw new Error(`${raw}: ${r.code} ${r.reason}`);
  return r.value;
}

function contact(raw: string) {
  const v = ok(raw);
  if (v.kind !== 'contact') throw new Error(`${raw} is *`);
  return v;
}

describe('parseContactValue', () => {
  it('recognises * with surrounding white space', () => {
    expect(ok(' * ')).toEqual({ kind: 'star' });
  });

  it('reads a name-addr with q, expires, +sip.instance and reg-id (RFC 5626 §4)', () => {
    const c = contact('<sip:alice@1.2.3.4:5060;transport=udp>;q=0.5;expires=60;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1');
    expect(c).toMatchObject({
      displayName: undefined,
      uri: 'sip:alice@1.2.3.4:5060;transport=udp',
      q: 0.5,
      expiresSec: 60,
      instance: '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>',
      regId: 1,
    });
  });

  it('gives the parameters of a bare addr-spec to the header (RFC 3261 §20.10)', () => {
    const c = contact('sip:alice@host;expires=0');
    expect(c.uri).toBe('sip:alice@host');
    expect(c.expiresSec).toBe(0);
    expect(contact('sip:alice@host').params.size).toBe(0);
  });

  it('reads quoted and token display names', () => {
    expect(contact('"Alice \\"A\\" Smith" <sip:alice@host>;expires=30').displayName).toBe('Alice "A" Smith');
    expect(contact('"<not a uri>, really" <sip:alice@host>').uri).toBe('sip:alice@host');
    expect(contact('Alice   Smith <sip:alice@host>').displayName).toBe('Alice Smith');
    expect(contact('<sips:alice@host>').displayName).toBeUndefined();
  });

  it('keeps unknown parameters, lower-cases names, and reads methods', () => {
    const c = contact('<sip:a@h>;Expires=10;+sip.ice;methods="INVITE, bye";x-foo=Bar');
    expect(c.expiresSec).toBe(10);
    expect(c.methods).toEqual(['INVITE', 'BYE']);
    expect(c.params.get('+sip.ice')).toBeNull();
    expect(c.params.get('x-foo')).toBe('Bar');
  });

  it('caps expires at 2^32-1 (RFC 3261 §20.19) and accepts qvalue edge forms', () => {
    expect(contact('<sip:a@h>;expires=99999999999').expiresSec).toBe(4_294_967_295);
    expect(contact('<sip:a@h>;q=1.000').q).toBe(1);
    expect(contact('<sip:a@h>;q=0').q).toBe(0);
    expect(contact('<sip:a@h>;q=0.125').q).toBe(0.125);
    expect(contact('tel:+15551234;expires=5').uri).toBe('tel:+15551234');
  });

  it.each([
    ['', 'REGISTRAR_ERR_CONTACT_EMPTY'],
    ['<sip:alice@host', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['"Alice <sip:alice@host>', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['"Alice" sip:alice@host', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['<sip:a@h> junk', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['<sip:a@h>;=1', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['<sip:a@h>;x="open', 'REGISTRAR_ERR_CONTACT_SYNTAX'],
    ['alice@host', 'REGISTRAR_ERR_CONTACT_URI'],
    ['<sip:alice@>', 'REGISTRAR_ERR_CONTACT_URI'],
    ['<sip:a@h>;q=1.5', 'REGISTRAR_ERR_CONTACT_Q'],
    ['<sip:a@h>;q=0.1234', 'REGISTRAR_ERR_CONTACT_Q'],
    ['<sip:a@h>;expires=-1', 'REGISTRAR_ERR_CONTACT_EXPIRES'],
    ['<sip:a@h>;expires', 'REGISTRAR_ERR_CONTACT_EXPIRES'],
    ['<sip:a@h>;+sip.instance="<urn:uuid:1>";reg-id=0', 'REGISTRAR_ERR_CONTACT_REG_ID'],
    ['<sip:a@h>;+sip.instance=""', 'REGISTRAR_ERR_CONTACT_INSTANCE'],
  ])('refuses %j with %s', (raw, code) => {
    const r = parseContactValue(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.code).toBe(code);
  });
});
