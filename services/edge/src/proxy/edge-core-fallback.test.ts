/**
 * Which policy is asked (route.policy) and the fallback policy (route.fallbackPolicy, DESIGN §2:
 * "deadline: 503 + Retry-After, or a fallback policy"): one more route request when the first
 * policy misses its deadline or has no responders, then the configured replies.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, ProxyHarness, startLine } from './proxy-harness.fixture.js';
import { invite, responseTo } from './sip-peers.fixture.js';

/** Distinct start lines sent to the caller, in order (Timer G retransmissions counted once). */
function upstream(h: ProxyHarness): string[] {
  return [...new Set(h.transports.sent.filter((d) => d.dest.ip === CALLER.ip).map((d) => startLine(d.text)))];
}

describe('policy asked', () => {
  it('is route.policy', () => {
    const h = new ProxyHarness({ config: { 'route.policy': 'lcr' } });
    h.receive(invite());
    expect(h.router.asks.map((a) => a.policy)).toEqual(['lcr']);
  });
});

describe('fallback policy', () => {
  const config = { 'route.policy': 'primary', 'route.fallbackPolicy': 'backup' };

  it('is asked when the first policy misses its deadline, and its answer is relayed', () => {
    const h = new ProxyHarness({ config });
    h.receive(invite());
    h.advance(5000);
    expect(h.router.asks.map((a) => a.policy)).toEqual(['primary', 'backup']);
    // Same transaction (index), new request id (label): a late answer to the first cannot be taken for the second.
    const [first, second] = [h.router.asks[0]?.params.tx ?? '', h.router.asks[1]?.params.tx ?? ''];
    expect(second).not.toBe(first);
    expect(second.split('.').slice(0, 2)).toEqual(first.split('.').slice(0, 2));
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying']);
    expect(h.counter('route_fallbacks')).toBe(1);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20' }] });
    const fw = h.transports.sent.find((d) => d.dest.ip === CALLEE_A.ip);
    h.receive(responseTo(fw?.text ?? '', 200, 'OK'), CALLEE_A);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
  });

  it('is asked at once when nobody listens for the first policy', () => {
    const h = new ProxyHarness({ config });
    h.receive(invite());
    h.router.last().tx.onNoResponders();
    expect(h.router.asks.map((a) => a.policy)).toEqual(['primary', 'backup']);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying']);
  });

  it('gets one chance: when it is silent too, the deadline reply goes out', () => {
    const h = new ProxyHarness({ config });
    h.receive(invite());
    h.advance(5000);
    h.advance(4999);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying']);
    h.advance(1);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 503 Service Unavailable']);
    expect(h.router.asks).toHaveLength(2);
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['router_timeout']);
  });

  it('is not asked after a CANCEL', () => {
    const h = new ProxyHarness({ config });
    h.receive(invite());
    h.receive(
      Buffer.from(
        'CANCEL sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport\r\nMax-Forwards: 70\r\n' +
          'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\nTo: <sip:bob@example.com>\r\nCall-ID: f81d4fae@10.0.0.5\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n',
      ),
    );
    h.advance(10_000);
    expect(h.router.asks).toHaveLength(1);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
  });

  it('is not used when it is the policy that was asked', () => {
    const h = new ProxyHarness({ config: { 'route.policy': 'primary', 'route.fallbackPolicy': 'primary' } });
    h.receive(invite());
    h.advance(5000);
    expect(h.router.asks).toHaveLength(1);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 503 Service Unavailable']);
  });
});
