/**
 * Retransmissions the edge makes over UDP (RFC 3261 §17): the forwarded INVITE on Timer A
 * (T1, doubling) until a provisional or Timer B, a forwarded non-INVITE on Timer E (capped at T2),
 * a non-2xx final sent upstream on Timer G until the caller's ACK; none over TCP.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, ProxyHarness, relay, sip, startLine } from './proxy-harness.fixture.js';
import { invite, message, responseTo } from './sip-peers.fixture.js';

function timesTo(h: ProxyHarness, ip: string, line: string): number[] {
  return h.transports.sent.filter((d) => d.dest.ip === ip && startLine(d.text) === line).map((d) => d.atMs);
}

describe('Timer A: the forwarded INVITE', () => {
  it('is retransmitted at 500, 1500, 3500 ms with the same bytes, and no more after a provisional', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.advance(3500);
    const again = h.take();
    expect(again.map((d) => d.atMs)).toEqual([500, 1500, 3500]);
    expect(again.every((d) => d.dest.ip === CALLEE_A.ip && d.text === fw.text)).toBe(true);
    h.advance(500);
    h.receive(responseTo(fw.text, 100, 'Trying'), CALLEE_A);
    h.advance(60_000);
    expect(timesTo(h, CALLEE_A.ip, 'INVITE sip:bob@example.com SIP/2.0')).toEqual([0, 500, 1500, 3500]);
  });

  it('stops at Timer B (64*T1) when nothing answers, the caller having had its 408 at fr_timer', () => {
    const h = new ProxyHarness();
    relay(h, invite());
    h.advance(60_000);
    expect(timesTo(h, CALLEE_A.ip, 'INVITE sip:bob@example.com SIP/2.0')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(timesTo(h, CALLER.ip, 'SIP/2.0 408 Request Timeout')[0]).toBe(30_000);
  });

  it('is not retransmitted over TCP', () => {
    const h = new ProxyHarness();
    relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20;transport=tcp' }] });
    h.advance(10_000);
    expect(h.take()).toHaveLength(0);
  });
});

describe('Timer E: a forwarded non-INVITE', () => {
  it('is retransmitted doubling up to T2, then every T2', () => {
    const h = new ProxyHarness();
    relay(h, message());
    h.advance(16_000);
    expect(timesTo(h, CALLEE_A.ip, 'MESSAGE sip:bob@example.com SIP/2.0')).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500]);
  });

  it('stops when the final response arrives', () => {
    const h = new ProxyHarness();
    const fw = relay(h, message());
    h.advance(600);
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    h.advance(30_000);
    expect(timesTo(h, CALLEE_A.ip, 'MESSAGE sip:bob@example.com SIP/2.0')).toEqual([0, 500]);
  });
});

describe('Timer G: a non-2xx final sent upstream', () => {
  it('is retransmitted until the caller ACKs it', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    const busy = h.take().find((d) => d.dest.ip === CALLER.ip);
    h.advance(1500);
    const resent = h.take();
    expect(resent.map((d) => d.atMs)).toEqual([500, 1500]);
    expect(resent.every((d) => d.text === busy?.text && d.dest.ip === CALLER.ip)).toBe(true);
    h.receive(
      sip([
        'ACK sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport',
        'Max-Forwards: 70',
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
        'To: <sip:bob@example.com>;tag=b5x9',
        'Call-ID: f81d4fae@10.0.0.5',
        'CSeq: 1 ACK',
        'Content-Length: 0',
      ]),
    );
    h.advance(30_000);
    expect(h.take()).toHaveLength(0);
    expect(h.counter('acks_absorbed')).toBe(1);
  });

  it('is not retransmitted to a caller on TCP, and gets a Content-Length there', () => {
    const h = new ProxyHarness();
    h.receive(invite(), { transport: 'tcp', ip: CALLER.ip, port: 40000 }, 7);
    const trying = h.takeOne();
    expect(trying.dest).toEqual({ transport: 'tcp', ip: CALLER.ip, port: 40000 });
    expect(trying.connectionId).toBe(7);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20' }] });
    const fw = h.takeOne();
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    const busy = h.take().filter((d) => d.dest.transport === 'tcp');
    expect(busy.map((d) => [startLine(d.text), d.connectionId])).toEqual([['SIP/2.0 486 Busy Here', 7]]);
    h.advance(10_000);
    expect(h.take().filter((d) => d.dest.transport === 'tcp')).toEqual([]);
  });
});
