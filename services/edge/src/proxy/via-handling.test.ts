/**
 * Via work of the proxy: received/rport on the previous hop's Via (RFC 3261 §18.2.1, RFC 3581 §4),
 * where responses go (§18.2.2), our Via, and the loop hash (§16.3 step 4, §16.6 step 8).
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest } from '../parser/sip-message.js';
import { parseVia, type Via } from '../parser/via.js';
import { OurAddresses } from './our-addresses.js';
import { sip, TCP_LISTENER, UDP_LISTENER } from './proxy-harness.fixture.js';
import { fixTopVia, isLoop, loopHash, makeBranch, ourVia, responseAddress } from './via-handling.js';

function via(value: string): Via {
  const v = parseVia(value);
  if (!v) throw new Error(`bad Via ${value}`);
  return v;
}

function request(lines: string[]): SipRequest {
  const r = parseMessage(sip(lines));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

describe('fixTopVia', () => {
  it('adds rport and received when forced (Kamailio force_rport)', () => {
    expect(fixTopVia(via('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1'), '198.51.100.7', 40000, true)).toBe('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport=40000;received=198.51.100.7');
  });

  it('fills an empty rport in place and adds received even when the host matches (RFC 3581 §4)', () => {
    expect(fixTopVia(via('SIP/2.0/UDP 198.51.100.7:5062;rport;branch=z9hG4bK1'), '198.51.100.7', 5062, false)).toBe('SIP/2.0/UDP 198.51.100.7:5062;rport=5062;branch=z9hG4bK1;received=198.51.100.7');
  });

  it('adds only received when the host differs and rport was not asked for', () => {
    expect(fixTopVia(via('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1'), '198.51.100.7', 5060, false)).toBe('SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=198.51.100.7');
  });

  it('replaces a stale received and leaves a matching Via alone', () => {
    expect(fixTopVia(via('SIP/2.0/UDP 10.0.0.5;received=10.9.9.9;branch=z9hG4bK1'), '198.51.100.7', 5060, false)).toBe('SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;received=198.51.100.7');
    expect(fixTopVia(via('SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1'), '198.51.100.7', 5060, false)).toBeUndefined();
  });

  it('compares an IPv6 sent-by without its brackets and writes received without them', () => {
    expect(fixTopVia(via('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1'), '2001:db8::9', 5060, false)).toBeUndefined();
    expect(fixTopVia(via('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1'), '2001:db8::1', 5060, false)).toBe('SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1;received=2001:db8::1');
  });
});

describe('responseAddress', () => {
  it('answers to the source port with rport, to the Via port without (§18.2.2)', () => {
    expect(responseAddress(via('SIP/2.0/UDP 10.0.0.5:5062;rport;branch=z9hG4bK1'), '198.51.100.7', 40000, false)).toEqual({ ip: '198.51.100.7', port: 40000 });
    expect(responseAddress(via('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1'), '198.51.100.7', 40000, false)).toEqual({ ip: '198.51.100.7', port: 5062 });
    expect(responseAddress(via('SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1'), '198.51.100.7', 40000, false)).toEqual({ ip: '198.51.100.7', port: 5060 });
    expect(responseAddress(via('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1'), '198.51.100.7', 40000, true)).toEqual({ ip: '198.51.100.7', port: 40000 });
  });
});

describe('our Via and branch', () => {
  it('names the listener transport and advertised address', () => {
    expect(ourVia(TCP_LISTENER, 'z9hG4bKabc')).toBe('SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKabc');
    expect(ourVia({ ...UDP_LISTENER, advertiseHost: 'sip.example.com', advertisePort: 5080 }, 'z9hG4bKabc')).toBe('SIP/2.0/UDP sip.example.com:5080;branch=z9hG4bKabc');
    expect(makeBranch('0badf00d', 'x1', 2)).toBe('z9hG4bK0badf00d.x1.2');
  });
});

describe('loop hash', () => {
  const lines = [
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKa',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:bob@example.com>',
    'Call-ID: c1',
    'CSeq: 1 INVITE',
    'Content-Length: 0',
  ];

  it('is 8 hex digits, stable for the same request and different for a new Request-URI (spiral)', () => {
    const a = loopHash(request(lines));
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(loopHash(request([...lines]))).toBe(a);
    expect(loopHash(request(['INVITE sip:bob@pbx.example.com SIP/2.0', ...lines.slice(1)]))).not.toBe(a);
    expect(loopHash(request(lines.map((l) => (l === 'CSeq: 1 INVITE' ? 'CSeq: 2 INVITE' : l))))).not.toBe(a);
  });

  it('finds a loop only in a Via of ours carrying the same hash', () => {
    const ours = new OurAddresses([UDP_LISTENER], []);
    const plain = request(lines);
    const hash = loopHash(plain);
    const withOurs = request([lines[0] ?? '', `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${hash}.x.0`, ...lines.slice(1)]);
    const withOthers = request([lines[0] ?? '', `Via: SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bK${hash}.x.0`, ...lines.slice(1)]);
    expect(isLoop(withOurs, hash, ours)).toBe(true);
    expect(isLoop(withOthers, hash, ours)).toBe(false);
    expect(isLoop(plain, hash, ours)).toBe(false);
  });
});
