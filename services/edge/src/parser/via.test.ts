import { describe, expect, it } from 'vitest';
import { parseVia } from './via.js';

describe('parseVia (RFC 3261 §20.42)', () => {
  it('ordinary Via with port, branch, received and rport', () => {
    const v = parseVia('SIP/2.0/udp pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5067;ttl=16');
    expect(v).toMatchObject({ transport: 'UDP', host: 'pc33.atlanta.example.com', port: 5066, branch: 'z9hG4bK776asdhds', received: '192.0.2.1', rport: 5067 });
    expect(v?.params.get('ttl')).toBe('16');
  });

  it('rport without a value is null, absent is undefined', () => {
    expect(parseVia('SIP/2.0/UDP h;rport;branch=z9hG4bK1')?.rport).toBeNull();
    expect(parseVia('SIP/2.0/UDP h;branch=z9hG4bK1')?.rport).toBeUndefined();
  });

  it('LWS around slashes, colon and parameters (RFC 4475 wsinv)', () => {
    const v = parseVia('SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8');
    expect(v).toMatchObject({ transport: 'TCP', host: 'spindle.example.com', port: undefined, branch: 'z9hG4bK9ikj8' });
    expect(parseVia('SIP/2.0/UDP host.example.com : 5060')?.port).toBe(5060);
  });

  it('IPv6 sent-by and WS/WSS transports', () => {
    expect(parseVia('SIP/2.0/WSS [2001:db8::9]:443;branch=z9hG4bKw')).toMatchObject({ transport: 'WSS', host: '[2001:db8::9]', port: 443 });
    expect(parseVia('SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKw')?.transport).toBe('WS');
  });

  it('a Via without branch (RFC 2543 peers) parses with branch undefined', () => {
    expect(parseVia('SIP/2.0/UDP iftgw.example.com')?.branch).toBeUndefined();
  });

  it('rejects malformed values', () => {
    for (const bad of ['', 'SIP/2.0/UDP', 'SIP/2.0 UDP host', 'HTTP/1.1/TCP host', 'SIP/2.0/UDP host:99999', 'SIP/2.0/UDP 192.0.2.15;;', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP host;rport=x']) {
      expect(parseVia(bad), bad).toBeUndefined();
    }
  });
});
