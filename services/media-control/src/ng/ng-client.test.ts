import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { freeUdpPort, requireInfra } from '../../../../test/helpers/infra.js';
import { startRtpengine, startRtpengines, type RtpengineHandle } from '../../../../test/helpers/rtpengine.js';
import { decodeBencodeStrings, encodeBencode, type BencodeInput } from './bencode.js';
import { NgClient, type NgClientOptions, type NgDroppedReply } from './ng-client.js';
import { isNgError, NgErrorCode, type NgError } from './ng-error.js';
import type { NgInstance } from './ng-messages.js';

// ------------------------------------------------------------------ helpers

async function rejection(promise: Promise<unknown>): Promise<NgError> {
  try {
    await promise;
  } catch (error) {
    expect(isNgError(error)).toBe(true);
    return error as NgError;
  }
  throw new Error('resolved, a rejection was expected');
}

function bindUdp(host = '127.0.0.1', port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, host, () => resolve(socket));
  });
}

function closeUdp(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

interface FakeRequest {
  readonly cookie: string;
  readonly datagram: Buffer;
  readonly body: Record<string, unknown>;
  readonly from: RemoteInfo;
  reply(data: string | Buffer): void;
}

/** A UDP server speaking (or mis-speaking) ng: the handler sees each datagram as it comes. */
async function fakeRtpengine(handler: (request: FakeRequest) => void): Promise<{ instance: NgInstance; socket: Socket; received: FakeRequest[] }> {
  const socket = await bindUdp();
  const received: FakeRequest[] = [];
  socket.on('message', (datagram, from) => {
    const space = datagram.indexOf(0x20);
    const request: FakeRequest = {
      cookie: datagram.toString('latin1', 0, space),
      datagram,
      body: decodeBencodeStrings(datagram.subarray(space + 1)) as Record<string, unknown>,
      from,
      reply: (data) => socket.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, from.port, from.address),
    };
    received.push(request);
    handler(request);
  });
  return { instance: { host: '127.0.0.1', port: socket.address().port }, socket, received };
}

const ngReply = (cookie: string, body: BencodeInput): Buffer => Buffer.concat([Buffer.from(`${cookie} `), encodeBencode(body)]);

// ------------------------------------------------------------------ the client against fake peers

