/**
 * Media anchoring inside an anchored dialog (transaction-media.ts, edge-media.ts): our Route
 * entry's `mc` parameter (the caller's tag) marks the call, with or without the edge's memory; a
 * re-INVITE with SDP is offered with the side of whoever sends it and its 2xx answered with the
 * other side; a BYE from either side deletes the call once relayed; a late offer (INVITE without
 * SDP) is offered from the 2xx and answered from the ACK; the dialog timeout deletes the call.
 */
import { describe, expect, it } from 'vitest';
import { FakeMediaClient, flushMedia, rewrittenSdp } from '../media/fake-media-client.fixture.js';
import { bodyOf, CALLEE_A, CALLER, headerLines, ProxyHarness, sip, startLine } from './proxy-harness.fixture.js';
import { invite, responseTo, SDP } from './sip-peers.fixture.js';

const MEDIA = { offer: 'replace-origin ICE=remove', answer: 'ICE=remove' };
const ROUTE = 'Route: <sip:192.0.2.10;lr;mc=a73kszlfl>';
const CALLEE_SDP = 'v=0\r\no=bob 1 1 IN IP4 203.0.113.20\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

function setup(options: { calls?: boolean } = {}): { h: ProxyHarness; media: FakeMediaClient } {
  const media = new FakeMediaClient();
  return { h: new ProxyHarness({ media, ...options }), media };
}

/** A request inside the dialog, from the caller (From tag a73kszlfl) or the callee (From tag b5x9). */
/** An anchored INVITE routed to the callee and answered 200 with its SDP (offer and answer made). */
async function answeredCall(h: ProxyHarness): Promise<void> {
  h.receive(invite());
  h.take();
  h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], media: MEDIA });
  await flushMedia();
  const fw = h.takeOne();
  h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
  await flushMedia();
}

