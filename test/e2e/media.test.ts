/**
 * Media anchoring end to end: SIPp calls through the edge and a router whose rule carries
 * `media` (the book's rtpengine_offer/rtpengine_answer flags), the real media-control process and
 * a real rtpengine (userspace), over a private nats-server (media-control's queue group must be
 * ours alone). The callee gets an SDP naming rtpengine's port (checked in the scenario), the
 * caller the rewritten answer, and RTP really flows both ways through rtpengine between two UDP
 * sockets of the test that stand for the phones' media; after BYE, CANCEL and 486 rtpengine no
 * longer has the call.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NgClient } from '@sipmesh/media-control';
import { requireInfra, skipSuite } from '../helpers/infra.js';
import { startNatsServer, type PrivateNatsServer } from '../helpers/nats-server.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { startRtpengine, type RtpengineHandle } from '../helpers/rtpengine.js';
import { runSipp, scenarioPath, stopAllSipp, type SippResult } from '../helpers/sipp.js';
import { startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const NATS_SERVER_BIN = '/usr/sbin/nats-server';
const FLAGS = 'replace-origin replace-session-connection ICE=remove';
const MEDIA = { offer: FLAGS, answer: FLAGS };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The audio address and port of an SDP in a SIP message's text. */
function audioOf(text: string): { address: string; port: number } {
  const c = /^c=IN IP4 (\S+)/m.exec(text);
  const m = /^m=audio (\d+) /m.exec(text);
  if (!c || !m) throw new Error(`no audio in\n${text}`);
  return { address: c[1] as string, port: Number(m[1]) };
}

