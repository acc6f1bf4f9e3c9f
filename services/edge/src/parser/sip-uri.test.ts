import { describe, expect, it } from 'vitest';
import { formatUri, hostsEqual, isLooseRouter, parseUri, uriPortOrDefault, uriScheme, uriTransport } from './sip-uri.js';

describe('parseUri', () => {
  it('sip URI with user, password, port, params and headers', () => {
    const u = parseUri('sip:alice:secret@Atlanta.Example.com:5070;transport=TCP;lr;Maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toMatchObject({ scheme: 'sip', user: 'alice', password: 'secret', host: 'Atlanta.Example.com', port: 5070 });
    expect([...(u?.params ?? [])]).toEqual([
      ['transport', 'TCP'],
      ['lr', null],
      ['maddr', '239.255.255.1'],
    ]);
    expect([...(u?.headers ?? [])]).toEqual([
      ['subject', 'project x'],
      ['priority', 'urgent'],
    ]);
    expect(u && uriTransport(u)).toBe('TCP');
    expect(u && isLooseRouter(u)).toBe(true);
  });

  it('IPv6 references keep their brackets', () => {
    const u = parseUri('sips:[2001:db8::1]:5061;transport=tls');
    expect(u).toMatchObject({ scheme: 'sips', user: undefined, host: '[2001:db8::1]', port: 5061 });
    expect(parseUri('sip:user@[2001:db8::10]')?.host).toBe('[2001:db8::10]');
    expect(parseUri('sip:[2001:db8::1')).toBeUndefined();
  });

  it('scheme is case-insensitive and lower-cased; user stays case-sensitive', () => {
    const u = parseUri('SIP:Alice@example.com');
    expect(u?.scheme).toBe('sip');
    expect(u?.user).toBe('Alice');
  });

  it('resolves escapes in user and params', () => {
    expect(parseUri('sip:%61lice@example.com')?.user).toBe('alice');
    expect(parseUri('sip:user;par=u%40example.net@example.com')?.user).toBe('user;par=u@example.net');
    expect(parseUri('sip:host;%6C%72')?.params.has('lr')).toBe(true);
  });

  it('tel URIs are kept opaque with their parameters', () => {
    const u = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(u).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '', port: undefined });
    expect(u?.params.get('phone-context')).toBe('example.com');
  });

  it('rejects malformed URIs', () => {
    for (const bad of ['', 'sip:', 'sip:@example.com', 'sip:user@', 'sip:user@host:99999', 'sip:user@host:abc', 'sip:us er@host', 'sip:user@host;=x', 'sip:user%zz@host', 'sip:user@ho<st', 'http://example.com', 'nobodyKnowsThisScheme:totallyopaquecontent', 'sip:user@host?x']) {
      expect(parseUri(bad), bad).toBeUndefined();
    }
  });

  it('uriScheme validates the scheme syntax', () => {
    expect(uriScheme('soap.beep://192.0.2.103:3002')).toBe('soap.beep');
    expect(uriScheme('<sip:a@b>')).toBeUndefined();
    expect(uriScheme('1sip:a')).toBeUndefined();
  });
});

describe('formatUri', () => {
  it('round-trips ordinary URIs', () => {
    for (const s of ['sip:alice@atlanta.example.com', 'sips:bob:pw@[2001:db8::1]:5061;transport=tls;lr?subject=hi', 'tel:+12015550123;phone-context=example.com']) {
      const u = parseUri(s);
      expect(u && formatUri(u)).toBe(s);
    }
  });

  it('re-escapes what the user part cannot carry', () => {
    const u = parseUri('sip:sips%3Auser%40example.com@example.net');
    expect(u?.user).toBe('sips:user@example.com');
    expect(u && formatUri(u)).toBe('sip:sips%3Auser%40example.com@example.net');
    const n = parseUri('sip:null-%00-null@example.com');
    expect(n && formatUri(n)).toBe('sip:null-%00-null@example.com');
    const p = parseUri('sip:h;name=v%61lue%25%34%31');
    expect(p && formatUri(p)).toBe('sip:h;name=value%2541');
  });
});

describe('URI helpers', () => {
  it('transport defaults (RFC 3263 §4.1)', () => {
    const sip = parseUri('sip:a@b');
    const sips = parseUri('sips:a@b');
    expect(sip && uriTransport(sip)).toBe('UDP');
    expect(sips && uriTransport(sips)).toBe('TLS');
    expect(sip && uriPortOrDefault(sip)).toBe(5060);
    expect(sips && uriPortOrDefault(sips)).toBe(5061);
  });

  it('host comparison is case-insensitive and canonicalizes IPv6', () => {
    expect(hostsEqual('Example.COM', 'example.com')).toBe(true);
    expect(hostsEqual('[2001:DB8::1]', '[2001:db8:0:0:0:0:0:1]')).toBe(true);
    expect(hostsEqual('[2001:db8::1]', '[2001:db8::2]')).toBe(false);
    expect(hostsEqual('example.com', 'example.org')).toBe(false);
  });
});
