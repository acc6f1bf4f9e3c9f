/**
 * Media anchoring end to end: SIPp calls through the edge and a router whose rule carries
 * `media` (the book's rtpengine_offer/rtpengine_answer flags), media-control and real rtpengines
 * (userspace). The callee gets an SDP naming rtpengine's port (checked in the scenario), the
 * caller the rewritten answer, and RTP really flows both ways through rtpengine between UDP
 * sockets of the test that stand for the phones' media; after BYE, CANCEL and 486 rtpengine no
 * longer has the call.
 *
 * - nats mode (edge, router and media-control processes over a private nats-server: the
 *   media-control queue group must be ours alone): the basic call, CANCEL and 486, a late offer
 *   (the offer in the 200, the answer in the ACK), a re-INVITE from the callee that moves its
 *   media, and 200 calls at once;
 * - embedded mode (edge, router and media-control in this process): the basic call;
 * - two rtpengines behind one media-control: calls spread over both, one stops, new calls go to
 *   the survivor and the survivor's call ends cleanly.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NgClient } from '@sipmesh/media-control';
import { requireInfra, skipSuite } from '../helpers/infra.js';
import { startNatsServer, type PrivateNatsServer } from '../helpers/nats-server.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { startRtpengines, type RtpengineHandle } from '../helpers/rtpengine.js';
import { runSipp, scenarioPath, stopAllSipp, type SippHandle, type SippResult } from '../helpers/sipp.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const NATS_SERVER_BIN = '/usr/sbin/nats-server';
const FLAGS = 'replace-origin replace-session-connection ICE=remove';
const MEDIA = { offer: FLAGS, answer: FLAGS };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns something other than undefined; throws `what` after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
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

  /** A socket on a free port of the test range whose next port (RTCP) is free too. */
  static async open(): Promise<RtpSocket> {
    const port = await freePort('udp', { alsoFree: [1] });
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

  /** SSRCs of the packets received so far. */
  ssrcs(): Set<number> {
    return new Set(this.received.map((p) => p.readUInt32BE(8)));
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/**
 * Sends 5 packets each way between two phones through rtpengine (each to the port rtpengine
 * listens on for it) and expects at least 4 of the other side's at each (loopback loses
 * nothing, but rtpengine may drop the first one while it learns the endpoint).
 */
async function rtpBothWays(a: RtpSocket, aLocal: number, b: RtpSocket, bLocal: number, ssrcA: number, ssrcB: number): Promise<void> {
  const fromA = (): number => b.received.filter((p) => p.readUInt32BE(8) === ssrcA).length;
  const fromB = (): number => a.received.filter((p) => p.readUInt32BE(8) === ssrcB).length;
  for (let seq = 1; seq <= 5; seq++) {
    a.send({ address: '127.0.0.1', port: aLocal }, seq, ssrcA);
    b.send({ address: '127.0.0.1', port: bLocal }, seq, ssrcB);
    await sleep(20);
  }
  for (let i = 0; i < 50 && (fromA() < 5 || fromB() < 5); i++) await sleep(20);
  expect(fromA(), `RTP ${ssrcA.toString(16)} -> rtpengine -> other phone`).toBeGreaterThanOrEqual(4);
  expect(fromB(), `RTP ${ssrcB.toString(16)} -> rtpengine -> other phone`).toBeGreaterThanOrEqual(4);
}

/** The text of the first message a SIPp run received starting with `start`. */
function received(r: SippResult, start: string): string {
  const m = r.messages.find((x) => x.direction === 'received' && x.text.startsWith(start));
  if (!m) throw new Error(`${r.name} received no "${start}": ${r.summary}`);
  return m.text;
}

/** The texts of every message a SIPp run received starting with `start`. */
function receivedAll(r: SippResult, start: string): string[] {
  return r.messages.filter((x) => x.direction === 'received' && x.text.startsWith(start)).map((x) => x.text);
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

interface MediaSetup {
  readonly mode: BusMode;
  /** rtpengine instances, all in media-control's default set. */
  readonly rtpengines?: number;
  /** RTP ports of each rtpengine (4 per call). */
  readonly rtpPorts?: number;
  /** Callees besides the default one, by Request-URI user prefix (SIPp -s). */
  readonly services?: readonly string[];
  /** More media-control settings. */
  readonly media?: Record<string, unknown>;
}

/** What a describe block's tests use; filled in by its beforeAll. */
interface MediaEnv {
  sipmesh: SipmeshUnderTest;
  rtpes: RtpengineHandle[];
  ng: NgClient;
  /** The callee port of the default route, and of each service. */
  calleePort: number;
  servicePorts: Map<string, number>;
  /** A port of the test range nobody binds: the phones' media port of calls that send no RTP. */
  quietPort: number;
}

/**
 * Starts (beforeAll) rtpengine(s), sipmesh in `mode` with media-control on them, a route per
 * service plus a default one, all anchored; stops everything (afterAll) and any SIPp left
 * (afterEach).
 */
function useMediaSetup(setup: MediaSetup): MediaEnv {
  const env = { ng: new NgClient(), servicePorts: new Map<string, number>() } as MediaEnv;
  let nats: PrivateNatsServer | undefined;
  const leased: number[] = [];

  beforeAll(async () => {
    if (setup.mode === 'nats') nats = await startNatsServer();
    env.rtpes = await startRtpengines(setup.rtpengines ?? 1, { rtpPorts: setup.rtpPorts ?? 40 });
    const lease = async (): Promise<number> => {
      const port = await freePort('udp', { leaseMs: Infinity });
      leased.push(port);
      return port;
    };
    env.calleePort = await lease();
    env.quietPort = await lease();
    for (const s of setup.services ?? []) env.servicePorts.set(s, await lease());
    env.sipmesh = await startSipmesh({
      mode: setup.mode,
      ...(nats ? { natsUrl: nats.url } : {}),
      media: { 'rtpengine.sock': env.rtpes.map((r) => `udp:127.0.0.1:${r.ng.port}`).join(' '), ...setup.media },
      routes: {
        rules: [
          ...[...env.servicePorts].map(([s, port]) => ({ match: { ruri_user: `${s}*` }, routes: [{ dst_uri: `sip:127.0.0.1:${port}` }], media: MEDIA })),
          { routes: [{ dst_uri: `sip:127.0.0.1:${env.calleePort}` }], media: MEDIA },
        ],
      },
    });
    // media-control subscribes after its first health round: wait until it answers
    const ready = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: 'ready', method: 'delete', params: { version: '1.0', call_id: 'ready', from_tag: 'x' } }));
    for (let i = 0; ; i++) {
      try {
        await env.sipmesh.bus.request('sipmesh.media.v1.delete', ready, { timeoutMs: 500 });
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
    await env.sipmesh?.stop();
    await env.ng.close();
    await Promise.all((env.rtpes ?? []).map((r) => r.stop()));
    await nats?.dispose();
    await releasePorts(...leased);
  });

  return env;
}

/** The Call-IDs an rtpengine holds. */
function callsOf(env: MediaEnv, rtpe: RtpengineHandle): Promise<string[]> {
  return env.ng.list(rtpe.ng, { limit: 1000 });
}

/** Waits until rtpengine has no call any more (a delete is sent after the SIP message, in the background). */
async function rtpengineEmpty(env: MediaEnv, rtpe: RtpengineHandle = env.rtpes[0] as RtpengineHandle): Promise<string[]> {
  let left = await callsOf(env, rtpe);
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await sleep(100);
    left = await callsOf(env, rtpe);
  }
  return left;
}

/** Edge media commands by "method outcome", from its metrics. */
async function mediaCommands(sipmesh: SipmeshUnderTest): Promise<Record<string, number>> {
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

/**
 * The edge's media commands since `before` (only the ones that changed). A delete's reply
 * reaches the edge after rtpengine dropped the call: poll it (expect.poll) once rtpengine is empty.
 */
async function commandsSince(sipmesh: SipmeshUnderTest, before: Record<string, number>): Promise<Record<string, number>> {
  const after = await mediaCommands(sipmesh);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

/** While a call is up: where rtpengine expects each side's RTP (its query of the call). */
async function sidesOf(env: MediaEnv, rtpe: RtpengineHandle, callerPort: number, calleePort: number): Promise<{ caller: number; callee: number }> {
  return waitFor(`rtpengine with both sides (caller ${callerPort}, callee ${calleePort}) answered`, async () => {
    for (const callId of await callsOf(env, rtpe)) {
      const sides = localPorts(await env.ng.query(rtpe.ng, { 'call-id': callId }), callerPort, calleePort);
      if (sides !== undefined) return sides;
    }
    return undefined;
  });
}

/** A call between two SIPp phones through the edge: the callee's SIPp (listening first), then the caller's. */
interface PhonesOptions {
  readonly uas: string;
  readonly uac: string;
  readonly calleeVariables: Record<string, string>;
  readonly callerVariables: Record<string, string>;
  readonly calleeArgs?: string[];
  readonly callerArgs?: string[];
}

async function phones(env: MediaEnv, o: PhonesOptions): Promise<{ caller: SippHandle; callee: SippHandle }> {
  const callee = runSipp({ scenario: scenarioPath(o.uas), role: 'uas', localPort: env.calleePort, calls: 1, timeoutS: 20, variables: o.calleeVariables, ...(o.calleeArgs ? { extraArgs: o.calleeArgs } : {}) });
  await callee.ready;
  const caller = runSipp({
    scenario: scenarioPath(o.uac),
    role: 'uac',
    localPort: await freePort('udp+tcp'),
    remote: `127.0.0.1:${env.sipmesh.sipPort}`,
    calls: 1,
    timeoutS: 20,
    variables: o.callerVariables,
    ...(o.callerArgs ? { extraArgs: o.callerArgs } : {}),
  });
  return { caller, callee };
}

/** Both phones' results, each ended cleanly (exit code 0): [caller, callee]. */
async function bothDone(p: { caller: SippHandle; callee: SippHandle }): Promise<[SippResult, SippResult]> {
  const r = await p.caller.done;
  const rc = await p.callee.done;
  expect(r.exitCode, r.summary).toBe(0);
  expect(rc.exitCode, rc.summary).toBe(0);
  return [r, rc];
}

/** The basic anchored call: offer in the INVITE, answer in the 200, RTP both ways, BYE deletes. */
async function basicCall(env: MediaEnv): Promise<void> {
  const rtpe = env.rtpes[0] as RtpengineHandle;
  const before = await mediaCommands(env.sipmesh);
  const callerRtp = await RtpSocket.open();
  const calleeRtp = await RtpSocket.open();
  try {
    const call = await phones(env, { uas: 'uas-media-call.xml', uac: 'uac-media-call.xml', calleeVariables: { rtp_port: String(calleeRtp.port) }, callerVariables: { rtp_port: String(callerRtp.port) }, callerArgs: ['-d', '4000'] });

    const sides = await sidesOf(env, rtpe, callerRtp.port, calleeRtp.port);
    await rtpBothWays(callerRtp, sides.caller, calleeRtp, sides.callee, 0x1111, 0x2222);

    const [r, rc] = await bothDone(call);
    // What each phone was told is where rtpengine listens for it.
    expect(audioOf(received(rc, 'INVITE '))).toEqual({ address: '127.0.0.1', port: sides.callee });
    expect(audioOf(received(r, 'SIP/2.0 200 OK'))).toEqual({ address: '127.0.0.1', port: sides.caller });
    expect(await rtpengineEmpty(env)).toEqual([]);
    await expect.poll(() => commandsSince(env.sipmesh, before), { timeout: 5_000 }).toEqual({ 'offer ok': 1, 'answer ok': 1, 'delete ok': 1 });
  } finally {
    await callerRtp.close();
    await calleeRtp.close();
  }
}

describe('media anchored in rtpengine through media-control', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('rtpengine')))) return;
  if (!existsSync(NATS_SERVER_BIN)) {
    skipSuite(`needs ${NATS_SERVER_BIN} for a private NATS server`);
    return;
  }

  describe('nats mode (edge, router and media-control processes)', () => {
    // 200 calls at once take 800 RTP ports.
    const env = useMediaSetup({ mode: 'nats', rtpPorts: 1000, services: ['busy', 'ring'] });

    it('rewrites both SDPs to rtpengine, RTP flows both ways through it, and the BYE deletes the call', async () => {
      await basicCall(env);
    }, 60_000);

    it('deletes the call after a CANCEL and after a 486', async () => {
      const before = await mediaCommands(env.sipmesh);
      const rtpe = env.rtpes[0] as RtpengineHandle;
      const ringing = runSipp({ scenario: scenarioPath('uas-ring-no-answer.xml'), role: 'uas', localPort: env.servicePorts.get('ring') as number, calls: 1, timeoutS: 20 });
      await ringing.ready;
      const cancel = await runSipp({ scenario: scenarioPath('uac-cancel.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${env.sipmesh.sipPort}`, service: 'ring', calls: 1, timeoutS: 20 }).done;
      expect(cancel.exitCode, cancel.summary).toBe(0);
      // the callee got rtpengine's SDP
      expect(audioOf(received(await ringing.done, 'INVITE ')).port).toBeGreaterThanOrEqual(rtpe.portMin);
      expect(await rtpengineEmpty(env)).toEqual([]);

      const busy = runSipp({ scenario: scenarioPath('uas-486.xml'), role: 'uas', localPort: env.servicePorts.get('busy') as number, calls: 1, timeoutS: 20 });
      await busy.ready;
      const r486 = await runSipp({ scenario: scenarioPath('uac-call-486.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${env.sipmesh.sipPort}`, service: 'busy', calls: 1, timeoutS: 20 }).done;
      expect(r486.exitCode, r486.summary).toBe(0);
      expect(audioOf(received(await busy.done, 'INVITE ')).port).toBeGreaterThanOrEqual(rtpe.portMin);
      expect(await rtpengineEmpty(env)).toEqual([]);

      await expect.poll(async () => {
        const since = await commandsSince(env.sipmesh, before);
        return { offers: since['offer ok'], deletes: since['delete ok'] };
      }, { timeout: 5_000 }).toEqual({ offers: 2, deletes: 2 });
    }, 60_000);

    it('late offer: the callee’s offer in the 200 and the caller’s answer in the ACK are rewritten to rtpengine, RTP flows both ways, the BYE deletes', async () => {
      const rtpe = env.rtpes[0] as RtpengineHandle;
      const before = await mediaCommands(env.sipmesh);
      const callerRtp = await RtpSocket.open();
      const calleeRtp = await RtpSocket.open();
      try {
        const call = await phones(env, { uas: 'uas-media-late-offer.xml', uac: 'uac-media-late-offer.xml', calleeVariables: { rtp_port: String(calleeRtp.port) }, callerVariables: { rtp_port: String(callerRtp.port) }, callerArgs: ['-d', '3000'] });

        const sides = await sidesOf(env, rtpe, callerRtp.port, calleeRtp.port);
        await rtpBothWays(callerRtp, sides.caller, calleeRtp, sides.callee, 0x3333, 0x4444);

        const [r, rc] = await bothDone(call);
        // The INVITE went without SDP (checked in the scenario); the 200's offer reached the
        // caller naming rtpengine's port for it, the ACK's answer the callee naming its own.
        expect(received(rc, 'INVITE ')).not.toMatch(/^m=/m);
        expect(audioOf(received(r, 'SIP/2.0 200 OK'))).toEqual({ address: '127.0.0.1', port: sides.caller });
        expect(audioOf(received(rc, 'ACK '))).toEqual({ address: '127.0.0.1', port: sides.callee });
        expect(await rtpengineEmpty(env)).toEqual([]);
        // The 200's offer, the ACK's answer, the BYE's delete.
        await expect.poll(() => commandsSince(env.sipmesh, before), { timeout: 5_000 }).toEqual({ 'offer ok': 1, 'answer ok': 1, 'delete ok': 1 });
      } finally {
        await callerRtp.close();
        await calleeRtp.close();
      }
    }, 60_000);

    it('a re-INVITE from the callee moving its media: the caller gets it with rtpengine’s SDP, the callee the rewritten 200, RTP flows to the new port, the BYE deletes', async () => {
      const rtpe = env.rtpes[0] as RtpengineHandle;
      const before = await mediaCommands(env.sipmesh);
      const callerRtp = await RtpSocket.open();
      const calleeRtp = await RtpSocket.open();
      const calleeMoved = await RtpSocket.open();
      try {
        const call = await phones(env, {
          uas: 'uas-media-callee-reinvite.xml',
          uac: 'uac-media-callee-reinvite.xml',
          calleeVariables: { rtp_port: String(calleeRtp.port), rtp_port_new: String(calleeMoved.port) },
          callerVariables: { rtp_port: String(callerRtp.port) },
          // the call before the re-INVITE, then after it until the BYE
          calleeArgs: ['-d', '2500'],
          callerArgs: ['-d', '3000'],
        });

        // Before the re-INVITE: RTP between the caller and the callee's first port.
        const first = await sidesOf(env, rtpe, callerRtp.port, calleeRtp.port);
        await rtpBothWays(callerRtp, first.caller, calleeRtp, first.callee, 0x5555, 0x6666);
        // After it: rtpengine sends the callee's media to the new port, and RTP flows there.
        const moved = await sidesOf(env, rtpe, callerRtp.port, calleeMoved.port);
        await rtpBothWays(callerRtp, moved.caller, calleeMoved, moved.callee, 0x5556, 0x7777);

        const [r, rc] = await bothDone(call);
        expect(audioOf(received(rc, 'INVITE '))).toEqual({ address: '127.0.0.1', port: first.callee });
        expect(audioOf(received(r, 'SIP/2.0 200 OK'))).toEqual({ address: '127.0.0.1', port: first.caller });
        // The re-INVITE reached the caller with rtpengine's SDP (not the callee's new port) and
        // its 200 reached the callee rewritten.
        expect(audioOf(received(r, 'INVITE '))).toEqual({ address: '127.0.0.1', port: moved.caller });
        expect(audioOf(received(rc, 'SIP/2.0 200 OK'))).toEqual({ address: '127.0.0.1', port: moved.callee });
        expect(await rtpengineEmpty(env)).toEqual([]);
        await expect.poll(() => commandsSince(env.sipmesh, before), { timeout: 5_000 }).toEqual({ 'offer ok': 2, 'answer ok': 2, 'delete ok': 1 });
      } finally {
        await callerRtp.close();
        await calleeRtp.close();
        await calleeMoved.close();
      }
    }, 60_000);

    it('200 calls at once all get rewritten SDPs both ways, and rtpengine is empty after their BYEs', async () => {
      const rtpe = env.rtpes[0] as RtpengineHandle;
      const before = await mediaCommands(env.sipmesh);
      const rtpPort = String(env.quietPort);
      const callee = runSipp({ scenario: scenarioPath('uas-media-call.xml'), role: 'uas', localPort: env.calleePort, calls: 200, timeoutS: 30, traceMessages: false, variables: { rtp_port: rtpPort } });
      await callee.ready;
      const caller = runSipp({
        scenario: scenarioPath('uac-media-call.xml'),
        role: 'uac',
        localPort: await freePort('udp+tcp'),
        remote: `127.0.0.1:${env.sipmesh.sipPort}`,
        calls: 200,
        rate: 1000,
        timeoutS: 30,
        traceMessages: false,
        variables: { rtp_port: rtpPort },
        extraArgs: ['-l', '200', '-d', '1000'],
      });
      // How many calls rtpengine held at once.
      let peak = 0;
      let finished = false;
      void caller.done.then(() => (finished = true));
      while (!finished) {
        peak = Math.max(peak, (await callsOf(env, rtpe)).length);
        await sleep(100);
      }
      const [r, rc] = [await caller.done, await callee.done];
      // Both scenarios check the SDP they got names rtpengine's range: a call that got the
      // other phone's SDP failed.
      expect(r.exitCode, r.summary).toBe(0);
      expect(r.successfulCalls).toBe(200);
      expect(rc.exitCode, rc.summary).toBe(0);
      expect(rc.successfulCalls).toBe(200);
      expect(peak, 'calls held by rtpengine at once').toBeGreaterThanOrEqual(150);
      expect(await rtpengineEmpty(env)).toEqual([]);
      await expect.poll(() => commandsSince(env.sipmesh, before), { timeout: 5_000 }).toEqual({ 'offer ok': 200, 'answer ok': 200, 'delete ok': 200 });
    }, 90_000);
  });

  describe('embedded mode (edge, router and media-control in one process)', () => {
    const env = useMediaSetup({ mode: 'local' });

    it('rewrites both SDPs to rtpengine, RTP flows both ways through it, and the BYE deletes the call', async () => {
      await basicCall(env);
    }, 60_000);

    it('shows rtpengine health and the calls it holds on the admin HTTP API (/media/rpc)', async () => {
      const admin = async (command: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
        const res = await fetch(`http://127.0.0.1:${env.sipmesh.adminPort}/media/rpc/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
        expect(res.status, command).toBe(200);
        return (await res.json()) as Record<string, unknown>;
      };
      const listing = (await (await fetch(`http://127.0.0.1:${env.sipmesh.adminPort}/media/rpc`)).json()) as { commands: { name: string }[] };
      expect(listing.commands.map((c) => c.name)).toEqual(expect.arrayContaining(['rtpengine.show', 'rtpengine.enable', 'media.sessions', 'media.query']));
      const rtpe = env.rtpes[0] as RtpengineHandle;
      const show = (await admin('rtpengine.show')) as { instances: { instance: string; state: string }[] };
      expect(show.instances).toEqual([expect.objectContaining({ instance: `127.0.0.1:${rtpe.ng.port}`, state: 'up' })]);

      // While a call is up it is listed with the instance that holds it, and rtpengine lists it too.
      const callerRtp = await RtpSocket.open();
      const calleeRtp = await RtpSocket.open();
      try {
        const call = await phones(env, { uas: 'uas-media-call.xml', uac: 'uac-media-call.xml', calleeVariables: { rtp_port: String(calleeRtp.port) }, callerVariables: { rtp_port: String(callerRtp.port) }, callerArgs: ['-d', '2000'] });
        await sidesOf(env, rtpe, callerRtp.port, calleeRtp.port);
        const [callId] = await callsOf(env, rtpe);
        const during = (await admin('media.sessions', { rtpengine: true })) as { count: number; sessions: { callId: string; entry: { instance: string } }[]; rtpengine: Record<string, string[]> };
        expect(during.count).toBe(1);
        expect(during.sessions).toEqual([expect.objectContaining({ callId, entry: expect.objectContaining({ instance: `127.0.0.1:${rtpe.ng.port}` }) })]);
        expect(during.rtpengine[`127.0.0.1:${rtpe.ng.port}`]).toEqual([callId]);
        expect(((await admin('media.query', { call_id: callId })) as { callId: string }).callId).toBe(callId);
        await bothDone(call);
      } finally {
        await callerRtp.close();
        await calleeRtp.close();
      }
      expect(await rtpengineEmpty(env)).toEqual([]);
      await expect.poll(async () => ((await admin('media.sessions')) as { count: number }).count, { timeout: 5_000 }).toBe(0);
    }, 60_000);
  });

  describe('two rtpengine instances behind media-control', () => {
    const env = useMediaSetup({
      mode: 'nats',
      rtpengines: 2,
      services: ['long'],
      media: { 'health.pingIntervalMs': 200, 'health.pingTimeoutMs': 150 },
    });

    /** The instances' states as media-control sees them (its admin command over the bus). */
    async function states(): Promise<Record<string, string>> {
      const reply = await env.sipmesh.bus.request('sipmesh.admin.v1.media.rtpengine.show', new TextEncoder().encode(JSON.stringify({ id: 'show', params: {} })), { timeoutMs: 2_000 });
      const body = JSON.parse(new TextDecoder().decode(reply.data)) as { result?: { instances: { instance: string; state: string }[] } };
      return Object.fromEntries((body.result?.instances ?? []).map((i) => [i.instance, i.state]));
    }

    /** `count` calls at once to the default callee, held `holdMs`; their callee's and caller's results. */
    function calls(count: number, holdMs: number): { callee: Promise<SippResult>; caller: Promise<SippResult> } {
      const rtpPort = String(env.quietPort);
      const callee = runSipp({ scenario: scenarioPath('uas-media-call.xml'), role: 'uas', localPort: env.calleePort, calls: count, timeoutS: 20, variables: { rtp_port: rtpPort } });
      const caller = (async () => {
        await callee.ready;
        return runSipp({
          scenario: scenarioPath('uac-media-call.xml'),
          role: 'uac',
          localPort: await freePort('udp+tcp'),
          remote: `127.0.0.1:${env.sipmesh.sipPort}`,
          calls: count,
          rate: 100,
          timeoutS: 20,
          variables: { rtp_port: rtpPort },
          extraArgs: ['-l', String(count), '-d', String(holdMs)],
        }).done;
      })();
      return { callee: callee.done, caller };
    }

    /** Which instance's RTP range each callee INVITE's SDP port is in (index in env.rtpes). */
    function instancesOf(rc: SippResult): number[] {
      return receivedAll(rc, 'INVITE ').map((text) => {
        const { port } = audioOf(text);
        return env.rtpes.findIndex((r) => port >= r.portMin && port <= r.portMax);
      });
    }

    it('spreads calls over both; when one stops, new calls all go to the survivor and succeed, and the survivor’s call ends with a clean BYE and delete', async () => {
      const [a, b] = env.rtpes as [RtpengineHandle, RtpengineHandle];
      const key = (r: RtpengineHandle): string => `127.0.0.1:${r.ng.port}`;
      expect(await states()).toEqual({ [key(a)]: 'up', [key(b)]: 'up' });
      const before = await mediaCommands(env.sipmesh);

      // Four calls at once: two on each (smooth weighted round robin, weights 1:1).
      const spread = calls(4, 1500);
      const held = await waitFor('4 calls held by the two rtpengines', async () => {
        const [onA, onB] = [(await callsOf(env, a)).length, (await callsOf(env, b)).length];
        return onA + onB >= 4 ? [onA, onB] : undefined;
      });
      expect(held).toEqual([2, 2]);
      const [r1, rc1] = [await spread.caller, await spread.callee];
      expect(r1.exitCode, r1.summary).toBe(0);
      expect(rc1.exitCode, rc1.summary).toBe(0);
      expect(instancesOf(rc1).sort()).toEqual([0, 0, 1, 1]);
      expect(await rtpengineEmpty(env, a)).toEqual([]);
      expect(await rtpengineEmpty(env, b)).toEqual([]);

      // A long call; the instance that does not hold it is stopped.
      const callerRtp = await RtpSocket.open();
      const calleeRtp = await RtpSocket.open();
      try {
        const longCallee = runSipp({ scenario: scenarioPath('uas-media-call.xml'), role: 'uas', localPort: env.servicePorts.get('long') as number, calls: 1, timeoutS: 20, variables: { rtp_port: String(calleeRtp.port) } });
        await longCallee.ready;
        const longCaller = runSipp({
          scenario: scenarioPath('uac-media-call.xml'),
          role: 'uac',
          localPort: await freePort('udp+tcp'),
          remote: `127.0.0.1:${env.sipmesh.sipPort}`,
          service: 'long',
          calls: 1,
          timeoutS: 20,
          variables: { rtp_port: String(callerRtp.port) },
          extraArgs: ['-d', '5000'],
        });
        const survivor = await waitFor('the long call in an rtpengine', async () => {
          if ((await callsOf(env, a)).length > 0) return a;
          if ((await callsOf(env, b)).length > 0) return b;
          return undefined;
        });
        const doomed = survivor === a ? b : a;
        await doomed.stop();
        await waitFor('media-control sees the stopped rtpengine down', async () => ((await states())[key(doomed)] === 'down' ? true : undefined), 5_000, 100);

        // New calls: all on the survivor, all succeed.
        const after = calls(4, 0);
        const [r2, rc2] = [await after.caller, await after.callee];
        expect(r2.exitCode, r2.summary).toBe(0);
        expect(rc2.exitCode, rc2.summary).toBe(0);
        const survivorIndex = env.rtpes.indexOf(survivor);
        expect(instancesOf(rc2)).toEqual([survivorIndex, survivorIndex, survivorIndex, survivorIndex]);

        // The long call on the survivor still carries media and ends with its BYE and delete.
        const sides = await sidesOf(env, survivor, callerRtp.port, calleeRtp.port);
        await rtpBothWays(callerRtp, sides.caller, calleeRtp, sides.callee, 0x8888, 0x9999);
        const [r, rc] = [await longCaller.done, await longCallee.done];
        expect(r.exitCode, r.summary).toBe(0);
        expect(rc.exitCode, rc.summary).toBe(0);
        expect(audioOf(received(rc, 'INVITE '))).toEqual({ address: '127.0.0.1', port: sides.callee });
        expect(await rtpengineEmpty(env, survivor)).toEqual([]);
        // 4 + 1 + 4 calls: every command of every call succeeded, nothing failed over or failed.
        await expect.poll(() => commandsSince(env.sipmesh, before), { timeout: 5_000 }).toEqual({ 'offer ok': 9, 'answer ok': 9, 'delete ok': 9 });
      } finally {
        await callerRtp.close();
        await calleeRtp.close();
      }
    }, 90_000);
  });
});
