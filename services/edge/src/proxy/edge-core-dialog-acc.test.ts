/**
 * Accounting flags for a whole dialog (dialog-acc.ts): the INVITE's flags ride on the edge's
 * Record-Route entry and come back on the BYE, whose transaction is then accounted like the
 * INVITE's; the final response's To tag and the answering branch's Request-URI go with every
 * completed transaction (what Kamailio's acc rows hold).
 */
import { describe, expect, it } from 'vitest';
import { parseUri } from '../parser/sip-uri.js';
import { CALLEE_A, CALLER, headerLines, ProxyHarness, relay, sip } from './proxy-harness.fixture.js';
import { accRecordRouteParam, readAccFlags } from './dialog-acc.js';
import { invite, responseTo } from './sip-peers.fixture.js';

function bye(routes: readonly string[]): Buffer {
  return sip([
    'BYE sip:bob@203.0.113.20:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKbye7;rport',
    ...routes,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:bob@example.com>;tag=b5x9',
    'Call-ID: f81d4fae@10.0.0.5',
    'CSeq: 2 BYE',
    'Content-Length: 0',
  ]);
}

describe('accounting flags of a dialog', () => {
  it('records the INVITE flags on the Record-Route entry and gives them to the BYE that comes back through it', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], acc: { flags: ['failed', 'acc'], extra: { tenant: 't1' } } });
    const rr = headerLines(fw.text, 'record-route');
    expect(rr).toEqual(['Record-Route: <sip:192.0.2.10;lr;acc=af>']);
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    h.take();
    expect(h.completed[0]?.tx).toMatchObject({ status: 200, acc: { flags: ['failed', 'acc'] }, toTag: 'b5x9', finalRuri: 'sip:bob@example.com' });

    h.receive(bye(['Route: <sip:192.0.2.10;lr;acc=af>']), CALLER);
    const fwBye = h.takeOne();
    expect(headerLines(fwBye.text, 'route')).toEqual([]);
    h.receive(responseTo(fwBye.text, 200, 'OK'), CALLEE_A);
    expect(h.completed.map((c) => [c.method, c.tx.status, c.tx.acc?.flags, c.tx.toTag])).toEqual([
      ['INVITE', 200, ['failed', 'acc'], 'b5x9'],
      ['BYE', 200, ['acc', 'failed'], 'b5x9'],
    ]);
    // the router was asked once, for the INVITE
    expect(h.router.asks).toHaveLength(1);
  });

  it('leaves Record-Route and in-dialog requests without flags when the route answer has none', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
    h.receive(bye(['Route: <sip:192.0.2.10;lr>']), CALLER);
    h.receive(responseTo(h.takeOne().text, 200, 'OK'), CALLEE_A);
    expect(h.completed.find((c) => c.method === 'BYE')?.tx.acc).toBeUndefined();
  });

  it('gives the edge its own To tag and no branch URI for a reply it made', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    h.take();
    h.router.answer({ reply: { code: 486, reason: 'Busy Here' }, acc: { flags: ['missed'] } });
    const sent = h.take().map((d) => d.text).find((t) => t.startsWith('SIP/2.0 486')) ?? '';
    const tag = /^To:.*;tag=([^;\r]+)/m.exec(sent)?.[1];
    expect(tag).toBeDefined();
    expect(h.completed[0]?.tx).toMatchObject({ status: 486, toTag: tag, finalRuri: undefined, acc: { flags: ['missed'] } });
  });

  it('writes and reads the parameter: letters in order, unknown letters ignored', () => {
    expect(accRecordRouteParam({ flags: ['missed', 'acc', 'acc'] })).toBe(';acc=am');
    expect(accRecordRouteParam({ flags: [] })).toBe('');
    expect(accRecordRouteParam(undefined)).toBe('');
    const params = (uri: string): ReadonlyMap<string, string | null> => parseUri(uri)?.params ?? new Map();
    expect(readAccFlags(params('sip:192.0.2.10;lr;acc=afm'))).toEqual(['acc', 'failed', 'missed']);
    expect(readAccFlags(params('sip:192.0.2.10;lr;acc=xz'))).toBeUndefined();
    expect(readAccFlags(params('sip:192.0.2.10;lr;acc'))).toBeUndefined();
    expect(readAccFlags(params('sip:192.0.2.10;lr'))).toBeUndefined();
  });
});