function inDialog(method: string, from: 'caller' | 'callee', o: { body?: string; cseq?: number; branch?: string; routes?: readonly string[] } = {}): Buffer {
  const caller = '"Alice" <sip:alice@example.com>;tag=a73kszlfl';
  const callee = '<sip:bob@example.com>;tag=b5x9';
  const body = o.body ?? '';
  return sip(
    [
      from === 'caller' ? `${method} sip:bob@203.0.113.20:5060 SIP/2.0` : `${method} sip:alice@198.51.100.7:5062 SIP/2.0`,
      `Via: SIP/2.0/UDP ${from === 'caller' ? '10.0.0.5:5062' : '203.0.113.20:5060'};branch=${o.branch ?? `z9hG4bK${method.toLowerCase()}${from}`};rport`,
      ...(o.routes ?? [ROUTE]),
      'Max-Forwards: 70',
      `From: ${from === 'caller' ? caller : callee}`,
      `To: ${from === 'caller' ? callee : caller}`,
      'Call-ID: f81d4fae@10.0.0.5',
      `CSeq: ${String(o.cseq ?? 2)} ${method === 'ACK' ? 'ACK' : method}`,
      ...(body !== '' ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${String(Buffer.byteLength(body))}`,
    ],
    body,
  );
}

/** The caller's INVITE without SDP (late offer). */
function inviteWithoutSdp(): Buffer {
  return sip([
    'INVITE sip:bob@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKlate1;rport',
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:bob@example.com>',
    'Call-ID: f81d4fae@10.0.0.5',
    'CSeq: 1 INVITE',
    'Contact: <sip:alice@10.0.0.5:5062>',
    'Content-Length: 0',
  ]);
}

describe('media anchoring inside a dialog', () => {
  it('deletes the call on a BYE from either side, after relaying it at once', async () => {
    for (const from of ['caller', 'callee'] as const) {
      const { h, media } = setup();
      media.auto = undefined;
      h.receive(inDialog('BYE', from), from === 'caller' ? CALLER : CALLEE_A);
      const fw = h.takeOne();
      expect(startLine(fw.text)).toMatch(/^BYE /);
      expect(media.commands.map((c) => [c.method, c.params])).toEqual([['delete', { call_id: 'f81d4fae@10.0.0.5', from_tag: 'a73kszlfl', reason: 'bye' }]]);
      // a failed delete is only logged
      media.reply(0, { ok: false, failure: 'unavailable', message: 'no responders' });
      await flushMedia();
      expect(h.logs.map((l) => l.event)).toContain('media_delete_failed');
    }
  });

  it('does nothing for in-dialog requests of a call that is not anchored (no mc on our Route entry)', () => {
    const { h, media } = setup();
    h.receive(inDialog('INVITE', 'caller', { body: SDP, routes: ['Route: <sip:192.0.2.10;lr>'] }));
    h.take();
    h.receive(inDialog('BYE', 'caller', { cseq: 3, routes: ['Route: <sip:192.0.2.10;lr>'] }));
    h.take();
    expect(media.commands).toEqual([]);
  });

  it('offers a re-INVITE of the caller with side caller and answers its 200 with side callee', async () => {
    const { h, media } = setup();
    h.receive(inDialog('INVITE', 'caller', { body: SDP }));
    await flushMedia();
    const sent = h.take();
    const fw = sent.find((d) => startLine(d.text).startsWith('INVITE'));
    if (!fw) throw new Error('re-INVITE not relayed');
    expect(bodyOf(fw.text)).toBe(rewrittenSdp(SDP, 30000));
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    expect(bodyOf(h.takeOne().text)).toBe(rewrittenSdp(CALLEE_SDP, 40000));
    expect(media.summary()).toEqual([
      { method: 'offer', to_tag: 'b5x9', side: 'caller' },
      { method: 'answer', to_tag: 'b5x9', side: 'callee' },
    ]);
    // no flags: this edge never saw the call's route answer (as after a restart)
    expect(media.commands[0]?.params.flags).toBeUndefined();
  });

  it('offers a re-INVITE of the callee with side callee (from_tag still the caller) and answers its 200 with side caller', async () => {
    const { h, media } = setup();
    h.receive(inDialog('INVITE', 'callee', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    const fw = h.take().find((d) => startLine(d.text).startsWith('INVITE'));
    if (!fw) throw new Error('re-INVITE not relayed');
    expect(fw.dest).toEqual(CALLER);
    expect(bodyOf(fw.text)).toBe(rewrittenSdp(CALLEE_SDP, 30000));
    h.receive(responseTo(fw.text, 200, 'OK', { body: SDP, toTag: '' }), CALLER);
    await flushMedia();
    expect(bodyOf(h.takeOne().text)).toBe(rewrittenSdp(SDP, 40000));
    expect(media.commands.map((c) => [c.method, c.params.from_tag, c.params.to_tag, c.params.side, c.params.received_from])).toEqual([
      ['offer', 'a73kszlfl', 'b5x9', 'callee', CALLEE_A.ip],
      ['answer', 'a73kszlfl', 'b5x9', 'caller', CALLER.ip],
    ]);
  });

  it("uses the call's flags from memory while the call lasts, and none once its BYE dropped them", async () => {
    const { h, media } = setup();
    await answeredCall(h);
    h.take();
    h.receive(inDialog('INVITE', 'callee', { body: CALLEE_SDP, cseq: 1 }), CALLEE_A);
    await flushMedia();
    const re = h.take().find((d) => startLine(d.text).startsWith('INVITE'));
    if (!re) throw new Error('re-INVITE not relayed');
    h.receive(responseTo(re.text, 200, 'OK', { body: SDP, toTag: '' }), CALLER);
    await flushMedia();
    h.take();
    h.receive(inDialog('BYE', 'caller', { cseq: 3 }));
    await flushMedia();
    h.take();
    h.receive(inDialog('INVITE', 'caller', { body: SDP, cseq: 4, branch: 'z9hG4bKafter' }));
    await flushMedia();
    expect(media.summary()).toEqual([
      { method: 'offer', side: 'caller', flags: MEDIA.offer },
      { method: 'answer', to_tag: 'b5x9', side: 'callee', flags: MEDIA.answer },
      { method: 'offer', to_tag: 'b5x9', side: 'callee', flags: MEDIA.offer },
      { method: 'answer', to_tag: 'b5x9', side: 'caller', flags: MEDIA.answer },
      { method: 'delete', reason: 'bye' },
      { method: 'offer', to_tag: 'b5x9', side: 'caller' },
    ]);
  });

  it('late offer: relays the INVITE without SDP at once, offers the 200 SDP (side callee), answers the ACK SDP (side caller)', async () => {
    const { h, media } = setup();
    h.receive(inviteWithoutSdp());
    h.take();
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], media: MEDIA });
    const fw = h.takeOne();
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr;mc=a73kszlfl>']);
    expect(media.commands).toEqual([]);
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    const ok = h.takeOne();
    expect(bodyOf(ok.text)).toBe(rewrittenSdp(CALLEE_SDP, 30000));
    h.receive(inDialog('ACK', 'caller', { body: SDP, cseq: 1 }));
    await flushMedia();
    const ack = h.takeOne();
    expect(startLine(ack.text)).toBe('ACK sip:bob@203.0.113.20:5060 SIP/2.0');
    expect(ack.dest).toEqual(CALLEE_A);
    expect(bodyOf(ack.text)).toBe(rewrittenSdp(SDP, 40000));
    expect(media.commands.map((c) => [c.method, c.params.from_tag, c.params.to_tag, c.params.side, c.params.flags])).toEqual([
      ['offer', 'a73kszlfl', 'b5x9', 'callee', MEDIA.offer],
      ['answer', 'a73kszlfl', 'b5x9', 'caller', MEDIA.answer],
    ]);
  });

  it('relays an ACK without SDP of an anchored call unchanged and at once', () => {
    const { h, media } = setup();
    h.receive(inDialog('ACK', 'caller', { cseq: 1 }));
    expect(startLine(h.takeOne().text)).toBe('ACK sip:bob@203.0.113.20:5060 SIP/2.0');
    expect(media.commands).toEqual([]);
  });

  it("deletes an answered call's media when the dialog timeout ends it", async () => {
    const { h, media } = setup({ calls: true });
    await answeredCall(h);
    h.advance(h.config.dialogs.maxDurationS * 1000 + 1000);
    h.calls?.sweep();
    await flushMedia();
    const del = media.commands.at(-1);
    expect(del?.method).toBe('delete');
    expect(del?.params).toMatchObject({ call_id: 'f81d4fae@10.0.0.5', from_tag: 'a73kszlfl', reason: 'timeout' });
    expect(del?.params.dialog_id).toMatch(/^[0-9a-f]{20}$/);
    expect(h.media?.sessions.size).toBe(0);
  });
});
