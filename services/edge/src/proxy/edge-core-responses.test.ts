/**
 * Responses of a relayed INVITE (RFC 3261 §16.7): provisionals above 100 and every 2xx go upstream
 * with our Via removed (step 3), a 100 stops at the edge (step 2); the ACK for a 2xx is its own
 * end-to-end request relayed along Route (§16.6, §13.2.2.4); the completed transaction is reported.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, headerLines, ProxyHarness, relay, sip, startLine, topBranch } from './proxy-harness.fixture.js';
import { invite, message, responseTo } from './sip-peers.fixture.js';

const ANSWER_SDP = 'v=0\r\no=bob 1 1 IN IP4 203.0.113.20\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\nm=audio 3456 RTP/AVP 0\r\n';

/** What the caller expects of a response passed through: the callee's response without our Via. */
function upstream(status: string, toTag: string, extra: string[] = [], body = ''): string {
  return (
    `SIP/2.0 ${status}\r\n` +
    'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7\r\n' +
    'Record-Route: <sip:192.0.2.10;lr>\r\n' +
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
    `To: <sip:bob@example.com>;tag=${toTag}\r\n` +
    'Call-ID: f81d4fae@10.0.0.5\r\n' +
    'CSeq: 1 INVITE\r\n' +
    extra.map((l) => `${l}\r\n`).join('') +
    (body === '' ? '' : 'Content-Type: application/sdp\r\n') +
    `Content-Length: ${String(Buffer.byteLength(body))}\r\n\r\n` +
    body
  );
}

describe('responses to a relayed INVITE', () => {
  it('stops a 100, forwards 180 and 200 to the caller with our Via removed', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 100, 'Trying'), CALLEE_A);
    expect(h.take()).toHaveLength(0);
    h.receive(responseTo(fw.text, 180, 'Ringing', { extra: ['Contact: <sip:bob@203.0.113.20:5060>'] }), CALLEE_A);
    const ringing = h.takeOne();
    expect(ringing.dest).toEqual(CALLER);
    expect(ringing.text).toBe(upstream('180 Ringing', 'b5x9', ['Contact: <sip:bob@203.0.113.20:5060>']));
    h.receive(responseTo(fw.text, 200, 'OK', { extra: ['Contact: <sip:bob@203.0.113.20:5060>'], body: ANSWER_SDP }), CALLEE_A);
    const ok = h.takeOne();
    expect(ok.dest).toEqual(CALLER);
    expect(ok.text).toBe(upstream('200 OK', 'b5x9', ['Contact: <sip:bob@203.0.113.20:5060>'], ANSWER_SDP));
  });

  it('removes only our value when the callee combined the Vias into one line', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    const vias = headerLines(fw.text, 'via').map((l) => l.slice('Via: '.length));
    const combined = Buffer.from(responseTo(fw.text, 180, 'Ringing').toString('utf8').replace(/Via: .*\r\nVia: .*\r\n/, `Via: ${vias.join(', ')}\r\n`));
    h.receive(combined, CALLEE_A);
    expect(headerLines(h.takeOne().text, 'via')).toEqual(['Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7']);
  });

  it('forwards a retransmitted 200 again (RFC 6026 §7.2, §16.7 step 5)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    const ok = responseTo(fw.text, 200, 'OK', { body: ANSWER_SDP });
    h.receive(ok, CALLEE_A);
    const first = h.takeOne().text;
    h.receive(ok, CALLEE_A);
    expect(h.takeOne().text).toBe(first);
    expect(h.completed).toHaveLength(1);
  });

  it('forwards a 200 that arrives after the transaction is gone statelessly along Via (RFC 6026 §7.2)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    const ok = responseTo(fw.text, 200, 'OK', { body: ANSWER_SDP });
    h.receive(ok, CALLEE_A);
    h.take();
    h.advance(40_000); // past Timers L and M (64*T1)
    expect(h.table.size).toBe(0);
    h.receive(ok, CALLEE_A);
    const stray = h.takeOne();
    expect(stray.dest).toEqual(CALLER);
    expect(stray.text).toBe(upstream('200 OK', 'b5x9', [], ANSWER_SDP));
    expect(h.counter('stray_responses_forwarded')).toBe(1);
  });

  it('drops a stray non-2xx response', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(Buffer.from(responseTo(fw.text, 486, 'Busy Here').toString('utf8').replace(/branch=z9hG4bK[^;\r]*/, 'branch=z9hG4bKunknown')), CALLEE_A);
    expect(h.take()).toHaveLength(0);
    expect(h.counter('stray_responses_dropped')).toBe(1);
  });

  it('adds Content-Length to a response from a UDP callee that has none, for a caller on TCP (§18.3)', () => {
    const h = new ProxyHarness();
    h.receive(invite(), { transport: 'tcp', ip: CALLER.ip, port: 40000 }, 3);
    h.take();
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] });
    const fw = h.takeOne();
    const bare = Buffer.from(responseTo(fw.text, 180, 'Ringing').toString('utf8').replace('Content-Length: 0\r\n', ''));
    h.receive(bare, CALLEE_A);
    const up = h.takeOne();
    expect(up.dest).toEqual({ transport: 'tcp', ip: CALLER.ip, port: 40000 });
    expect(up.connectionId).toBe(3);
    expect(up.text.endsWith('CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n')).toBe(true);
  });

  it('reports the completed transaction once, with status, outcome and branches', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], policy: 'dispatcher', acc: { flags: ['acc'] } });
    const fw = h.take()[1];
    h.advance(250);
    h.receive(responseTo(fw?.text ?? '', 200, 'OK'), CALLEE_A);
    expect(h.completed).toHaveLength(1);
    const c = h.completed[0];
    expect(c?.method).toBe('INVITE');
    expect(c?.source).toEqual(CALLER);
    const { req, inbound, ...facts } = c?.tx ?? ({} as Partial<NonNullable<typeof c>['tx']>);
    expect(req?.callId).toBe('f81d4fae@10.0.0.5');
    expect(inbound?.source).toEqual(CALLER);
    expect(facts).toEqual({
      txId: h.router.last().tx.askId,
      status: 200,
      reason: 'OK',
      outcome: 'relayed',
      policy: 'dispatcher',
      attempts: 1,
      branches: [{ uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 200, reason: 'OK' }],
      startedAt: 0,
      traceId: undefined,
      acc: { flags: ['acc'] },
      toTag: 'b5x9',
      finalRuri: 'sip:bob@example.com',
      finalDstUri: 'sip:203.0.113.20:5060',
      dialogId: undefined,
    });
  });

  it('relays a non-INVITE final response and reports the transaction', () => {
    const h = new ProxyHarness();
    const fw = relay(h, message());
    h.receive(responseTo(fw.text, 202, 'Accepted'), CALLEE_A);
    const sent = h.takeOne();
    expect(startLine(sent.text)).toBe('SIP/2.0 202 Accepted');
    expect(headerLines(sent.text, 'via')).toEqual(['Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKmsg1;rport=5062;received=198.51.100.7']);
    expect(h.completed.map((c) => [c.method, c.tx.status, c.tx.outcome])).toEqual([['MESSAGE', 202, 'relayed']]);
  });
});

