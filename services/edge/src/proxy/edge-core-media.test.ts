/**
 * Media anchoring of an initial INVITE (transaction-media.ts, the book §8.14.3): the caller's SDP
 * offered to media-control before any branch starts and relayed rewritten to every branch; the
 * SDP of 18x/2xx answered and relayed rewritten upstream, in the order the responses came, once
 * per to-tag and SDP; the call's media deleted when the INVITE fails or is CANCELled (also while
 * the offer is in flight); what media.onUnavailable does when the offer cannot be made.
 */
import { describe, expect, it } from 'vitest';
import { FakeMediaClient, flushMedia, rewrittenSdp } from '../media/fake-media-client.fixture.js';
import { bodyOf, CALLEE_A, CALLEE_B, CALLER, headerLine, headerLines, ProxyHarness, startLine, type SentDatagram } from './proxy-harness.fixture.js';
import { cancelOf, invite, responseTo, SDP } from './sip-peers.fixture.js';

const MEDIA = { offer: 'replace-origin replace-session-connection ICE=remove', answer: 'replace-origin ICE=remove', set: 'carrier' };
const ROUTE_A = { dst_uri: 'sip:203.0.113.20:5060' };
const ROUTE_B = { dst_uri: 'sip:203.0.113.21:5060' };

/** The callee's SDP answer. */
const CALLEE_SDP = 'v=0\r\no=bob 1 1 IN IP4 203.0.113.20\r\ns=-\r\nc=IN IP4 203.0.113.20\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const OFFERED = rewrittenSdp(SDP, 30000);
const ANSWERED = rewrittenSdp(CALLEE_SDP, 40000);

function setup(config: Record<string, unknown> = {}): { h: ProxyHarness; media: FakeMediaClient } {
  const media = new FakeMediaClient();
  return { h: new ProxyHarness({ media, config }), media };
}

/** INVITE in, route answer with `media` (and the given routes), the offer answered; the INVITEs the edge relayed. */
async function anchored(h: ProxyHarness, routes: object[] = [ROUTE_A], extra: object = {}): Promise<SentDatagram[]> {
  h.receive(invite());
  h.take();
  h.router.answer({ routes, media: MEDIA, ...extra });
  await flushMedia();
  return h.take();
}

function contentLength(text: string): number {
  return Number(headerLine(text, 'content-length').split(':')[1]);
}

