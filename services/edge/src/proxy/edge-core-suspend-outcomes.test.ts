/**
 * Every way a suspended transaction can end (DESIGN §2): the answer, a reply instead of routes, the
 * deadline (503 + Retry-After, configurable), a late answer (dropped, counted), no responders
 * (immediate 503), an invalid answer (500), a router error (500 or its data.reply), and a CANCEL
 * while suspended (200 to the CANCEL, 487 to the INVITE, the answer that follows ignored).
 */
import { describe, expect, it } from 'vitest';
import { CALLER, headerLine, headerLines, ProxyHarness, sip, startLine } from './proxy-harness.fixture.js';
import { cancelOf, invite } from './sip-peers.fixture.js';

/** The caller's view of a local final response: status line and headers, To tag normalized. */
function localFinal(text: string): string[] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  return head.split('\r\n').map((l) => (l.startsWith('To:') ? l.replace(/;tag=[0-9a-z]+$/, ';tag=<edge>') : l));
}

const COMMON = [
  'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7',
  'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
  'To: <sip:bob@example.com>;tag=<edge>',
  'Call-ID: f81d4fae@10.0.0.5',
  'CSeq: 1 INVITE',
  'Server: sipmesh',
];

function suspended(config?: Record<string, unknown>): ProxyHarness {
  const h = new ProxyHarness(config ? { config } : {});
  h.receive(invite());
  h.take(); // 100 Trying
  return h;
}

describe('route deadline', () => {
  it('answers 503 with Retry-After when no answer comes within route.deadlineMs', () => {
    const h = suspended();
    h.advance(4999);
    expect(h.take()).toHaveLength(0);
    h.advance(1);
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLER);
    expect(localFinal(sent.text)).toEqual(['SIP/2.0 503 Service Unavailable', ...COMMON, 'Retry-After: 5', 'Content-Length: 0']);
    expect(h.router.forgotten).toEqual([h.router.last().tx.askId]);
    expect(h.counter('route_deadline')).toBe(1);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[503, 'router_timeout']]);
  });

  it('uses the configured deadline and reply, without Retry-After when retryAfterS is 0', () => {
    const h = suspended({ 'route.deadlineMs': 200, 'route.deadlineReply': { code: 480, reason: 'Temporarily Unavailable', retryAfterS: 0 } });
    h.advance(200);
    const text = h.takeOne().text;
    expect(startLine(text)).toBe('SIP/2.0 480 Temporarily Unavailable');
    expect(headerLines(text, 'retry-after')).toEqual([]);
  });

  it('drops an answer that comes after the deadline and counts it', () => {
    const h = suspended();
    h.advance(5000);
    h.take();
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20' }] });
    expect(h.take()).toHaveLength(0);
    expect(h.counter('route_late_answers')).toBe(1);
    expect(h.counter('branches_started')).toBe(0);
  });

  it('retransmits the 503 on Timer G until the ACK, which is absorbed (§17.2.1)', () => {
    const h = suspended();
    h.advance(5000);
    const final = h.takeOne().text;
    h.advance(500);
    expect(h.takeOne().text).toBe(final);
    const toTag = /;tag=([0-9a-z]+)\r\n/.exec(headerLine(final, 'to') + '\r\n')?.[1] ?? '';
    h.receive(
      sip([
        'ACK sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport',
        'Max-Forwards: 70',
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
        `To: <sip:bob@example.com>;tag=${toTag}`,
        'Call-ID: f81d4fae@10.0.0.5',
        'CSeq: 1 ACK',
        'Content-Length: 0',
      ]),
    );
    expect(h.counter('acks_absorbed')).toBe(1);
    h.advance(10_000);
    expect(h.take()).toHaveLength(0);
  });
});