describe('ACK for a 2xx', () => {
  it('is relayed statelessly to the Request-URI with our Route entry popped', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 200, 'OK', { body: ANSWER_SDP }), CALLEE_A);
    h.take();
    h.receive(
      sip([
        'ACK sip:bob@203.0.113.20:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKack1;rport',
        'Route: <sip:192.0.2.10;lr>',
        'Max-Forwards: 70',
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
        'To: <sip:bob@example.com>;tag=b5x9',
        'Call-ID: f81d4fae@10.0.0.5',
        'CSeq: 1 ACK',
        'Content-Length: 0',
      ]),
    );
    const ack = h.takeOne();
    expect(ack.dest).toEqual(CALLEE_A);
    const branch = topBranch(ack.text);
    expect(branch).toMatch(/^z9hG4bK[0-9a-f]{8}\./);
    expect(ack.text).toBe(
      'ACK sip:bob@203.0.113.20:5060 SIP/2.0\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}\r\n` +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKack1;rport=5062;received=198.51.100.7\r\n' +
        'Max-Forwards: 69\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>;tag=b5x9\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 ACK\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
    expect(h.counter('acks_forwarded')).toBe(1);
    expect(h.router.asks).toHaveLength(1);
    expect(h.completed).toHaveLength(1);
  });

  it('gives a retransmitted ACK the same branch (§16.11)', () => {
    const h = new ProxyHarness();
    const ack = sip([
      'ACK sip:bob@203.0.113.20:5060 SIP/2.0',
      'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKack1;rport',
      'Route: <sip:192.0.2.10;lr>',
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=a73kszlfl',
      'To: <sip:bob@example.com>;tag=b5x9',
      'Call-ID: f81d4fae@10.0.0.5',
      'CSeq: 1 ACK',
      'Content-Length: 0',
    ]);
    h.receive(ack);
    h.receive(ack);
    const [a, b] = h.take();
    expect(topBranch(a?.text ?? '')).toBe(topBranch(b?.text ?? ''));
  });
});
