/**
 * End to end: SIPp phones register through the edge with digest authentication, and calls to them
 * are routed by the router's default policy through a location lookup. Over real NATS with the
 * bindings in Redis and the subscribers in PostgreSQL (edge, router, registrar as processes), and
 * again embedded (in-process bus, memory location, subscriber file).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp, type SippHandle, type SippResult } from '../helpers/sipp.js';
import { headerValues, requestMethod } from '../helpers/sip-message-text.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';
import { TcpPhone } from './support/tcp-phone.js';

const MODES: BusMode[] = ['nats', 'local'];
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(MODES)('registrar over the %s bus', async (mode) => {
  if (!(await requireInfra('sipp'))) return;
  if (mode === 'nats' && !((await requireInfra('nats')) && (await requireInfra('redis')) && (await requireInfra('postgres')))) return;

  // Users unique to this run, so bindings and subscribers of other runs never interfere.
  const tag = `${process.pid}${mode === 'nats' ? 'n' : 'l'}`;
  const user = (name: string): string => `${name}${tag}`;
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory', 'ivan', 'tina'].map(user);
  const password = (u: string): string => `pw-${u}`;
  let uasA: number;
  let uasB: number;
  let carrierPort: number;
  let dir: string;
  const trunk = `trunk${tag}`;
  let sipmesh: SipmeshUnderTest;

  const adminUrl = (command: string): string => `http://127.0.0.1:${sipmesh.registrarAdminPorts[sipmesh.registrarAdminPorts.length - 1]}${mode === 'local' ? '/registrar' : ''}/rpc/${command}`;
  const admin = async (command: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(adminUrl(command), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    uasA = await freePort('udp', { leaseMs: Infinity });
    uasB = await freePort('udp', { leaseMs: Infinity });
    carrierPort = await freePort('udp', { leaseMs: Infinity });
    dir = mkdtempSync(join(tmpdir(), 'sipmesh-registrar-e2e-'));
    // One outbound registration, disabled until the carrier (a SIPp registrar) runs.
    writeFileSync(
      join(dir, 'uacreg.yaml'),
      JSON.stringify([{ l_uuid: trunk, l_username: users[0], l_domain: '127.0.0.1', r_username: 'acct1', r_domain: `127.0.0.1:${carrierPort}`, realm: 'carrier.test', auth_username: 'acct1', auth_password: 'carrier-pw', expires: 4, flags: 1 }]),
    );
    writeFileSync(join(dir, 'subscribers.csv'), ['username,password', ...users.map((u) => `${u},${password(u)}`)].join('\n'));
    const common = {
      'auth.secret': `e2e-${tag}`,
      'auth.ban.maxFailures': 4,
      'auth.ban.windowSec': 2,
      'auth.ban.banSec': 3,
      'register.minExpiresSec': 1,
      'location.sweepIntervalMs': 1000,
      'nat.keepalive.intervalSec': 1,
      'nat.keepalive.maxFailures': 2,
      'nat.keepalive.timeoutMs': 400,
      'uac.source': 'file',
      'uac.file': join(dir, 'uacreg.yaml'),
      'uac.timeoutMs': 1000,
      'uac.retryIntervalSec': 1,
    };
    const registrar =
      mode === 'nats'
        ? {
            ...common,
            'location.store': 'redis',
            'location.keyPrefix': `sipmesh:e2e${tag}:loc:`,
            'auth.redisKeyPrefix': `sipmesh:e2e${tag}:`,
            'auth.credentials.source': 'database',
            'database.url': PG_URL,
          }
        : { ...common, 'auth.credentials.file': join(dir, 'subscribers.csv') };
    sipmesh = await startSipmesh({ mode, routes: { rules: [], steps: [{ default: {} }] }, registrar, extraEdges: mode === 'nats' ? 1 : 0 });
    if (mode === 'nats') {
      for (const u of users) {
        await admin('subscriber.rm', { username: u, domain: '127.0.0.1' });
        const added = await admin('subscriber.add', { username: u, domain: '127.0.0.1', password: password(u) });
        expect(added, JSON.stringify(added.body)).toMatchObject({ status: 200, body: { status: 'added' } });
      }
    }
  }, 90_000);

  afterEach(async () => {
    await stopAllSipp();
  });

  afterAll(async () => {
    if (mode === 'nats' && sipmesh) for (const u of users) await admin('subscriber.rm', { username: u, domain: '127.0.0.1' }).catch(() => undefined);
    await sipmesh?.stop();
    rmSync(dir, { recursive: true, force: true });
    await releasePorts(uasA, uasB, carrierPort);
  });

  const uas = (scenario: string, port: number): SippHandle => runSipp({ scenario: scenarioPath(scenario), role: 'uas', localPort: port, calls: 1, timeoutS: 20 });
  const uac = async (scenario: string, service: string, extra: Partial<Parameters<typeof runSipp>[0]> = {}, via = sipmesh.sipPort): Promise<SippResult> => {
    const port = await freePort('udp+tcp');
    return runSipp({ scenario: scenarioPath(scenario), role: 'uac', localPort: port, remote: `127.0.0.1:${via}`, service, calls: 1, timeoutS: 20, ...extra }).done;
  };
  /** A phone registering `u` with `pw`, its calls going to the SIPp on `contactPort`. */
  const register = (u: string, contactPort: number, o: { pw?: string; scenario?: string; expires?: number; via?: number } = {}): Promise<SippResult> =>
    uac(o.scenario ?? 'uac-register.xml', u, { keys: { expires: String(o.expires ?? 3600), contact: `127.0.0.1:${contactPort}` }, extraArgs: ['-au', u, '-ap', o.pw ?? password(u)] }, o.via);
  const received = (r: SippResult): string[] => r.messages.filter((m) => m.direction === 'received').map((m) => m.text);

  it('registers a phone with digest authentication and routes a call to it', async () => {
    const alice = users[0] as string;
    const r = await register(alice, uasA);
    expect(r.outcome, r.summary).toBe('success');
    // The 200 lists the binding with its expiry.
    const ok = received(r).find((t) => t.startsWith('SIP/2.0 200')) ?? '';
    expect(headerValues(ok, 'Contact').join(',')).toMatch(new RegExp(`<sip:${alice}@127\\.0\\.0\\.1:${uasA};transport=udp>;expires=(3600|3599)`, 'i'));
    const lookup = await admin('ul.lookup', { aor: `${alice}@127.0.0.1` });
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ Contacts: [{ Address: expect.stringMatching(new RegExp(`^sip:${alice}@127\\.0\\.0\\.1:${uasA};transport=udp$`, 'i')), 'User-Agent': 'sipmesh-test-phone' }] });

    const callee = uas('uas-call.xml', uasA);
    await callee.ready;
    const call = await uac('uac-call.xml', alice);
    expect(call.outcome, call.summary).toBe('success');
    const c = await callee.done;
    expect(c.outcome, c.summary).toBe('success');
    // The callee got the INVITE at its registered Contact, through the edge.
    const invite = received(c).find((t) => requestMethod(t) === 'INVITE') ?? '';
    expect(invite.split('\r\n')[0]?.toLowerCase()).toBe(`invite sip:${alice}@127.0.0.1:${uasA};transport=udp sip/2.0`);
  });

  it('challenges a wrong password again and registers nothing', async () => {
    const bob = users[1] as string;
    const r = await register(bob, uasA, { pw: 'not-the-password', scenario: 'uac-register-rejected.xml' });
    expect(r.outcome, r.summary).toBe('success');
    expect((await admin('ul.lookup', { aor: `${bob}@127.0.0.1` })).status).toBe(404);
  });

  it('answers 404 to a call for a user with no binding', async () => {
    const r = await uac('uac-expect-404.xml', user('nobody'));
    expect(r.outcome, r.summary).toBe('success');
  });

  it('rings both contacts of a user in parallel and CANCELs the one that loses', async () => {
    const carol = users[2] as string;
    expect((await register(carol, uasA)).outcome).toBe('success');
    expect((await register(carol, uasB)).outcome).toBe('success');
    const winner = uas('uas-ring-then-answer.xml', uasA);
    const loser = uas('uas-ring-expect-cancel.xml', uasB);
    await Promise.all([winner.ready, loser.ready]);
    const r = await uac('uac-call.xml', carol);
    expect(r.outcome, r.summary).toBe('success');
    const [w, l] = await Promise.all([winner.done, loser.done]);
    expect(w.outcome, w.summary).toBe('success');
    expect(l.outcome, l.summary).toBe('success');
    expect(received(l).some((t) => requestMethod(t) === 'CANCEL')).toBe(true);
  });

  it('drops a binding when it expires, and calls get 404 again', async () => {
    const dave = users[3] as string;
    expect((await register(dave, uasA, { expires: 2 })).outcome).toBe('success');
    expect((await admin('ul.lookup', { aor: `${dave}@127.0.0.1` })).status).toBe(200);
    await sleep(3200);
    expect((await admin('ul.lookup', { aor: `${dave}@127.0.0.1` })).status).toBe(404);
    const r = await uac('uac-expect-404.xml', dave);
    expect(r.outcome, r.summary).toBe('success');
  });

  it('bans a user after repeated failures with 403 Try later, and lets it in when the ban ends', async () => {
    const mallory = users[5] as string;
    await sleep(2100); // failures of earlier tests are out of the counting window
    for (let i = 0; i < 3; i++) {
      const r = await register(mallory, uasA, { pw: 'guess', scenario: 'uac-register-rejected.xml' });
      expect(r.outcome, `attempt ${i + 1}: ${r.summary}`).toBe('success');
    }
    const fourth = await register(mallory, uasA, { pw: 'guess', scenario: 'uac-register-banned.xml' });
    expect(fourth.outcome, fourth.summary).toBe('success');
    // The right password does not help while the ban lasts.
    const right = await register(mallory, uasA, { scenario: 'uac-register-banned.xml' });
    expect(right.outcome, right.summary).toBe('success');
    await sleep(3200);
    const after = await register(mallory, uasA);
    expect(after.outcome, after.summary).toBe('success');
  });

  it('keeps a phone behind NAT alive with OPTIONS to its source address, and drops it once it stops answering', async () => {
    const ivan = users[6] as string;
    const phone = await uac('uac-register-nat.xml', ivan, { keys: { expires: '3600', contact: '10.0.0.7:5062' }, extraArgs: ['-au', ivan, '-ap', password(ivan), '-aa', '-d', '2500'] });
    expect(phone.outcome, phone.summary).toBe('success');
    // The pings reached the phone where its REGISTERs came from, addressed to its (private) Contact.
    const pings = received(phone).filter((t) => requestMethod(t) === 'OPTIONS');
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(pings[0]?.split('\r\n')[0]?.toLowerCase()).toBe(`options sip:${ivan}@10.0.0.7:5062;transport=udp sip/2.0`);
    // The phone is gone now: two rounds without an answer remove its binding.
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) {
      await sleep(250);
      status = (await admin('ul.lookup', { aor: `${ivan}@127.0.0.1` })).status;
    }
    expect(status).toBe(404);
  });

  it('reaches a phone registered over TCP through the connection it registered on', async () => {
    const tina = users[7] as string;
    const phone = new TcpPhone(sipmesh.sipPort);
    await phone.connect();
    try {
      expect(await phone.register(tina, password(tina))).toBe(200);
      // Its Contact names a port nothing listens on: the binding keeps where the REGISTER came from.
      const lookup = await admin('ul.lookup', { aor: `${tina}@127.0.0.1` });
      expect((lookup.body['Contacts'] as { Received: string }[])[0]?.Received).toMatch(/^sip:127\.0\.0\.1:\d+;transport=tcp$/);
      const call = await uac('uac-call-486.xml', tina);
      expect(call.outcome, call.summary).toBe('success');
      const invite = phone.received.find((t) => requestMethod(t) === 'INVITE') ?? '';
      expect(invite.split('\r\n')[0]).toBe(`INVITE sip:${tina}@127.0.0.1:${phone.fakePort};transport=tcp SIP/2.0`);
      expect(phone.received.some((t) => requestMethod(t) === 'ACK')).toBe(true);
      expect(phone.closed).toBe(false);
    } finally {
      phone.close();
    }
  });

  it('registers itself to a carrier that challenges, stays registered across refreshes, and takes the calls for it', async () => {
    const carrier = runSipp({ scenario: scenarioPath('uas-registrar-challenge.xml'), role: 'uas', localPort: carrierPort, calls: 1, timeoutS: 30, keys: { realm: 'carrier.test', user: 'acct1', password: 'carrier-pw', grant: '4' } });
    await carrier.ready;
    expect((await admin('uac.reg_enable', { l_uuid: trunk })).status).toBe(200);
    const c = await carrier.done;
    // Three challenged registrations of one Call-ID: the first and two refreshes, each with valid credentials.
    expect(c.outcome, c.summary).toBe('success');
    const registers = received(c).filter((t) => requestMethod(t) === 'REGISTER');
    expect(registers).toHaveLength(6);
    expect(new Set(registers.map((t) => headerValues(t, 'Call-ID')[0])).size).toBe(1);
    expect(registers.map((t) => headerValues(t, 'CSeq')[0])).toEqual(['1 REGISTER', '2 REGISTER', '3 REGISTER', '4 REGISTER', '5 REGISTER', '6 REGISTER']);
    // The Contact names the edge that sent the REGISTERs (any of them; the same one for every refresh).
    const contacts = registers.map((t) => headerValues(t, 'Contact')[0] ?? '');
    expect(new Set(contacts).size).toBe(1);
    const edgePorts = [sipmesh.sipPort, ...sipmesh.extraEdgePorts].join('|');
    expect(contacts[0]).toMatch(new RegExp(`^<sip:${trunk}@127\\.0\\.0\\.1:(${edgePorts});transport=udp>`, 'i'));
    const info = await admin('uac.reg_info', { attr: 'l_uuid', val: trunk });
    expect(info.body).toMatchObject({ l_uuid: trunk, last_status: 200, auth_password: '(set)' });

    // A call from the carrier to the Contact it registered reaches the local user's phone (uac_reg_lookup).
    const alice = users[0] as string;
    expect((await register(alice, uasA)).outcome).toBe('success');
    const phone = uas('uas-call.xml', uasA);
    await phone.ready;
    const call = await uac('uac-call.xml', trunk);
    expect(call.outcome, call.summary).toBe('success');
    expect((await phone.done).outcome).toBe('success');
  });

  // Several edges and process restarts exist only in the distributed mode.
  if (mode === 'nats') {
    it('routes a call arriving at a second edge through the edge the phone registered with', async () => {
      const erin = users[4] as string;
      expect((await register(erin, uasA)).outcome).toBe('success');
      const callee = uas('uas-call.xml', uasA);
      await callee.ready;
      const call = await uac('uac-call.xml', erin, {}, sipmesh.extraEdgePorts[0]);
      expect(call.outcome, call.summary).toBe('success');
      const c = await callee.done;
      expect(c.outcome, c.summary).toBe('success');
      // Two Vias of sipmesh: the second edge's, then the registering edge's on top.
      const invite = received(c).find((t) => requestMethod(t) === 'INVITE') ?? '';
      const vias = headerValues(invite, 'Via');
      expect(vias[0]).toContain(`127.0.0.1:${sipmesh.sipPort}`);
      expect(vias[1]).toContain(`127.0.0.1:${sipmesh.extraEdgePorts[0]}`);
    });

    it('keeps every binding across restarts of the registrar and of the edge', async () => {
      const alice = users[0] as string;
      const old = sipmesh.registrars[0];
      if (old) {
        old.kill('SIGTERM');
        await new Promise((r) => old.once('exit', r));
      }
      await sipmesh.startRegistrar();
      await sipmesh.restartEdge();
      expect((await admin('ul.lookup', { aor: `${alice}@127.0.0.1` })).status).toBe(200);
      const callee = uas('uas-call.xml', uasA);
      await callee.ready;
      const call = await uac('uac-call.xml', alice);
      expect(call.outcome, call.summary).toBe('success');
      expect((await callee.done).outcome).toBe('success');
    });
  }
});

