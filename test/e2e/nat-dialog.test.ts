/**
 * A whole call between two phones behind NAT, on the wire: both write private addresses into Via
 * and Contact (as a phone behind a home router does) and are reachable only at the address they
 * send from. The callee registers (the registrar stores where it really is), the caller calls it
 * through the default policy, and the dialog's ACK and BYE reach each side through the Contact
 * aliases the edge adds (Kamailio set_contact_alias / handle_ruri_alias). Embedded with one edge,
 * and over NATS with the callee registered through one edge and the caller on another.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAuthorization } from '../../services/registrar/src/auth/digest-client.fixture.js';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { headerElements, headerValues, requestMethod, responseStatus, startLine } from '../helpers/sip-message-text.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

/** A phone on loopback UDP that writes `privateIp` as its own address, as one behind NAT does. */
class NatPhone {
  private socket: dgram.Socket | undefined;
  private readonly inbox: string[] = [];
  private waiters: (() => void)[] = [];
  private seq = 0;

  constructor(
    readonly user: string,
    readonly port: number,
    readonly privateIp: string,
  ) {}

  get contact(): string {
    return `<sip:${this.user}@${this.privateIp}:5060>`;
  }

  via(): string {
    return `Via: SIP/2.0/UDP ${this.privateIp}:5060;rport;branch=z9hG4bK-${this.user}-${++this.seq}`;
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data: Buffer) => {
      this.inbox.push(data.toString());
      for (const w of this.waiters.splice(0)) w();
    });
    socket.bind(this.port, '127.0.0.1');
    await once(socket, 'listening');
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  send(lines: readonly string[], to: number): void {
    this.socket?.send(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`), to, '127.0.0.1');
  }

  /** The next message received that `match` accepts (others before it are dropped); rejects after 5 s. */
  async next(match: (text: string) => boolean, what: string): Promise<string> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i !== -1) return this.inbox.splice(0, i + 1)[i] as string;
      if (Date.now() > deadline) throw new Error(`${this.user}: no ${what}; got:\n${this.inbox.map(startLine).join('\n')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  /** A response to `req` written by this phone: its Vias, Record-Route, From, To (tagged), Call-ID, CSeq. */
  answer(req: string, status: number, reason: string, extra: readonly string[] = []): string[] {
    const to = headerValues(req, 'to')[0] ?? '';
    return [
      `SIP/2.0 ${status} ${reason}`,
      ...headerValues(req, 'via').map((v) => `Via: ${v}`),
      ...headerValues(req, 'record-route').map((v) => `Record-Route: ${v}`),
      `From: ${headerValues(req, 'from')[0] ?? ''}`,
      `To: ${to.includes(';tag=') ? to : `${to};tag=${this.user}-tag`}`,
      `Call-ID: ${headerValues(req, 'call-id')[0] ?? ''}`,
      `CSeq: ${headerValues(req, 'cseq')[0] ?? ''}`,
      ...extra,
    ];
  }
}

const uriOf = (nameAddr: string): string => /<([^>]+)>/.exec(nameAddr)?.[1] ?? nameAddr;

interface Setup {
  mode: BusMode;
  /** Edges: the callee registers through the first, the caller calls through the last. */
  edges: number;
}

describe.each<Setup>([
  { mode: 'local', edges: 1 },
  { mode: 'nats', edges: 2 },
])('a call between two phones behind NAT ($mode bus, $edges edge(s))', async ({ mode, edges }) => {
  if (mode === 'nats' && !((await requireInfra('nats')) && (await requireInfra('redis')))) return;
  const tag = `${process.pid}${mode === 'nats' ? 'n' : 'l'}nat`;
  let sipmesh: SipmeshUnderTest;
  let dir: string;
  let alice: NatPhone;
  let bob: NatPhone;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipmesh-nat-'));
    writeFileSync(join(dir, 'subscribers.csv'), `username,password\nbob${tag},bob-pw\n`);
    const common = { 'auth.secret': `nat-${tag}`, 'auth.credentials.file': join(dir, 'subscribers.csv'), 'nat.keepalive.enabled': false };
    sipmesh = await startSipmesh({
      mode,
      routes: { rules: [], steps: [{ default: {} }] },
      registrar: mode === 'nats' ? { ...common, 'location.store': 'redis', 'location.keyPrefix': `sipmesh:e2e${tag}:loc:`, 'auth.redisKeyPrefix': `sipmesh:e2e${tag}:` } : common,
      ...(edges > 1 ? { extraEdges: edges - 1 } : {}),
    });
    alice = new NatPhone(`alice${tag}`, await freePort('udp'), '10.77.0.1');
    bob = new NatPhone(`bob${tag}`, await freePort('udp'), '10.77.0.2');
    await alice.start();
    await bob.start();
  }, 90_000);

  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await sipmesh?.stop();
    rmSync(dir, { recursive: true, force: true });
    await releasePorts(...[alice?.port, bob?.port].filter((p): p is number => p !== undefined));
  });

  it('connects the call and delivers the ACK and the BYE to each phone at its NAT address', async () => {
    const bobEdge = sipmesh.sipPort;
    const aliceEdge = sipmesh.extraEdgePorts[edges - 2] ?? sipmesh.sipPort;
    const domain = '127.0.0.1';

    // bob registers from behind NAT (digest answered)
    const register = (cseq: number, auth: string[] = []): string[] => [
      `REGISTER sip:${domain}:${bobEdge} SIP/2.0`,
      bob.via(),
      'Max-Forwards: 70',
      `From: <sip:${bob.user}@${domain}>;tag=reg`,
      `To: <sip:${bob.user}@${domain}>`,
      `Call-ID: reg-${tag}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: ${bob.contact}`,
      'Expires: 600',
      ...auth,
    ];
    bob.send(register(1), bobEdge);
    const challenge = await bob.next((t) => responseStatus(t) === 401, '401');
    const www = headerValues(challenge, 'www-authenticate')[0] ?? '';
    const authorization = clientAuthorization({
      username: bob.user,
      password: 'bob-pw',
      realm: /realm="([^"]+)"/.exec(www)?.[1] ?? '',
      nonce: /nonce="([^"]+)"/.exec(www)?.[1] ?? '',
      method: 'REGISTER',
      uri: `sip:${domain}:${bobEdge}`,
      nc: 1,
    });
    bob.send(register(2, [`Authorization: ${authorization}`]), bobEdge);
    await bob.next((t) => responseStatus(t) === 200, '200 to REGISTER');

    // alice calls bob: the INVITE reaches bob at the address it registered from, alice's Contact aliased
    const callId = `call-${tag}`;
    const invite = [
      `INVITE sip:${bob.user}@${domain} SIP/2.0`,
      alice.via(),
      'Max-Forwards: 70',
      `From: <sip:${alice.user}@${domain}>;tag=alice-tag`,
      `To: <sip:${bob.user}@${domain}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: ${alice.contact}`,
    ];
    alice.send(invite, aliceEdge);
    const inviteAtBob = await bob.next((t) => requestMethod(t) === 'INVITE', 'INVITE');
    expect(headerValues(inviteAtBob, 'contact')).toEqual([`<sip:${alice.user}@10.77.0.1:5060;alias=127.0.0.1~${alice.port}~1>`]);
    const recordRoutes = headerElements(inviteAtBob, 'record-route');
    expect(recordRoutes.length).toBeGreaterThanOrEqual(1);

    // bob answers with its private Contact: alice sees it aliased with where bob really is
    bob.send(bob.answer(inviteAtBob, 200, 'OK', [`Contact: ${bob.contact}`]), bobEdgeOf(inviteAtBob));
    const ok = await alice.next((t) => responseStatus(t) === 200, '200 to INVITE');
    const bobTarget = uriOf(headerValues(ok, 'contact')[0] ?? '');
    expect(bobTarget).toBe(`sip:${bob.user}@10.77.0.2:5060;alias=127.0.0.1~${bob.port}~1`);
    const aliceRoute = [...headerElements(ok, 'record-route')].reverse();

    // alice's ACK goes along the route set to bob's target: bob gets it, without the alias
    alice.send(
      [`ACK ${bobTarget} SIP/2.0`, alice.via(), 'Max-Forwards: 70', ...aliceRoute.map((r) => `Route: ${r}`), `From: <sip:${alice.user}@${domain}>;tag=alice-tag`, `To: ${headerValues(ok, 'to')[0] ?? ''}`, `Call-ID: ${callId}`, 'CSeq: 1 ACK'],
      aliceEdge,
    );
    const ack = await bob.next((t) => requestMethod(t) === 'ACK', 'ACK');
    expect(startLine(ack)).toBe(`ACK sip:${bob.user}@10.77.0.2:5060 SIP/2.0`);

    // bob hangs up: the BYE reaches alice at her NAT address, and her 200 comes back to bob
    const aliceTarget = uriOf(headerValues(inviteAtBob, 'contact')[0] ?? '');
    bob.send(
      [`BYE ${aliceTarget} SIP/2.0`, bob.via(), 'Max-Forwards: 70', ...recordRoutes.map((r) => `Route: ${r}`), `From: ${headerValues(ok, 'to')[0] ?? ''}`, `To: <sip:${alice.user}@${domain}>;tag=alice-tag`, `Call-ID: ${callId}`, 'CSeq: 1 BYE'],
      bobEdgeOf(inviteAtBob),
    );
    const bye = await alice.next((t) => requestMethod(t) === 'BYE', 'BYE');
    expect(startLine(bye)).toBe(`BYE sip:${alice.user}@10.77.0.1:5060 SIP/2.0`);
    alice.send(alice.answer(bye, 200, 'OK'), aliceEdge);
    await bob.next((t) => responseStatus(t) === 200 && /BYE/.test(headerValues(t, 'cseq')[0] ?? ''), '200 to BYE');
  }, 30_000);

  /** The edge bob talks to: the one whose Via is on top of the request bob got (it sent it). */
  function bobEdgeOf(req: string): number {
    const top = headerValues(req, 'via')[0] ?? '';
    return Number(/:(\d+)/.exec(top)?.[1] ?? sipmesh.sipPort);
  }
});
