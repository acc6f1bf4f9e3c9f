/**
 * CANCEL of a relayed INVITE (RFC 3261 §16.10, §9.1, §9.2): the CANCEL gets its own 200 at once,
 * each pending branch is CANCELled hop by hop with its own branch id (only after a provisional),
 * the 487 that comes back is forwarded and ACKed by the edge; a CANCEL that matches nothing is
 * dropped or answered 481.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, headerLine, ProxyHarness, relay, startLine, topBranch } from './proxy-harness.fixture.js';
import { cancelOf, invite, responseTo } from './sip-peers.fixture.js';

function split(h: ProxyHarness): { up: string[]; down: string[] } {
  const sent = h.take();
  return {
    up: sent.filter((d) => d.dest.ip === CALLER.ip).map((d) => d.text),
    down: sent.filter((d) => d.dest.ip === CALLEE_A.ip).map((d) => d.text),
  };
}

describe('CANCEL during ringing', () => {
  it('answers 200, CANCELs the branch, forwards the 487 and ACKs it downstream', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    const branch = topBranch(fw.text);
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.take();
    h.receive(cancelOf());
    const first = split(h);
    expect(first.up.map(startLine)).toEqual(['SIP/2.0 200 OK']);
    expect(headerLine(first.up[0] ?? '', 'cseq')).toBe('CSeq: 1 CANCEL');
    expect(first.down).toEqual([
      'CANCEL sip:bob@example.com SIP/2.0\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}\r\n` +
        'Max-Forwards: 70\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 CANCEL\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    ]);
    expect(h.counter('cancels_sent')).toBe(1);

    // The callee answers the CANCEL (absorbed here) and ends the INVITE with 487.
    h.receive(responseTo(first.down[0] ?? '', 200, 'OK'), CALLEE_A);
    expect(h.take()).toHaveLength(0);
    h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    const second = split(h);
    expect(second.up).toEqual([
      'SIP/2.0 487 Request Terminated\r\n' +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>;tag=b5x9\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 INVITE\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    ]);
    // §17.1.1.3: the ACK for a non-2xx is hop by hop, with the INVITE's branch and the response's To.
    expect(second.down).toEqual([
      'ACK sip:bob@example.com SIP/2.0\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}\r\n` +
        'Max-Forwards: 70\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>;tag=b5x9\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 ACK\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    ]);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[487, 'cancelled']]);
  });

  it('re-sends the ACK when the 487 is retransmitted, without forwarding it again', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.receive(cancelOf());
    h.take();
    const terminated = responseTo(fw.text, 487, 'Request Terminated');
    h.receive(terminated, CALLEE_A);
    const ack = split(h).down;
    h.receive(terminated, CALLEE_A);
    expect(split(h)).toEqual({ up: [], down: ack });
  });

  it('answers 200 to a CANCEL after the final response and sends no CANCEL downstream', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    h.take();
    h.receive(cancelOf());
    const { up, down } = split(h);
    expect(up.map(startLine)).toEqual(['SIP/2.0 200 OK']);
    expect(down).toEqual([]);
  });
});

describe('CANCEL and serial routes', () => {
  it('tries no further route once the caller cancelled', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.receive(cancelOf());
    h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    expect(h.transports.sent.filter((d) => d.dest.ip === '203.0.113.21')).toEqual([]);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[487, 'cancelled']]);
  });
});

describe('CANCEL before any provisional (§9.1)', () => {
  it('holds the CANCEL until the branch sends a provisional', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(cancelOf());
    const early = split(h);
    expect(early.up.map(startLine)).toEqual(['SIP/2.0 200 OK']);
    expect(early.down).toEqual([]);
    h.receive(responseTo(fw.text, 100, 'Trying'), CALLEE_A);
    const late = split(h);
    expect(late.up).toEqual([]);
    expect(late.down.map(startLine)).toEqual(['CANCEL sip:bob@example.com SIP/2.0']);
    expect(topBranch(late.down[0] ?? '')).toBe(topBranch(fw.text));
  });

  it('answers 487 when the branch never responds (fr_timer)', () => {
    const h = new ProxyHarness();
    relay(h, invite());
    h.receive(cancelOf());
    h.take();
    h.advance(30_000);
    const { up, down } = split(h);
    expect(up.map(startLine)).toEqual(['SIP/2.0 487 Request Terminated']);
    // Only INVITE retransmissions (Timer A) went downstream, never a CANCEL.
    expect(new Set(down.map(startLine))).toEqual(new Set(['INVITE sip:bob@example.com SIP/2.0']));
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['cancelled']);
  });
});

describe('CANCEL without a transaction', () => {
  it('is dropped by default (Kamailio default script)', () => {
    const h = new ProxyHarness();
    h.receive(cancelOf({ branch: 'z9hG4bKnothing' }));
    expect(h.take()).toHaveLength(0);
    expect(h.counter('cancels_unmatched')).toBe(1);
    expect(h.router.asks).toHaveLength(0);
  });

  it("is answered 481 with sip.unmatchedCancel: 'reply-481' (§9.2)", () => {
    const h = new ProxyHarness({ config: { 'sip.unmatchedCancel': 'reply-481' } });
    h.receive(cancelOf({ branch: 'z9hG4bKnothing' }));
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLER);
    expect(startLine(sent.text)).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
    expect(headerLine(sent.text, 'cseq')).toBe('CSeq: 1 CANCEL');
    expect(headerLine(sent.text, 'to')).toMatch(/^To: <sip:bob@example\.com>;tag=[0-9a-z]+$/);
  });

  it('does not match an INVITE from another sent-by (§9.2 matching includes the top Via)', () => {
    const h = new ProxyHarness({ config: { 'sip.unmatchedCancel': 'reply-481' } });
    relay(h, invite());
    const other = Buffer.from(cancelOf().toString('utf8').replace('10.0.0.5:5062;branch', '10.0.0.6:5062;branch'));
    h.receive(other);
    expect(split(h).up.map(startLine)).toEqual(['SIP/2.0 481 Call/Transaction Does Not Exist']);
  });
});

describe('CANCEL after the final response', () => {
  it('answers 200 to the CANCEL and changes nothing once the INVITE was answered (RFC 3261 §9.2)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    expect(split(h).up.map(startLine)).toEqual(['SIP/2.0 200 OK']);
    // The transaction has settled: it left the live table, its server transaction lingers.
    expect(h.core.liveTransactions).toBe(0);
    h.receive(cancelOf());
    const after = split(h);
    expect(after.up.map(startLine)).toEqual(['SIP/2.0 200 OK']);
    expect(headerLine(after.up[0] ?? '', 'cseq')).toBe('CSeq: 1 CANCEL');
    expect(after.down).toEqual([]);
    expect(h.counter('cancels_sent')).toBe(0);
  });
});