describe('NgClient (fake peers)', () => {
  const sockets: Socket[] = [];
  const clients: NgClient[] = [];
  const client = (options: NgClientOptions = {}): NgClient => {
    const c = new NgClient(options);
    clients.push(c);
    return c;
  };
  const fake = async (handler: (request: FakeRequest) => void): ReturnType<typeof fakeRtpengine> => {
    const f = await fakeRtpengine(handler);
    sockets.push(f.socket);
    return f;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(sockets.splice(0).map(closeUdp));
  });

  test('a request is `<cookie> <bencode>` with the command; the reply comes back as strings', async () => {
    const peer = await fake((r) => r.reply(ngReply(r.cookie, { result: 'ok', sdp: 'v=0\r\n', nested: { list: ['a', 7] } })));
    const ng = client();
    const reply = await ng.request(peer.instance, 'offer', { 'call-id': 'c1', 'from-tag': 't1', sdp: 'v=0\r\n', flags: ['trust-address'] });
    expect(reply).toEqual({ result: 'ok', sdp: 'v=0\r\n', nested: { list: ['a', 7] } });
    const [seen] = peer.received;
    expect(seen?.cookie).toMatch(/^[A-Za-z0-9_-]{8,20}$/);
    expect(seen?.datagram.toString('latin1')).toBe(`${seen?.cookie} d7:call-id2:c17:command5:offer5:flagsl13:trust-addresse8:from-tag2:t13:sdp5:v=0\r\ne`);
  });

  test('cookies are unique, within a client and across clients', async () => {
    const peer = await fake((r) => r.reply(ngReply(r.cookie, { result: 'pong' })));
    const [a, b] = [client(), client()];
    await Promise.all([...Array.from({ length: 50 }, () => a.ping(peer.instance)), ...Array.from({ length: 50 }, () => b.ping(peer.instance))]);
    expect(new Set(peer.received.map((r) => r.cookie)).size).toBe(100);
  });

  test('an unanswered request is retransmitted as the same bytes until the reply', async () => {
    const peer = await fake((r) => {
      if (peer.received.length === 3) r.reply(ngReply(r.cookie, { result: 'pong' }));
    });
    const ng = client({ retransmitMs: 50 });
    const started = performance.now();
    await ng.ping(peer.instance);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(peer.received).toHaveLength(3);
    expect(peer.received.every((r) => r.datagram.equals(peer.received[0]?.datagram ?? Buffer.alloc(0)))).toBe(true);
    expect(ng.stats()).toMatchObject({ requests: 1, sent: 3, retransmits: 2, replies: 1, timeouts: 0 });
  });

  test('timeout where nothing listens: a typed error naming instance and command, within timeoutMs', async () => {
    const port = await freeUdpPort();
    const ng = client({ timeoutMs: 500, retransmitMs: 100 });
    const started = performance.now();
    const error = await rejection(ng.offer({ host: '127.0.0.1', port }, { 'call-id': 'c', 'from-tag': 'f', sdp: 'v=0\r\n' }));
    const elapsed = performance.now() - started;
    expect(error.code).toBe(NgErrorCode.timeout);
    expect(error.message).toBe(`rtpengine 127.0.0.1:${port} did not answer 'offer' within 500 ms (5 sends)`);
    expect([error.instance, error.command, error.sends]).toEqual([`127.0.0.1:${port}`, 'offer', 5]);
    expect(elapsed).toBeGreaterThanOrEqual(495); // timers may fire a millisecond early
    expect(elapsed).toBeLessThan(500 + 100);
    expect(ng.stats()).toMatchObject({ timeouts: 1, retransmits: 4, inFlight: 0 });
  });

  test('malformed and stray replies are counted and dropped, never thrown; the real reply still wins', async () => {
    const dropped: NgDroppedReply[] = [];
    const peer = await fake((r) => {
      r.reply('no-space-at-all');
      r.reply(`${r.cookie} l1:a`); // truncated bencode
      r.reply(`${r.cookie} l1:ae`); // a list, not a dictionary
      r.reply(`${r.cookie} d3:sdp1:xe`); // no result
      r.reply(ngReply('someone-else', { result: 'ok' }));
      setTimeout(() => r.reply(ngReply(r.cookie, { result: 'pong' })), 20);
    });
    const ng = client({ onDroppedReply: (d) => dropped.push(d) });
    await expect(ng.ping(peer.instance)).resolves.toEqual({ result: 'pong' });
    expect(ng.stats()).toMatchObject({ replies: 1, malformedReplies: 4, unmatchedReplies: 1 });
    expect(dropped.map((d) => d.reason)).toEqual(['malformed', 'malformed', 'malformed', 'malformed', 'unmatched']);
    expect(dropped[1]?.detail).toContain('input ends inside a value at byte 4');
    expect(dropped[0]?.from).toBe(`127.0.0.1:${peer.instance.port}`);
  });

  test('only malformed replies: the request times out, nothing is thrown from the socket', async () => {
    const peer = await fake((r) => r.reply(`${r.cookie} garbage`));
    const ng = client({ timeoutMs: 300, retransmitMs: 100 });
    expect((await rejection(ng.ping(peer.instance))).code).toBe(NgErrorCode.timeout);
    expect(ng.stats().malformedReplies).toBe(3);
  });

  test('a reply to a waiting cookie from another address is dropped', async () => {
    const impostor = await bindUdp();
    sockets.push(impostor);
    const peer = await fake((r) => {
      impostor.send(ngReply(r.cookie, { result: 'pong', from: 'impostor' }), r.from.port, r.from.address);
      setTimeout(() => r.reply(ngReply(r.cookie, { result: 'pong' })), 20);
    });
    const ng = client();
    await expect(ng.ping(peer.instance)).resolves.toEqual({ result: 'pong' });
    expect(ng.stats().wrongSourceReplies).toBe(1);
  });

  test('result error -> NG_ERROR_REPLY with error-reason; load limit -> NG_LOAD_LIMIT', async () => {
    const peer = await fake((r) =>
      r.reply(ngReply(r.cookie, r.body['command'] === 'query' ? { result: 'error', 'error-reason': 'Unknown call-id' } : { result: 'load limit' })),
    );
    const ng = client();
    const refused = await rejection(ng.query(peer.instance, { 'call-id': 'nope' }));
    expect(refused).toMatchObject({ code: NgErrorCode.errorReply, errorReason: 'Unknown call-id', command: 'query' });
    expect(refused.message).toBe(`rtpengine ${peer.instance.host}:${peer.instance.port} refused 'query': Unknown call-id`);
    expect((await rejection(ng.offer(peer.instance, { 'call-id': 'c', 'from-tag': 'f', sdp: 'x', supports: ['load limit'] }))).code).toBe(NgErrorCode.loadLimit);
    expect(ng.stats().errorReplies).toBe(2);
  });

  test('typed helpers check the reply shape', async () => {
    const peer = await fake((r) => r.reply(ngReply(r.cookie, { result: 'ok' })));
    const ng = client();
    expect((await rejection(ng.offer(peer.instance, { 'call-id': 'c', 'from-tag': 'f', sdp: 'x' }))).code).toBe(NgErrorCode.badReply);
    expect((await rejection(ng.list(peer.instance))).code).toBe(NgErrorCode.badReply);
    expect((await rejection(ng.ping(peer.instance))).message).toContain('result "ok" instead of "pong"');
  });

  test('requests in flight are capped per instance; the rest wait their turn in order', async () => {
    let outstanding = 0;
    let most = 0;
    const peer = await fake((r) => {
      outstanding++;
      most = Math.max(most, outstanding);
      setTimeout(() => {
        outstanding--;
        r.reply(ngReply(r.cookie, { result: 'ok', calls: [String(r.body['limit'])] }));
      }, 20);
    });
    const ng = client({ maxInFlightPerInstance: 2 });
    const replies = Promise.all(Array.from({ length: 7 }, (_, i) => ng.list(peer.instance, { limit: i })));
    expect(ng.stats()).toMatchObject({ requests: 7 });
    expect((await replies).flat()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(most).toBe(2);
    expect(peer.received.map((r) => r.body['limit'])).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test('the timeout counts queue time: a request stuck behind the cap says so', async () => {
    const peer = await fake(() => undefined);
    const ng = client({ maxInFlightPerInstance: 1, timeoutMs: 200 });
    const first = rejection(ng.ping(peer.instance));
    const second = await rejection(ng.ping(peer.instance, { timeoutMs: 100 }));
    expect(second.message).toBe(`'ping' to rtpengine 127.0.0.1:${peer.instance.port} still queued after 100 ms (1 requests in flight)`);
    expect(second.sends).toBe(0);
    expect((await first).code).toBe(NgErrorCode.timeout);
    expect(ng.stats()).toMatchObject({ inFlight: 0, queued: 0, timeouts: 2 });
  });

  test('abort, close, invalid and oversized requests', async () => {
    const peer = await fake(() => undefined);
    const ng = client();
    const aborter = new AbortController();
    const aborted = rejection(ng.ping(peer.instance, { signal: aborter.signal }));
    aborter.abort(new Error('CANCEL'));
    expect(await aborted).toMatchObject({ code: NgErrorCode.aborted });
    expect((await rejection(ng.ping(peer.instance, { signal: aborter.signal }))).code).toBe(NgErrorCode.aborted);
    expect((await rejection(ng.request(peer.instance, 'offer', { flag: true as unknown as string }))).code).toBe(NgErrorCode.invalidRequest);
    expect((await rejection(ng.request(peer.instance, 'offer', { sdp: 'x'.repeat(70_000) }))).code).toBe(NgErrorCode.requestTooLarge);
    expect((await rejection(ng.ping(peer.instance, { retransmitMs: 0 }))).code).toBe(NgErrorCode.invalidRequest);
    expect(() => new NgClient({ timeoutMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    const pending = rejection(ng.ping(peer.instance));
    await ng.close();
    expect(await pending).toMatchObject({ code: NgErrorCode.closed });
    expect((await rejection(ng.ping(peer.instance))).code).toBe(NgErrorCode.closed);
    expect(ng.address()).toBeUndefined();
  });

  test('a queue over its limit refuses at once', async () => {
    const peer = await fake(() => undefined);
    const ng = client({ maxInFlightPerInstance: 1, maxQueuedPerInstance: 2, timeoutMs: 300 });
    const waiting = [ng.ping(peer.instance), ng.ping(peer.instance), ng.ping(peer.instance)].map((p) => rejection(p));
    const refused = await rejection(ng.ping(peer.instance));
    expect(refused.code).toBe(NgErrorCode.queueFull);
    await Promise.all(waiting);
  });
});

// ------------------------------------------------------------------ against the real rtpengine

const CALLER_IP = '127.0.0.1';
const CALLEE_IP = '127.0.0.1';

function sdp(ip: string, port: number, id: number): string {
  return [
    'v=0',
    `o=- ${id} ${id} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    // ICE: 'remove' must strip these.
    'a=ice-ufrag:abcd',
    'a=ice-pwd:0123456789abcdefghijkl',
    `a=candidate:1 1 UDP 2130706431 ${ip} ${port} typ host`,
    '',
  ].join('\r\n');
}

/** The address of the first audio stream: session or media c=, and m=audio's port. */
function audioOf(text: string): { address: string; port: number; origin: string } {
  const line = (prefix: string): string => text.split('\r\n').find((l) => l.startsWith(prefix)) ?? '';
  return {
    address: line('c=IN IP4 ').slice('c=IN IP4 '.length),
    port: Number(line('m=audio ').split(' ')[1]),
    origin: line('o=').split(' ').at(-1) ?? '',
  };
}

/** The book's 1:1 NAT flags (§8.14.3): rtpengine_offer("replace-origin replace-session-connection direction=pub direction=priv"). */
const NAT_OFFER = { replace: ['origin', 'session-connection'], ICE: 'remove', direction: ['pub', 'priv'] } as const;
const NAT_ANSWER = { replace: ['origin', 'session-connection'], ICE: 'remove', direction: ['priv', 'pub'] } as const;

function rtpPacket(sequence: number, ssrc: number): Buffer {
  const packet = Buffer.alloc(12 + 160, 0xff); // PCMU silence
  packet[0] = 0x80; // V=2
  packet[1] = 0; // PT 0 (PCMU)
  packet.writeUInt16BE(sequence, 2);
  packet.writeUInt32BE(sequence * 160, 4);
  packet.writeUInt32BE(ssrc, 8);
  return packet;
}

/** Sends `count` RTP packets from `from` to `to`, one every 10 ms; resolves with the sequence numbers `at` received. */
async function flow(from: Socket, to: { address: string; port: number }, at: Socket, ssrc: number, count: number): Promise<number[]> {
  const received: number[] = [];
  const onMessage = (message: Buffer): void => {
    if (message.length >= 12 && message.readUInt32BE(8) === ssrc) received.push(message.readUInt16BE(2));
  };
  at.on('message', onMessage);
  for (let i = 1; i <= count; i++) {
    from.send(rtpPacket(i, ssrc), to.port, to.address);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  at.off('message', onMessage);
  return received;
}

describe('NgClient against rtpengine', async () => {
  if (!(await requireInfra('rtpengine'))) return;
  let rtpe: RtpengineHandle;
  const ng = new NgClient();
  beforeAll(async () => {
    // Two named interfaces, as the book's 1:1 NAT set-up (pub towards the caller, priv towards the callee).
    rtpe = await startRtpengine({ interfaces: ['pub/127.0.0.1', 'priv/127.0.0.2'] });
  });
  afterAll(async () => {
    await ng.close();
    await rtpe?.stop();
  });
  const inRange = (port: number): boolean => port >= rtpe.portMin && port <= rtpe.portMax;

  test('ping', async () => {
    expect(await ng.ping(rtpe.ng)).toEqual({ result: 'pong' });
  });

  test('offer, answer, query, list, delete; query after delete: Unknown call-id; media flows both ways', async () => {
    const caller = await bindUdp(CALLER_IP);
    const callee = await bindUdp(CALLEE_IP);
    try {
      const callId = `call-${Date.now()}@test`;
      const offer = await ng.offer(rtpe.ng, { 'call-id': callId, 'from-tag': 'alice-tag', sdp: sdp(CALLER_IP, caller.address().port, 1), ...NAT_OFFER });
      const toCallee = audioOf(offer.sdp);
      // Rewritten to rtpengine's priv address and a port of its range; ICE gone.
      expect(toCallee).toMatchObject({ address: '127.0.0.2', origin: '127.0.0.2' });
      expect(inRange(toCallee.port)).toBe(true);
      expect(offer.sdp).not.toMatch(/a=(ice-|candidate)/);
      expect(offer.sdp).toContain(`a=rtcp:${toCallee.port + 1}`);

      const answer = await ng.answer(rtpe.ng, {
        'call-id': callId,
        'from-tag': 'alice-tag',
        'to-tag': 'bob-tag',
        sdp: sdp(CALLEE_IP, callee.address().port, 2),
        ...NAT_ANSWER,
      });
      const toCaller = audioOf(answer.sdp);
      expect(toCaller).toMatchObject({ address: '127.0.0.1', origin: '127.0.0.1' });
      expect(inRange(toCaller.port)).toBe(true);
      expect(answer.sdp).toMatch(/m=audio \d+ RTP\/AVP 0 8 101\r\n/);

      // Media really flows: caller -> rtpengine's caller-facing port -> callee's SDP port, and back.
      const forward = await flow(caller, toCaller, callee, 0x1111, 20);
      const backward = await flow(callee, toCallee, caller, 0x2222, 20);
      expect(forward.length).toBeGreaterThanOrEqual(19);
      expect(backward.length).toBeGreaterThanOrEqual(19);

      const query = await ng.query(rtpe.ng, { 'call-id': callId });
      expect(Object.keys(query.tags).sort()).toEqual(['alice-tag', 'bob-tag']);
      const totals = query.totals as { RTP: { packets: number } };
      expect(totals.RTP.packets).toBeGreaterThanOrEqual(38);

      expect(await ng.list(rtpe.ng, { limit: 1000 })).toContain(callId);
      const deleted = await ng.delete(rtpe.ng, { 'call-id': callId, 'from-tag': 'alice-tag' });
      expect(deleted.result).toBe('ok');
      const gone = await rejection(ng.query(rtpe.ng, { 'call-id': callId }));
      expect(gone).toMatchObject({ code: NgErrorCode.errorReply, errorReason: 'Unknown call-id' });
      expect(await ng.list(rtpe.ng, { limit: 1000 })).not.toContain(callId);
    } finally {
      await Promise.all([closeUdp(caller), closeUdp(callee)]);
    }
  });

  test('a repeated cookie is answered from rtpengine\'s cache: a retransmitted offer allocates nothing new', async () => {
    const socket = await bindUdp();
    try {
      const datagram = Buffer.concat([
        Buffer.from('retransmit-test '),
        encodeBencode({ command: 'offer', 'call-id': `retx-${Date.now()}`, 'from-tag': 'a', sdp: sdp(CALLER_IP, 40_000, 3), ...NAT_OFFER }),
      ]);
      const replies: Buffer[] = [];
      socket.on('message', (m) => replies.push(m));
      for (let i = 0; i < 3; i++) {
        socket.send(datagram, rtpe.ng.port, rtpe.ng.host);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(replies).toHaveLength(3);
      expect(replies.every((r) => r.equals(replies[0] ?? Buffer.alloc(0)))).toBe(true);
      const callId = (decodeBencodeStrings(datagram.subarray(datagram.indexOf(0x20) + 1)) as Record<string, string>)['call-id'] ?? '';
      await ng.delete(rtpe.ng, { 'call-id': callId });
    } finally {
      await closeUdp(socket);
    }
  });

  // 200 calls offered at once (then answered at once, deleted at once), with the default cap
  // (64 in flight) and with none (all 200 sent at once into rtpengine's socket buffer, which
  // drops some: the retransmissions make up for them): every one succeeds, none is left.
  test.for<[string, NgClientOptions]>([
    ['the default in-flight cap', {}],
    ['no cap (retransmission absorbs the drops)', { maxInFlightPerInstance: 1_000 }],
  ])('200 offers at once, %s', async ([_label, options], { annotate }) => {
    const client = new NgClient(options);
    try {
      const run = `burst-${Date.now()}-${options.maxInFlightPerInstance ?? 'capped'}`;
      const callIds = Array.from({ length: 200 }, (_, i) => `${run}-${i}`);
      const started = performance.now();
      const offers = await Promise.all(
        callIds.map((callId, i) => client.offer(rtpe.ng, { 'call-id': callId, 'from-tag': 'a', sdp: sdp(CALLER_IP, 41_000 + 2 * i, i), ...NAT_OFFER })),
      );
      const offerMs = performance.now() - started;
      expect(offers.every((o) => inRange(audioOf(o.sdp).port))).toBe(true);
      expect(new Set(offers.map((o) => audioOf(o.sdp).port)).size).toBe(200);
      const listed = new Set(await client.list(rtpe.ng, { limit: 10_000 }));
      expect(callIds.every((c) => listed.has(c))).toBe(true);
      const offerStats = client.stats();
      const answers = await Promise.all(
        callIds.map((callId, i) =>
          client.answer(rtpe.ng, { 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b', sdp: sdp(CALLEE_IP, 43_000 + 2 * i, i), ...NAT_ANSWER }),
        ),
      );
      expect(answers.every((a) => inRange(audioOf(a.sdp).port))).toBe(true);
      await Promise.all(callIds.map((callId) => client.delete(rtpe.ng, { 'call-id': callId, 'from-tag': 'a' })));
      const left = await client.list(rtpe.ng, { limit: 10_000 });
      expect(left.filter((c) => c.startsWith(run))).toEqual([]);
      const stats = client.stats();
      expect(stats.timeouts).toBe(0);
      await annotate(
        `200 offers in ${offerMs.toFixed(0)} ms, ${offerStats.retransmits} retransmits; with 200 answers, 200 deletes and 2 lists ` +
          `in ${(performance.now() - started).toFixed(0)} ms: ` +
          `${stats.sent} datagrams, ${stats.retransmits} retransmits, ${stats.unmatchedReplies} duplicate replies dropped`,
      );
    } finally {
      await client.close();
    }
  });
});

describe('NgClient against two rtpengines', async () => {
  if (!(await requireInfra('rtpengine'))) return;
  let engines: RtpengineHandle[] = [];
  const ng = new NgClient();
  beforeAll(async () => {
    engines = await startRtpengines(2);
  });
  afterAll(async () => {
    await ng.close();
    await Promise.all(engines.map((e) => e.stop()));
  });

  test('one client, two instances: each holds only its own calls', async () => {
    const [a, b] = engines as [RtpengineHandle, RtpengineHandle];
    expect(a.ng.port).not.toBe(b.ng.port);
    expect(a.portMin).not.toBe(b.portMin);
    await Promise.all([ng.ping(a.ng), ng.ping(b.ng)]);
    const [offerA, offerB] = await Promise.all([
      ng.offer(a.ng, { 'call-id': 'on-a', 'from-tag': 'x', sdp: sdp(CALLER_IP, 42_000, 1), replace: ['origin', 'session-connection'] }),
      ng.offer(b.ng, { 'call-id': 'on-b', 'from-tag': 'y', sdp: sdp(CALLER_IP, 42_002, 2), replace: ['origin', 'session-connection'] }),
    ]);
    expect(audioOf(offerA.sdp).port).toBeGreaterThanOrEqual(a.portMin);
    expect(audioOf(offerA.sdp).port).toBeLessThanOrEqual(a.portMax);
    expect(audioOf(offerB.sdp).port).toBeGreaterThanOrEqual(b.portMin);
    expect(audioOf(offerB.sdp).port).toBeLessThanOrEqual(b.portMax);
    expect(await ng.list(a.ng)).toEqual(['on-a']);
    expect(await ng.list(b.ng)).toEqual(['on-b']);
    await Promise.all([ng.delete(a.ng, { 'call-id': 'on-a' }), ng.delete(b.ng, { 'call-id': 'on-b' })]);

    // An instance that stops: its requests time out (the typed error the failover will act on).
    await b.stop();
    const error = await rejection(ng.ping(b.ng, { timeoutMs: 300 }));
    expect(error).toMatchObject({ code: NgErrorCode.timeout, instance: `127.0.0.1:${b.ng.port}`, command: 'ping' });
    await ng.ping(a.ng);
  });
});
