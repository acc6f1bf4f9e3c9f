/**
 * Calls tracked at the edge (dialog-tracker.ts): the dialog events of answered, busy, cancelled
 * and refused calls, BYE from either side, the call id on Record-Route, a BYE after a restart, the
 * dialog timeout and the edge stopping. Every event is checked against the contract schema.
 */
import { createValidators, dialogId, type DialogEvent } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, headerLines, ProxyHarness, relay, sip } from '../proxy/proxy-harness.fixture.js';
import { cancelOf, invite, responseTo } from '../proxy/sip-peers.fixture.js';

const validators = createValidators();
const CALL_ID = 'f81d4fae@10.0.0.5';
const DID = dialogId(CALL_ID, 'a73kszlfl', 1);

function bye(o: { route: string; fromCallee?: boolean; cseq?: number }): Buffer {
  const alice = '"Alice" <sip:alice@example.com>;tag=a73kszlfl';
  const bob = '<sip:bob@example.com>;tag=b5x9';
  return sip([
    o.fromCallee ? 'BYE sip:alice@10.0.0.5:5062 SIP/2.0' : 'BYE sip:bob@203.0.113.20:5060 SIP/2.0',
    o.fromCallee ? 'Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKbyeB;rport' : 'Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKbye7;rport',
    `Route: ${o.route}`,
    'Max-Forwards: 70',
    `From: ${o.fromCallee ? bob : alice}`,
    `To: ${o.fromCallee ? alice : bob}`,
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${String(o.cseq ?? 2)} BYE`,
    'Content-Length: 0',
  ]);
}

function valid(events: readonly DialogEvent[]): void {
  for (const e of events) {
    const v = validators.dialog(e);
    expect(v.ok ? [] : v.errors).toEqual([]);
  }
}

/** An answered call: INVITE relayed, 200 forwarded; returns the harness and the Record-Route the callee saw. */
function answeredCall(h = new ProxyHarness({ calls: true })): { h: ProxyHarness; route: string } {
  const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@203.0.113.20', dst_uri: 'sip:203.0.113.20:5060' }], policy: 'pbx', acc: { flags: ['acc'] } });
  const rr = headerLines(fw.text, 'record-route')[0] ?? '';
  h.advance(2000); // ringing
  h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
  h.take();
  return { h, route: rr.replace(/^Record-Route:\s*/i, '') };
}

describe('calls tracked at the edge', () => {
  it('names the call on its Record-Route entry and publishes started, answered and ended for a call the caller hangs up', () => {
    const { h, route } = answeredCall();
    expect(route).toBe(`<sip:192.0.2.10;lr;acc=a;did=${DID}>`);
    h.advance(5250);
    h.receive(bye({ route }), CALLER);
    h.receive(responseTo(h.takeOne().text, 200, 'OK'), CALLEE_A);

    const events = h.dialogEvents;
    valid(events);
    expect(events.map((e) => [e.type, e.event_id])).toEqual([
      ['dialog.started', `${DID}.started`],
      ['dialog.answered', `${DID}.answered`],
      ['dialog.ended', `${DID}.ended`],
    ]);
    const [started, answered, ended] = events as [DialogEvent, DialogEvent, DialogEvent];
    expect(started).toMatchObject({ edge: 'edge1', dialog_id: DID, call_id: CALL_ID, from_tag: 'a73kszlfl', from: { user: 'alice', host: 'example.com' }, ruri: 'sip:bob@example.com', source: { ip: '198.51.100.7', port: 5062, transport: 'udp' }, policy: 'pbx', acc: { flags: ['acc'] } });
    expect(answered).toMatchObject({ to_tag: 'b5x9', sip_code: 200, answered_ruri: 'sip:bob@203.0.113.20', dst_uri: 'sip:203.0.113.20:5060' });
    expect(Date.parse(answered.answered_at ?? '') - Date.parse(started.started_at ?? '')).toBe(2000);
    expect(ended).toMatchObject({ disposition: 'answered', hangup: 'caller', duration_ms: 5250, bye_code: 200, sip_code: 200, to_tag: 'b5x9', started_at: started.started_at, answered_at: answered.answered_at });
    expect(h.calls?.size).toBe(0);
  });

  it('knows the callee hung up when the BYE comes from the callee', () => {
    const { h, route } = answeredCall();
    h.advance(1000);
    h.receive(bye({ route, fromCallee: true }), CALLEE_A);
    h.receive(responseTo(h.takeOne().text, 200, 'OK'), CALLER);
    expect(h.dialogEvents.at(-1)).toMatchObject({ type: 'dialog.ended', hangup: 'callee', disposition: 'answered', duration_ms: 1000 });
  });

  it('ends a busy call with the callee refusing it, and a cancelled one with the caller', () => {
    const h = new ProxyHarness({ calls: true });
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    expect(h.dialogEvents.map((e) => e.type)).toEqual(['dialog.started', 'dialog.ended']);
    expect(h.dialogEvents[1]).toMatchObject({ disposition: 'busy', hangup: 'callee', sip_code: 486, sip_reason: 'Busy Here', duration_ms: 0 });

    const h2 = new ProxyHarness({ calls: true });
    const fw2 = relay(h2, invite());
    h2.receive(responseTo(fw2.text, 180, 'Ringing'), CALLEE_A);
    h2.receive(cancelOf(), CALLER);
    const cancel = h2.take().find((d) => d.text.startsWith('CANCEL'));
    expect(cancel).toBeDefined();
    h2.receive(responseTo(fw2.text, 487, 'Request Terminated'), CALLEE_A);
    valid(h2.dialogEvents);
    expect(h2.dialogEvents.at(-1)).toMatchObject({ type: 'dialog.ended', disposition: 'cancelled', hangup: 'caller', sip_code: 487 });
    expect(h2.dialogEvents.some((e) => e.type === 'dialog.answered')).toBe(false);
  });

  it('gives a call the router refused one ended event, and none for an authentication challenge', () => {
    const h = new ProxyHarness({ calls: true });
    h.receive(invite());
    h.router.answer({ reply: { code: 404, reason: 'Not Found' } });
    valid(h.dialogEvents);
    expect(h.dialogEvents).toHaveLength(1);
    expect(h.dialogEvents[0]).toMatchObject({ type: 'dialog.ended', dialog_id: DID, disposition: 'failed', hangup: 'proxy', sip_code: 404, duration_ms: 0 });

    const h2 = new ProxyHarness({ calls: true });
    h2.receive(invite());
    h2.router.answer({ reply: { code: 407, reason: 'Proxy Authentication Required' } });
    expect(h2.dialogEvents).toEqual([]);
  });

  it('still ends a call whose BYE reaches an edge that forgot it (restarted): recovered', () => {
    const h = new ProxyHarness({ calls: true });
    h.receive(bye({ route: `<sip:192.0.2.10;lr;did=${DID}>` }), CALLER);
    h.receive(responseTo(h.takeOne().text, 200, 'OK'), CALLEE_A);
    valid(h.dialogEvents);
    expect(h.dialogEvents).toEqual([expect.objectContaining({ type: 'dialog.ended', event_id: `${DID}.recovered`, dialog_id: DID, recovered: true, bye_code: 200, bye_from_tag: 'a73kszlfl' })]);
  });

  it('ignores a did that is not a dialog id, and tracks nothing without call tracking', () => {
    const h = new ProxyHarness({ calls: true });
    h.receive(bye({ route: '<sip:192.0.2.10;lr;did=x;drop%20table>' }), CALLER);
    h.receive(responseTo(h.takeOne().text, 200, 'OK'), CALLEE_A);
    expect(h.dialogEvents).toEqual([]);

    const h2 = new ProxyHarness();
    const fw = relay(h2, invite());
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
  });

  it('ends a call with no BYE at the maximum duration after its answer, and every open call when the edge stops', () => {
    const { h } = answeredCall(new ProxyHarness({ calls: true, config: { 'dialogs.maxDurationS': 60 } }));
    h.advance(59_000);
    h.calls?.sweep();
    expect(h.dialogEvents.map((e) => e.type)).toEqual(['dialog.started', 'dialog.answered']);
    h.advance(1000);
    h.calls?.sweep();
    expect(h.dialogEvents.at(-1)).toMatchObject({ type: 'dialog.ended', hangup: 'timeout', disposition: 'answered', duration_ms: 60_000 });

    const { h: h2 } = answeredCall();
    const ringing = relay(h2, invite({ callId: 'second@10.0.0.5', branch: 'z9hG4bKcaller2' }));
    expect(ringing.text).toContain('INVITE');
    h2.advance(3000);
    h2.calls?.stop();
    valid(h2.dialogEvents);
    const ended = h2.dialogEvents.filter((e) => e.type === 'dialog.ended');
    expect(ended.map((e) => [e.call_id, e.disposition, e.hangup, e.event_id.endsWith('.stopped')])).toEqual([
      [CALL_ID, 'answered', 'edge-stopped', true],
      ['second@10.0.0.5', 'unfinished', 'edge-stopped', true],
    ]);
    expect(h2.calls?.size).toBe(0);
  });
});