describe('media anchoring of an initial INVITE', () => {
  it('offers the caller SDP before any branch starts, then relays the rewritten SDP to every branch', async () => {
    const { h, media } = setup();
    media.auto = undefined;
    h.receive(invite());
    h.take();
    h.router.answer({ routing: 'parallel', routes: [ROUTE_A, ROUTE_B], media: MEDIA });
    await flushMedia();
    expect(h.take()).toEqual([]);
    expect(media.commands.map((c) => [c.method, c.params])).toEqual([
      ['offer', { call_id: 'f81d4fae@10.0.0.5', from_tag: 'a73kszlfl', side: 'caller', sdp: SDP, received_from: CALLER.ip, flags: MEDIA.offer, set: 'carrier' }],
    ]);
    media.reply(0, { ok: true, sdp: OFFERED, deleted: undefined });
    await flushMedia();
    const sent = h.take();
    expect(sent.map((d) => d.dest)).toEqual([CALLEE_A, CALLEE_B]);
    for (const d of sent) {
      expect(bodyOf(d.text)).toBe(OFFERED);
      expect(contentLength(d.text)).toBe(Buffer.byteLength(OFFERED));
      // anchored: our Record-Route entry names the caller's tag, for the dialog's requests
      expect(headerLines(d.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr;mc=a73kszlfl>']);
    }
  });

  it('rewrites the SDP of a 183 and a 200 (answer, side callee, the callee to-tag) and asks once for the same SDP', async () => {
    const { h, media } = setup();
    const [fw] = await anchored(h);
    if (!fw) throw new Error('no INVITE relayed');
    h.receive(responseTo(fw.text, 183, 'Session Progress', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    const early = h.takeOne();
    expect(startLine(early.text)).toBe('SIP/2.0 183 Session Progress');
    expect(bodyOf(early.text)).toBe(ANSWERED);
    expect(contentLength(early.text)).toBe(Buffer.byteLength(ANSWERED));
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    const ok = h.takeOne();
    expect(startLine(ok.text)).toBe('SIP/2.0 200 OK');
    expect(bodyOf(ok.text)).toBe(ANSWERED);
    expect(media.summary()).toEqual([
      { method: 'offer', side: 'caller', flags: MEDIA.offer },
      { method: 'answer', to_tag: 'b5x9', side: 'callee', flags: MEDIA.answer },
    ]);
    expect(media.commands[1]?.params).toMatchObject({ from_tag: 'a73kszlfl', sdp: CALLEE_SDP, received_from: CALLEE_A.ip });
  });

  it('keeps the order of responses: a 180 after a 183 waits for the 183 answer', async () => {
    const { h, media } = setup();
    const [fw] = await anchored(h);
    if (!fw) throw new Error('no INVITE relayed');
    media.auto = undefined;
    h.receive(responseTo(fw.text, 183, 'Session Progress', { body: CALLEE_SDP }), CALLEE_A);
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    await flushMedia();
    expect(h.take()).toEqual([]);
    media.reply(1, { ok: true, sdp: ANSWERED, deleted: undefined });
    await flushMedia();
    expect(h.take().map((d) => [startLine(d.text), bodyOf(d.text)])).toEqual([
      ['SIP/2.0 183 Session Progress', ANSWERED],
      ['SIP/2.0 180 Ringing', ''],
    ]);
  });

  it('relays a retransmitted 200 with the rewritten SDP without asking again', async () => {
    const { h, media } = setup();
    const [fw] = await anchored(h);
    if (!fw) throw new Error('no INVITE relayed');
    const ok = responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP });
    h.receive(ok, CALLEE_A);
    await flushMedia();
    expect(bodyOf(h.takeOne().text)).toBe(ANSWERED);
    h.receive(ok, CALLEE_A);
    await flushMedia();
    const again = h.takeOne();
    expect(startLine(again.text)).toBe('SIP/2.0 200 OK');
    expect(bodyOf(again.text)).toBe(ANSWERED);
    expect(media.commands.map((c) => c.method)).toEqual(['offer', 'answer']);
  });

  it('answers a CANCEL while the offer is in flight with 487 at once, and deletes the call when the offer comes back', async () => {
    const { h, media } = setup();
    media.auto = undefined;
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [ROUTE_A], media: MEDIA });
    h.receive(cancelOf());
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
    media.auto = (method) => (method === 'delete' ? { ok: true, sdp: undefined, deleted: true } : undefined);
    media.reply(0, { ok: true, sdp: OFFERED, deleted: undefined });
    await flushMedia();
    // nothing goes to the callee
    expect(h.take()).toEqual([]);
    expect(media.summary().map((c) => [c.method, c.reason])).toEqual([
      ['offer', undefined],
      ['delete', 'cancel'],
    ]);
    expect(media.commands[1]?.params).toEqual({ call_id: 'f81d4fae@10.0.0.5', from_tag: 'a73kszlfl', reason: 'cancel' });
  });

  it('deletes the call when the callee is busy (486 relayed)', async () => {
    const { h, media } = setup();
    const [fw] = await anchored(h);
    if (!fw) throw new Error('no INVITE relayed');
    h.receive(responseTo(fw.text, 486, 'Busy Here'), CALLEE_A);
    await flushMedia();
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 486 Busy Here', 'ACK sip:bob@example.com SIP/2.0']);
    expect(media.summary()).toEqual([
      { method: 'offer', side: 'caller', flags: MEDIA.offer },
      { method: 'delete', reason: 'failure' },
    ]);
    expect(media.commands[1]?.params.to_tag).toBeUndefined();
  });

  it('deletes the call when every branch fails (timeout, CANCELled caller after a 183 with SDP)', async () => {
    const { h, media } = setup();
    await anchored(h, [ROUTE_A]);
    // no answer at all: fr_timer, 408 made here
    h.advance(h.config.timers.frTimerMs + 10);
    await flushMedia();
    expect(h.take().map((d) => startLine(d.text))).toContain('SIP/2.0 408 Request Timeout');
    expect(media.summary().map((c) => [c.method, c.reason])).toEqual([
      ['offer', undefined],
      ['delete', 'failure'],
    ]);

    const second = setup();
    const [fw] = await anchored(second.h);
    if (!fw) throw new Error('no INVITE relayed');
    second.h.receive(responseTo(fw.text, 183, 'Session Progress', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    second.h.receive(cancelOf());
    second.h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    await flushMedia();
    expect(second.h.take().map((d) => startLine(d.text))).toContain('SIP/2.0 487 Request Terminated');
    expect(second.media.summary().map((c) => [c.method, c.reason])).toEqual([
      ['offer', undefined],
      ['answer', undefined],
      ['delete', 'cancel'],
    ]);
  });

  it('deletes the branch of a callee whose 183 had SDP when another callee answers', async () => {
    const { h, media } = setup();
    const sent = await anchored(h, [ROUTE_A, ROUTE_B], { routing: 'parallel' });
    const a = sent.find((d) => d.dest.ip === CALLEE_A.ip);
    const b = sent.find((d) => d.dest.ip === CALLEE_B.ip);
    if (!a || !b) throw new Error('expected two INVITEs');
    h.receive(responseTo(b.text, 183, 'Session Progress', { toTag: 'tb', body: CALLEE_SDP }), CALLEE_B);
    h.receive(responseTo(a.text, 200, 'OK', { toTag: 'ta', body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    expect(media.summary()).toEqual([
      { method: 'offer', side: 'caller', flags: MEDIA.offer },
      { method: 'answer', to_tag: 'tb', side: 'callee', flags: MEDIA.answer },
      { method: 'answer', to_tag: 'ta', side: 'callee', flags: MEDIA.answer },
      { method: 'delete', to_tag: 'tb', reason: 'cancel' },
    ]);
  });

  it('onUnavailable fail (default): an offer media-control cannot make answers 503 Service Unavailable', async () => {
    const { h, media } = setup();
    media.auto = (method) => (method === 'offer' ? { ok: false, failure: 'unavailable', message: 'no rtpengine of set "carrier" is up' } : undefined);
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [ROUTE_A], media: MEDIA });
    await flushMedia();
    expect(h.take().map((d) => [d.dest, startLine(d.text)])).toEqual([[CALLER, 'SIP/2.0 503 Service Unavailable']]);
    expect(h.logs.find((l) => l.event === 'media_offer_refused')?.fields).toMatchObject({ status: 503, failure: 'unavailable' });
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[503, 'local_error']]);
  });

  it('onUnavailable fail: a timed-out offer answers 503 and is deleted in case it landed late', async () => {
    const { h, media } = setup();
    media.auto = (method) => (method === 'offer' ? { ok: false, failure: 'timeout', message: 'no answer in 2000 ms' } : { ok: true, sdp: undefined, deleted: false });
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [ROUTE_A], media: MEDIA });
    await flushMedia();
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 503 Service Unavailable']);
    expect(media.summary().map((c) => [c.method, c.reason])).toEqual([
      ['offer', undefined],
      ['delete', 'failure'],
    ]);
  });

  it('onUnavailable pass: relays the SDP unchanged, counts it, and does not anchor the call', async () => {
    const { h, media } = setup({ 'media.onUnavailable': 'pass' });
    media.auto = (method) => (method === 'offer' ? { ok: false, failure: 'unavailable', message: 'no responders' } : undefined);
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [ROUTE_A], media: MEDIA });
    await flushMedia();
    const fw = h.takeOne();
    expect(bodyOf(fw.text)).toBe(SDP);
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
    expect(h.counter('media_bypassed')).toBe(1);
    expect(h.logs.map((l) => [l.event, l.level])).toContainEqual(['media_bypassed', 'warn']);
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    expect(bodyOf(h.takeOne().text)).toBe(CALLEE_SDP);
    expect(media.commands.map((c) => c.method)).toEqual(['offer']);
  });

  it('answers 488 Not Acceptable Here when rtpengine refuses the SDP, in both modes', async () => {
    for (const mode of ['fail', 'pass']) {
      const { h, media } = setup({ 'media.onUnavailable': mode });
      media.auto = () => ({ ok: false, failure: 'rejected', message: "rtpengine 127.0.0.1:2223 refused 'offer': Failed to parse SDP" });
      h.receive(invite());
      h.take();
      h.router.answer({ routes: [ROUTE_A], media: MEDIA });
      await flushMedia();
      expect(h.take().map((d) => startLine(d.text)), mode).toEqual(['SIP/2.0 488 Not Acceptable Here']);
      expect(h.counter('media_bypassed')).toBe(0);
    }
  });

  it('relays an answer media-control cannot rewrite unchanged, logged as an error in fail mode', async () => {
    const { h, media } = setup();
    const [fw] = await anchored(h);
    if (!fw) throw new Error('no INVITE relayed');
    media.auto = () => ({ ok: false, failure: 'timeout', message: 'no answer in 2000 ms' });
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    await flushMedia();
    expect(bodyOf(h.takeOne().text)).toBe(CALLEE_SDP);
    expect(h.counter('media_answer_failures')).toBe(1);
    expect(h.logs.map((l) => [l.event, l.level])).toContainEqual(['media_answer_failed', 'error']);
  });

  it('leaves calls alone whose route answer has no media, and every call when media.enabled is false', async () => {
    const { h, media } = setup();
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [ROUTE_A] });
    const fw = h.takeOne();
    expect(bodyOf(fw.text)).toBe(SDP);
    h.receive(responseTo(fw.text, 200, 'OK', { body: CALLEE_SDP }), CALLEE_A);
    expect(bodyOf(h.takeOne().text)).toBe(CALLEE_SDP);
    expect(media.commands).toEqual([]);

    const off = setup({ 'media.enabled': false });
    off.h.receive(invite());
    off.h.take();
    off.h.router.answer({ routes: [ROUTE_A], media: MEDIA });
    expect(bodyOf(off.h.takeOne().text)).toBe(SDP);
    expect(off.media.commands).toEqual([]);
  });
});
