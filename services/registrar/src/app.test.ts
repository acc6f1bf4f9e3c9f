/**
 * The registrar as the edge and the router use it: route requests of method REGISTER, location
 * lookups and auth checks over the bus, registration events, admin commands. In-process bus and
 * memory store here; the Redis/PostgreSQL deployment is run through the edge by the e2e tests.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTRACT_VERSION, decodeEvents, subjects, type Reply, type RouteParams } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, loadConfig, LocalBus } from '@sipmesh/runtime';
import { createRegistrarApp, type RegistrarApp } from './app.js';
import { clientAuthorization, nonceOf } from './auth/digest-client.fixture.js';
import { registrarConfigSchema, type RegistrarConfig } from './config/registrar-config.js';
import { ADMIN_COMMANDS } from './service/admin-commands.js';

let dir: string;
let bus: LocalBus;
let app: RegistrarApp | undefined;
let seq = 0;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registrar-app-'));
  await writeFile(join(dir, 'subscribers.csv'), 'username,password\n1001,secret1001\n1002,secret1002\n');
  bus = new LocalBus();
});

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await bus.drain();
  await rm(dir, { recursive: true, force: true });
});

async function start(overrides: Record<string, unknown> = {}): Promise<RegistrarApp> {
  const config = loadConfig<RegistrarConfig>({
    schema: registrarConfigSchema,
    env: {},
    envMap: {},
    overrides: { 'auth.credentials.file': join(dir, 'subscribers.csv'), 'auth.secret': 'test-secret', ...overrides },
  }) as RegistrarConfig;
  app = await createRegistrarApp({ config, bus, logger: createLogger({ service: 'test', level: 'silent' }), registry: createMetricsRegistry({ service: 'test' }), tracing: false });
  return app;
}

interface RegisterOptions {
  user?: string;
  contact?: string[];
  expires?: string;
  authorization?: string;
  callId?: string;
  cseq?: number;
  edge?: string;
}

function registerParams(o: RegisterOptions = {}): RouteParams {
  const user = o.user ?? '1001';
  const contact = o.contact ?? [`<sip:${user}@127.0.0.1:5062>`];
  const headers: Record<string, string[]> = {
    via: ['SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1;rport=5062;received=127.0.0.1'],
    to: [`<sip:${user}@example.com>`],
    from: [`<sip:${user}@example.com>;tag=1`],
    contact,
    'user-agent': ['test-phone/1.0'],
  };
  if (o.expires !== undefined) headers['expires'] = [o.expires];
  if (o.authorization !== undefined) headers['authorization'] = [o.authorization];
  return {
    version: CONTRACT_VERSION,
    edge: o.edge ?? 'edge1',
    tx: `edge1.1.${++seq}`,
    method: 'REGISTER',
    ruri: 'sip:example.com',
    ruri_parts: { scheme: 'sip', host: 'example.com' },
    from: { uri: `sip:${user}@example.com`, user, host: 'example.com', tag: '1' },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: o.callId ?? 'call-1',
    cseq: { seq: o.cseq ?? seq, method: 'REGISTER' },
    contact,
    headers,
    source: { ip: '127.0.0.1', port: 5062, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060, advertise: '127.0.0.1:5060' },
    ours: { ruri: true, from: true },
    auth: null,
    attempt: 1,
    received_at: new Date().toISOString(),
  } as RouteParams;
}

async function ask<T>(subject: string, params: unknown): Promise<{ result?: T; error?: { code: number; message: string } }> {
  const method = subject === subjects.register ? 'route' : subject === subjects.lookup ? 'lookup' : 'auth';
  const msg = await bus.request(subject, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: `edge1.1.${++seq}`, method, params })), { timeoutMs: 2000 });
  return msg.json();
}

async function register(o: RegisterOptions = {}): Promise<Reply> {
  const r = await ask<{ reply: Reply }>(subjects.register, registerParams(o));
  if (!r.result) throw new Error(`no result: ${JSON.stringify(r.error)}`);
  return r.result.reply;
}

/** Challenge, then answer it with `password`: the second reply. */
async function registerWithAuth(password: string, o: RegisterOptions = {}): Promise<Reply> {
  const challenge = await register(o);
  expect(challenge.code).toBe(401);
  const www = (challenge.headers ?? []).find((h) => h.startsWith('WWW-Authenticate:')) as string;
  const user = o.user ?? '1001';
  const authorization = clientAuthorization({ username: user, password, realm: 'example.com', nonce: nonceOf(www), method: 'REGISTER', uri: 'sip:example.com' });
  return register({ ...o, authorization, cseq: (o.cseq ?? seq) + 1 });
}