describe('authentication of calls from local users (nats bus)', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('nats')) && (await requireInfra('redis')) && (await requireInfra('postgres')))) return;
  const tag = `${process.pid}a`;
  const caller = `frank${tag}`;
  const callee = `grace${tag}`;
  let uasPort: number;
  let gwPort: number;
  let sipmesh: SipmeshUnderTest;
  const admin = async (command: string, params: Record<string, unknown>): Promise<Response> =>
    fetch(`http://127.0.0.1:${sipmesh.registrarAdminPorts[0]}/rpc/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });

  beforeAll(async () => {
    uasPort = await freePort('udp', { leaseMs: Infinity });
    gwPort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({
      mode: 'nats',
      routes: {
        rules: [],
        steps: [
          // Calls to gw* go to a carrier gateway that demands credentials (uac_auth at the edge).
          { rules: [{ match: { ruri_user: 'gw*' }, routes: [{ dst_uri: `sip:127.0.0.1:${gwPort}`, auth: { username: 'trunk1', password: 'gw-pw', realm: 'gw.test' } }] }] },
          { auth: {} },
          { default: {} },
        ],
      },
      registrar: { 'location.store': 'redis', 'location.keyPrefix': `sipmesh:e2e${tag}:loc:`, 'auth.redisKeyPrefix': `sipmesh:e2e${tag}:`, 'auth.credentials.source': 'database', 'database.url': PG_URL, 'auth.secret': tag },
      // The edge answers the first REGISTER's challenge itself; the registrar must take its nonce.
      edge: { 'registrar.challenge.enabled': true, 'registrar.challenge.secret': tag },
    });
    for (const u of [caller, callee]) {
      await admin('subscriber.rm', { username: u, domain: '127.0.0.1' });
      expect((await admin('subscriber.add', { username: u, domain: '127.0.0.1', password: `pw-${u}` })).status).toBe(200);
    }
  }, 90_000);

  afterEach(async () => {
    await stopAllSipp();
  });

  afterAll(async () => {
    if (sipmesh) for (const u of [caller, callee]) await admin('subscriber.rm', { username: u, domain: '127.0.0.1' }).catch(() => undefined);
    await sipmesh?.stop();
    await releasePorts(uasPort, gwPort);
  });

  it('challenges the INVITE with 407, accepts the credentials and relays the call without them', async () => {
    const port = await freePort('udp+tcp');
    const reg = await runSipp({ scenario: scenarioPath('uac-register.xml'), role: 'uac', localPort: port, remote: `127.0.0.1:${sipmesh.sipPort}`, service: callee, calls: 1, timeoutS: 20, keys: { expires: '3600', contact: `127.0.0.1:${uasPort}` }, extraArgs: ['-au', callee, '-ap', `pw-${callee}`] }).done;
    expect(reg.outcome, reg.summary).toBe('success');
    // the 401 came from the edge (registrar.challenge), and the registrar accepted the edge's nonce
    expect((await sipmesh.metrics()).get('sipmesh_edge_register_challenges_local_total')).toBe(1);
    const phone = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: uasPort, calls: 1, timeoutS: 20 });
    await phone.ready;
    const call = await runSipp({ scenario: scenarioPath('uac-call-auth.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: callee, calls: 1, timeoutS: 20, keys: { caller }, extraArgs: ['-au', caller, '-ap', `pw-${caller}`, '-auth_uri', `${callee}@127.0.0.1:${sipmesh.sipPort}`] }).done;
    expect(call.outcome, call.summary).toBe('success');
    const c = await phone.done;
    expect(c.outcome, c.summary).toBe('success');
    const invite = c.messages.filter((m) => m.direction === 'received').map((m) => m.text).find((t) => requestMethod(t) === 'INVITE') ?? '';
    expect(invite).not.toBe('');
    expect(headerValues(invite, 'Proxy-Authorization')).toEqual([]);
  });

  it('answers the 407 of a carrier gateway with the route\'s credentials, and keeps the CSeq numbers of both ends consistent', async () => {
    const gw = runSipp({ scenario: scenarioPath('uas-challenge-407.xml'), role: 'uas', localPort: gwPort, calls: 1, timeoutS: 20, keys: { realm: 'gw.test' } });
    await gw.ready;
    const call = await runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'gw4420001', calls: 1, timeoutS: 20 }).done;
    expect(call.outcome, call.summary).toBe('success');
    const g = await gw.done;
    expect(g.outcome, g.summary).toBe('success');
    const atGw = g.messages.filter((m) => m.direction === 'received').map((m) => m.text);
    const cseqAtGw = atGw.map((t) => `${requestMethod(t) ?? ''} ${headerValues(t, 'CSeq')[0] ?? ''}`);
    // The gateway saw INVITE 1, its ACK, the authenticated INVITE 2, then ACK 2 and BYE 3 from the caller's 1 and 2.
    expect(cseqAtGw).toEqual(expect.arrayContaining(['INVITE 1 INVITE', 'ACK 1 ACK', 'INVITE 2 INVITE', 'BYE 3 BYE']));
    expect(cseqAtGw.filter((c) => c.startsWith('ACK ') && c !== 'ACK 1 ACK').every((c) => c === 'ACK 2 ACK')).toBe(true);
    // The credentials answer the gateway's challenge (computed here, RFC 2617 §3.2.2 with qop=auth).
    const authz = headerValues(atGw.find((t) => requestMethod(t) === 'INVITE' && /Proxy-Authorization/i.test(t)) ?? '', 'Proxy-Authorization')[0] ?? '';
    const field = (name: string): string => new RegExp(`${name}="?([^",]+)"?`).exec(authz)?.[1] ?? '';
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    expect(field('username')).toBe('trunk1');
    const ha1 = md5('trunk1:gw.test:gw-pw');
    const ha2 = md5(`INVITE:${field('uri')}`);
    expect(field('response')).toBe(md5(`${ha1}:${field('nonce')}:${field('nc')}:${field('cnonce')}:auth:${ha2}`));
    expect(field('uri')).toBe(`sip:gw4420001@127.0.0.1:${sipmesh.sipPort}`);
    // The caller saw its own numbers in every response.
    const atCaller = call.messages.filter((m) => m.direction === 'received').map((m) => headerValues(m.text, 'CSeq')[0]);
    expect(atCaller).toContain('1 INVITE');
    expect(atCaller).toContain('2 BYE');
    expect(atCaller).not.toContain('2 INVITE');
    expect(atCaller).not.toContain('3 BYE');
  });
});