/** A phone's media socket: receives RTP, sends RTP from its own port. */
class RtpSocket {
  readonly received: Buffer[] = [];
  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (m) => this.received.push(m));
  }

  static async open(port: number): Promise<RtpSocket> {
    const socket = dgram.createSocket('udp4');
    socket.bind(port, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpSocket(socket, port);
  }

  /** One RTP packet (RFC 3550 header, PCMU) with `seq`. */
  send(to: { address: string; port: number }, seq: number, ssrc: number): void {
    const packet = Buffer.alloc(12 + 160, 0xff);
    packet[0] = 0x80;
    packet[1] = 0; // PCMU
    packet.writeUInt16BE(seq, 2);
    packet.writeUInt32BE(seq * 160, 4);
    packet.writeUInt32BE(ssrc, 8);
    this.socket.send(packet, to.port, to.address);
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

describe('media anchored in rtpengine through media-control', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('rtpengine')))) return;
  if (!existsSync(NATS_SERVER_BIN)) {
    skipSuite(`needs ${NATS_SERVER_BIN} for a private NATS server`);
    return;
  }
  let nats: PrivateNatsServer;
  let rtpe: RtpengineHandle;
  let sipmesh: SipmeshUnderTest;
  const ng = new NgClient();
  const leased: number[] = [];
  let okPort: number;
  let busyPort: number;
  let ringPort: number;

  beforeAll(async () => {
    nats = await startNatsServer();
    rtpe = await startRtpengine({ rtpPorts: 40 });
    for (let i = 0; i < 3; i++) leased.push(await freePort('udp', { leaseMs: Infinity }));
    [okPort = 0, busyPort = 0, ringPort = 0] = leased;
    sipmesh = await startSipmesh({
      mode: 'nats',
      natsUrl: nats.url,
      media: { 'rtpengine.sock': `udp:127.0.0.1:${rtpe.ng.port}` },
      routes: {
        rules: [
          { match: { ruri_user: 'busy*' }, routes: [{ dst_uri: `sip:127.0.0.1:${busyPort}` }], media: MEDIA },
          { match: { ruri_user: 'ring*' }, routes: [{ dst_uri: `sip:127.0.0.1:${ringPort}` }], media: MEDIA },
          { routes: [{ dst_uri: `sip:127.0.0.1:${okPort}` }], media: MEDIA },
        ],
      },
    });
    // media-control subscribes after its first health round: wait until it answers
    for (let i = 0; ; i++) {
      try {
        await sipmesh.bus.request('sipmesh.media.v1.delete', new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: 'ready', method: 'delete', params: { version: '1.0', call_id: 'ready', from_tag: 'x' } })), { timeoutMs: 500 });
        break;
      } catch (e) {
        if (i > 60) throw e;
        await sleep(250);
      }
    }
  }, 60_000);

  afterEach(async () => {
    await stopAllSipp();
  });

  afterAll(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    await ng.close();
    await rtpe?.stop();
    await nats?.dispose();
    releasePorts(...leased);
  });

  const calls = (): Promise<string[]> => ng.list(rtpe.ng, { limit: 100 });

  /** Waits until rtpengine has no call any more (a delete is sent after the SIP message, in the background). */
  async function rtpengineEmpty(): Promise<string[]> {
    let left = await calls();
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await sleep(100);
      left = await calls();
    }
    return left;
  }

  /** Edge media commands by method and outcome, from its metrics. */
  async function mediaCommands(): Promise<Record<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${sipmesh.adminPort}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const m of text.matchAll(/^sipmesh_edge_media_commands_total\{([^}]*)\} (\S+)$/gm)) {
      const labels = m[1] ?? '';
      const method = /method="([^"]+)"/.exec(labels)?.[1] ?? '';
      const outcome = /outcome="([^"]+)"/.exec(labels)?.[1] ?? '';
      out[`${method} ${outcome}`] = Number(m[2]);
    }
    return out;
  }

  it('rewrites both SDPs to rtpengine, RTP flows both ways through it, and the BYE deletes the call', async () => {
    const callerRtp = await RtpSocket.open(await freePort('udp', { alsoFree: [1] }));
    const calleeRtp = await RtpSocket.open(await freePort('udp', { alsoFree: [1] }));
    try {
      const callee = runSipp({ scenario: scenarioPath('uas-media-call.xml'), role: 'uas', localPort: okPort, calls: 1, timeoutS: 20, variables: { rtp_port: String(calleeRtp.port) } });
      await callee.ready;
      const caller = runSipp({
        scenario: scenarioPath('uac-media-call.xml'),
        role: 'uac',
        localPort: await freePort('udp+tcp'),
        remote: `127.0.0.1:${sipmesh.sipPort}`,
        calls: 1,
        timeoutS: 20,
        variables: { rtp_port: String(callerRtp.port) },
        extraArgs: ['-d', '4000'],
      });

      // While the call is up: where rtpengine expects each side's RTP (its query of the call).
      let sides: { caller: number; callee: number } | undefined;
      for (let i = 0; i < 100 && sides === undefined; i++) {
        await sleep(50);
        const [callId] = await calls();
        if (callId === undefined) continue;
        sides = localPorts(await ng.query(rtpe.ng, { 'call-id': callId }), callerRtp.port, calleeRtp.port);
      }
      if (sides === undefined) throw new Error('rtpengine never had the call with both sides answered');
      for (let seq = 1; seq <= 5; seq++) {
        callerRtp.send({ address: '127.0.0.1', port: sides.caller }, seq, 0x1111);
        calleeRtp.send({ address: '127.0.0.1', port: sides.callee }, seq, 0x2222);
        await sleep(20);
      }
      for (let i = 0; i < 50 && (calleeRtp.received.length < 5 || callerRtp.received.length < 5); i++) await sleep(20);
      expect(calleeRtp.received.length, 'RTP caller -> rtpengine -> callee').toBeGreaterThanOrEqual(4);
      expect(callerRtp.received.length, 'RTP callee -> rtpengine -> caller').toBeGreaterThanOrEqual(4);
      expect(calleeRtp.received[0]?.readUInt32BE(8)).toBe(0x1111);
      expect(callerRtp.received[0]?.readUInt32BE(8)).toBe(0x2222);

      const [r, rc] = [await caller.done, await callee.done];
      expect(r.exitCode, r.summary).toBe(0);
      expect(rc.exitCode, rc.summary).toBe(0);
      // What each phone was told is where rtpengine listens for it.
      expect(audioOf(received(rc, 'INVITE '))).toEqual({ address: '127.0.0.1', port: sides.callee });
      expect(audioOf(received(r, 'SIP/2.0 200 OK'))).toEqual({ address: '127.0.0.1', port: sides.caller });
      expect(await rtpengineEmpty()).toEqual([]);
      expect(await mediaCommands()).toMatchObject({ 'offer ok': 1, 'answer ok': 1, 'delete ok': 1 });
    } finally {
      await callerRtp.close();
      await calleeRtp.close();
    }
  }, 60_000);

  it('deletes the call after a CANCEL and after a 486', async () => {
    const before = await mediaCommands();
    const ringing = runSipp({ scenario: scenarioPath('uas-ring-no-answer.xml'), role: 'uas', localPort: ringPort, calls: 1, timeoutS: 20 });
    await ringing.ready;
    const cancel = await runSipp({ scenario: scenarioPath('uac-cancel.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'ring', calls: 1, timeoutS: 20 }).done;
    expect(cancel.exitCode, cancel.summary).toBe(0);
    // the callee got rtpengine's SDP
    expect(audioOf(received(await ringing.done, 'INVITE ')).port).toBeGreaterThanOrEqual(rtpe.portMin);
    expect(await rtpengineEmpty()).toEqual([]);

    const busy = runSipp({ scenario: scenarioPath('uas-486.xml'), role: 'uas', localPort: busyPort, calls: 1, timeoutS: 20 });
    await busy.ready;
    const r486 = await runSipp({ scenario: scenarioPath('uac-call-486.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'busy', calls: 1, timeoutS: 20 }).done;
    expect(r486.exitCode, r486.summary).toBe(0);
    expect(audioOf(received(await busy.done, 'INVITE ')).port).toBeGreaterThanOrEqual(rtpe.portMin);
    expect(await rtpengineEmpty()).toEqual([]);

    const after = await mediaCommands();
    expect((after['offer ok'] ?? 0) - (before['offer ok'] ?? 0)).toBe(2);
    expect((after['delete ok'] ?? 0) - (before['delete ok'] ?? 0)).toBe(2);
  }, 60_000);
});

/** The text of the first message a SIPp run received starting with `start`. */
function received(r: SippResult, start: string): string {
  const m = r.messages.find((x) => x.direction === 'received' && x.text.startsWith(start));
  if (!m) throw new Error(`${r.name} received no "${start}": ${r.summary}`);
  return m.text;
}

/**
 * From rtpengine's `query` of a call: the local port facing each phone, found by the endpoint
 * rtpengine sends that phone's media to (the port its SDP named); undefined until both are known.
 */
function localPorts(reply: Record<string, unknown>, callerPort: number, calleePort: number): { caller: number; callee: number } | undefined {
  const found = new Map<number, number>();
  const tags = (reply['tags'] ?? {}) as Record<string, { medias?: { streams?: { 'local port'?: number; endpoint?: { port?: number } }[] }[] }>;
  for (const tag of Object.values(tags)) {
    for (const media of tag.medias ?? []) {
      const rtp = media.streams?.[0];
      const remote = rtp?.endpoint?.port;
      const local = rtp?.['local port'];
      if (remote !== undefined && local !== undefined && local > 0) found.set(remote, local);
    }
  }
  const caller = found.get(callerPort);
  const callee = found.get(calleePort);
  return caller !== undefined && callee !== undefined ? { caller, callee } : undefined;
}
