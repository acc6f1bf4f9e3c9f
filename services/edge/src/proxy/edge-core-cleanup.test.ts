/**
 * Nothing accepted leaks (DESIGN §6): once the timers of a finished flow have run, the transaction
 * table, the live proxy transactions and the timer wheel are empty again.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLEE_B, ProxyHarness, relay, sip } from './proxy-harness.fixture.js';
import { cancelOf, invite, message, responseTo } from './sip-peers.fixture.js';

function expectClean(h: ProxyHarness): void {
  h.advance(300_000);
  expect({ table: h.table.size, live: h.core.liveTransactions, timers: h.wheel.size }).toEqual({ table: 0, live: 0, timers: 0 });
}

const ACK_486 = sip([
  'ACK sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
  'To: <sip:bob@example.com>;tag=b5x9',
  'Call-ID: f81d4fae@10.0.0.5',
  'CSeq: 1 ACK',
  'Content-Length: 0',
]);

describe('state released after', () => {
  it('an answered call', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    expectClean(h);
  });

  it('a busy callee whose final the caller ACKs', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    h.receive(ACK_486);
    expectClean(h);
  });

  it('a busy callee whose final the caller never ACKs (Timer H)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    expectClean(h);
  });

  it('a CANCELled call', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.receive(cancelOf());
    const cancel = h.take().find((d) => d.text.startsWith('CANCEL'));
    h.receive(responseTo(cancel?.text ?? '', 200, 'OK'), CALLEE_A);
    h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    expectClean(h);
  });

  it('a route deadline', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    expectClean(h);
  });

  it('a parallel fork answered on one branch', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    h.take();
    h.router.answer({ routing: 'parallel', routes: [{ dst_uri: 'sip:203.0.113.20' }, { dst_uri: 'sip:203.0.113.21' }] });
    const [a, b] = h.take();
    h.receive(responseTo(b?.text ?? '', 180, 'Ringing', { toTag: 'tb' }), CALLEE_B);
    h.receive(responseTo(a?.text ?? '', 200, 'OK', { toTag: 'ta' }), CALLEE_A);
    h.receive(responseTo(b?.text ?? '', 487, 'Request Terminated', { toTag: 'tb' }), CALLEE_B);
    expectClean(h);
  });

  it('a branch that never answers', () => {
    const h = new ProxyHarness();
    relay(h, invite());
    expectClean(h);
  });

  it('a relayed MESSAGE', () => {
    const h = new ProxyHarness();
    const fw = relay(h, message());
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    expectClean(h);
  });
});