describe('registrar over the bus', () => {
  it('challenges a REGISTER without credentials with 401 and stores the binding once it authenticates', async () => {
    await start();
    const events: Record<string, unknown>[] = [];
    bus.subscribe(subjects.events.registration, (m) => void events.push(...(decodeEvents(m.data) as Record<string, unknown>[])));
    const ok = await registerWithAuth('secret1001');
    expect(ok.code).toBe(200);
    expect(ok.headers?.some((h) => /^Contact: <sip:1001@127\.0\.0\.1:5062>;expires=3600$/.test(h))).toBe(true);
    const lookup = await ask<{ groups: { uri: string; edge: string; edge_uri?: string; user_agent?: string }[][] }>(subjects.lookup, { version: CONTRACT_VERSION, aor: '1001@example.com' });
    expect(lookup.result?.groups).toEqual([[expect.objectContaining({ uri: 'sip:1001@127.0.0.1:5062', edge: 'edge1', edge_uri: 'sip:127.0.0.1:5060;transport=udp', user_agent: 'test-phone/1.0' })]]);
    // events leave in messages gathered for up to events.batch.maxDelayMs
    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events).toEqual([expect.objectContaining({ type: 'registration', action: 'added', aor: '1001@example.com', contact: 'sip:1001@127.0.0.1:5062', expires: 3600, edge: 'edge1' })]);
  });

  it('keeps refusing a wrong password and registers nothing', async () => {
    await start();
    const bad = await registerWithAuth('wrong');
    expect(bad.code).toBe(401);
    const lookup = await ask<{ groups: unknown[] }>(subjects.lookup, { version: CONTRACT_VERSION, aor: '1001@example.com' });
    expect(lookup.result?.groups).toEqual([]);
  });

  it('answers 403 Try later once a user has failed too often, for the ban period', async () => {
    await start({ 'auth.ban.maxFailures': 3, 'auth.ban.banSec': 60 });
    for (let i = 0; i < 2; i++) expect((await registerWithAuth('wrong')).code).toBe(401);
    expect(await registerWithAuth('wrong')).toMatchObject({ code: 403, reason: 'Try later' });
    // Now even the right password is refused until the ban ends.
    const challenge = await register();
    expect(challenge).toMatchObject({ code: 401 });
    const www = (challenge.headers ?? [])[0] as string;
    const authorization = clientAuthorization({ username: '1001', password: 'secret1001', realm: 'example.com', nonce: nonceOf(www), method: 'REGISTER', uri: 'sip:example.com' });
    expect(await register({ authorization })).toMatchObject({ code: 403, reason: 'Try later' });
  });

  it('registers without authentication when auth is off, and answers 423 below the minimum expiry', async () => {
    await start({ 'auth.enabled': false });
    expect(await register({ expires: '30' })).toMatchObject({ code: 423, reason: 'Interval Too Brief', headers: expect.arrayContaining(['Min-Expires: 60']) });
    expect((await register({ expires: '120' })).code).toBe(200);
  });

  it('checks the credentials of other requests on the auth subject: 407 challenge, then ok', async () => {
    await start();
    const base = { version: CONTRACT_VERSION, method: 'INVITE', ruri: 'sip:1002@example.com', realm: 'example.com', check_user: '1001', source_ip: '127.0.0.1' };
    const first = await ask<{ result: string; reply: Reply }>(subjects.auth, { ...base, credentials: [] });
    expect(first.result).toMatchObject({ result: 'challenge', reply: { code: 407, reason: 'Proxy Authentication Required' } });
    const nonce = nonceOf((first.result?.reply.headers ?? [])[0] as string);
    const credentials = [clientAuthorization({ username: '1001', password: 'secret1001', realm: 'example.com', nonce, method: 'INVITE', uri: 'sip:1002@example.com' })];
    expect((await ask(subjects.auth, { ...base, credentials })).result).toMatchObject({ result: 'ok', user: '1001' });
    // The same nonce count again is a replay.
    expect((await ask(subjects.auth, { ...base, credentials })).result).toMatchObject({ result: 'challenge', reason: 'replayed' });
    // Authenticated as 1001 while the From user is 1002: auth_check flag 1 refuses.
    const other = clientAuthorization({ username: '1001', password: 'secret1001', realm: 'example.com', nonce, method: 'INVITE', uri: 'sip:1002@example.com', nc: 2 });
    expect((await ask(subjects.auth, { ...base, check_user: '1002', credentials: [other] })).result).toMatchObject({ result: 'challenge', reason: 'user-mismatch' });
  });

  it('answers a malformed request with a JSON-RPC error instead of silence', async () => {
    await start();
    const r = await ask(subjects.lookup, { version: CONTRACT_VERSION });
    expect(r.error?.message).toMatch(/invalid request/);
  });

  it('serves ul.lookup, ul.dump, ul.rm with Kamailio field names and announces the removal', async () => {
    await start({ 'auth.enabled': false });
    await register({ contact: ['<sip:1001@127.0.0.1:5062>;q=0.5', '<sip:1001@127.0.0.1:5064>'] });
    const run = (name: string, params: Record<string, unknown>): unknown => ADMIN_COMMANDS.find((c) => c.name === name)?.run(params, app as RegistrarApp);
    const found = (await run('ul.lookup', { aor: 'sip:1001@example.com' })) as { Contacts: { Address: string; Q: number }[] };
    expect(found.Contacts.map((c) => [c.Address, c.Q]).sort()).toEqual([
      ['sip:1001@127.0.0.1:5062', 0.5],
      ['sip:1001@127.0.0.1:5064', -1],
    ]);
    const dump = (await run('ul.dump', {})) as { Domains: { AoRs: number; Contacts: number }[] };
    expect(dump.Domains[0]).toMatchObject({ AoRs: 1, Contacts: 2 });
    const removedEvents: unknown[] = [];
    // the registrations' own events may still be gathering for their message
    bus.subscribe(subjects.events.registration, (m) => void removedEvents.push(...(decodeEvents(m.data) as { action: string }[]).filter((e) => e.action === 'removed')));
    expect(await run('ul.rm_contact', { aor: '1001@example.com', contact: 'sip:1001@127.0.0.1:5064' })).toEqual({ status: 'ok', removed: 1 });
    expect(await run('ul.rm', { aor: '1001@example.com' })).toEqual({ status: 'ok', removed: 1 });
    await expect(run('ul.lookup', { aor: '1001@example.com' })).rejects.toMatchObject({ status: 404 });
    await vi.waitFor(() => expect(removedEvents).toHaveLength(2));
    expect(removedEvents).toEqual([expect.objectContaining({ action: 'removed', contact: 'sip:1001@127.0.0.1:5064' }), expect.objectContaining({ action: 'removed', contact: 'sip:1001@127.0.0.1:5062' })]);
  });

  it('refuses subscriber changes when the subscribers come from a file, and reloads the file', async () => {
    await start();
    const run = (name: string, params: Record<string, unknown>): unknown => ADMIN_COMMANDS.find((c) => c.name === name)?.run(params, app as RegistrarApp);
    await expect(run('subscriber.add', { username: '1003', password: 'x' })).rejects.toMatchObject({ status: 409 });
    await writeFile(join(dir, 'subscribers.csv'), 'username,password\n1001,changed\n');
    expect(await run('subscriber.reload', {})).toMatchObject({ status: 'reloaded', subscribers: 1 });
    expect((await registerWithAuth('changed')).code).toBe(200);
    await writeFile(join(dir, 'subscribers.csv'), 'username,password\n1001\n');
    await expect(run('subscriber.reload', {})).rejects.toMatchObject({ status: 422 });
  });

  it('answers its admin commands on the bus, from any registrar and from this one', async () => {
    await start({ 'auth.enabled': false });
    await register({ contact: ['<sip:1001@127.0.0.1:5062>'] });
    const any = await bus.request(subjects.registrarAdmin('ul.count'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a1', params: {} })), { timeoutMs: 2000 });
    expect(any.json()).toEqual({ jsonrpc: '2.0', id: 'a1', result: { aors: 1, contacts: 1 } });
    const mine = await bus.request(subjects.registrarInstanceAdmin('registrar1', 'ul.lookup'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a2', params: { aor: 'nobody@example.com' } })), { timeoutMs: 2000 });
    expect(mine.json()).toMatchObject({ id: 'a2', error: { code: 404, message: 'AOR not found: nobody@example.com' } });
  });

  it('refuses to start without its subscriber file, naming it', async () => {
    await expect(start({ 'auth.credentials.file': join(dir, 'missing.csv') })).rejects.toThrow(/missing\.csv/);
  });
});