describe('router failures', () => {
  it('answers 503 at once when nobody listens on the route subject', () => {
    const h = suspended();
    h.router.last().tx.onNoResponders();
    const final = h.takeOne().text;
    expect(localFinal(final)).toEqual(['SIP/2.0 503 Service Unavailable', ...COMMON, 'Retry-After: 5', 'Content-Length: 0']);
    expect(h.router.forgotten).toEqual([h.router.last().tx.askId]);
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['no_responders']);
    // The deadline was cancelled: only Timer G retransmissions of the same 503 follow.
    h.advance(5000);
    expect(new Set(h.take().map((d) => d.text))).toEqual(new Set([final]));
    expect(h.counter('route_deadline')).toBe(0);
    expect(h.completed).toHaveLength(1);
  });

  it('answers 500 to an invalid answer and logs the offending field', () => {
    const h = suspended();
    h.router.last().tx.onInvalidAnswer(['/result/routes/0/fr_timer: must be integer']);
    expect(localFinal(h.takeOne().text)).toEqual(['SIP/2.0 500 Server Internal Error', ...COMMON, 'Content-Length: 0']);
    expect(h.logs.find((l) => l.event === 'route_answer_invalid')?.fields['errors']).toEqual(['/result/routes/0/fr_timer: must be integer']);
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['invalid_answer']);
  });

  it('answers a JSON-RPC error with the code of its data.reply', () => {
    const h = suspended();
    h.router.last().tx.onRouterError(-32000, 'no route to carrier', { code: 404, reason: 'No Route' });
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 404 No Route');
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[404, 'router_error']]);
  });

  it('answers a JSON-RPC error without data.reply with 500', () => {
    const h = suspended();
    h.router.last().tx.onRouterError(-32603, 'internal error', undefined);
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 500 Server Internal Error');
  });
});

describe('reply instead of routes', () => {
  it('sends the reply with its headers and body, and reports outcome replied', () => {
    const h = suspended();
    h.router.answer({ reply: { code: 302, reason: 'Moved Temporarily', headers: ['Contact: <sip:bob@203.0.113.99>', 'Expires: 60'], body: 'moved', content_type: 'text/plain' }, policy: 'alias' });
    const text = h.takeOne().text;
    expect(localFinal(text)).toEqual(['SIP/2.0 302 Moved Temporarily', ...COMMON, 'Contact: <sip:bob@203.0.113.99>', 'Expires: 60', 'Content-Type: text/plain', 'Content-Length: 5']);
    expect(text.endsWith('\r\n\r\nmoved')).toBe(true);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome, c.tx.policy])).toEqual([[302, 'replied', 'alias']]);
  });

  it('sends a 2xx reply to a non-INVITE', () => {
    const h = new ProxyHarness();
    h.receive(
      sip([
        'OPTIONS sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKo1',
        'Max-Forwards: 70',
        'From: <sip:alice@example.com>;tag=o1',
        'To: <sip:bob@example.com>',
        'Call-ID: o1@10.0.0.5',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
      ]),
    );
    h.router.answer({ reply: { code: 200, reason: 'OK', headers: ['Allow: INVITE, ACK, CANCEL, BYE, OPTIONS'] } });
    const text = h.takeOne().text;
    expect(startLine(text)).toBe('SIP/2.0 200 OK');
    // No rport in the request: received only, because the host differs from the source (§18.2.1).
    expect(headerLines(text, 'via')).toEqual(['Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKo1;rport=5062;received=198.51.100.7']);
    expect(headerLines(text, 'allow')).toEqual(['Allow: INVITE, ACK, CANCEL, BYE, OPTIONS']);
  });
});

describe('CANCEL while suspended', () => {
  it('answers 200 to the CANCEL and 487 to the INVITE, then ignores the answer', () => {
    const h = suspended();
    h.receive(cancelOf());
    const [ok, terminated] = h.take();
    expect(ok?.dest).toEqual(CALLER);
    expect(localFinal(ok?.text ?? '')).toEqual([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7',
      'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
      'To: <sip:bob@example.com>;tag=<edge>',
      'Call-ID: f81d4fae@10.0.0.5',
      'CSeq: 1 CANCEL',
      'Server: sipmesh',
      'Content-Length: 0',
    ]);
    expect(localFinal(terminated?.text ?? '')).toEqual(['SIP/2.0 487 Request Terminated', ...COMMON, 'Content-Length: 0']);
    expect(h.router.forgotten).toEqual([h.router.last().tx.askId]);
    expect(h.counter('route_cancelled_while_suspended')).toBe(1);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20' }] });
    expect(h.take()).toHaveLength(0);
    expect(h.counter('route_late_answers')).toBe(1);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[487, 'cancelled']]);
  });

  it('answers a retransmitted CANCEL with the same 200', () => {
    const h = suspended();
    h.receive(cancelOf());
    const first = h.take()[0]?.text;
    h.receive(cancelOf());
    expect(h.takeOne().text).toBe(first);
  });
});
