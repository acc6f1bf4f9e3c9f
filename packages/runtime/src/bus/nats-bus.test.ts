/**
 * NatsBus behaviour beyond the shared contract: JetStream streams and events on the shared
 * server (127.0.0.1:4222), and reconnection against a private nats-server this file starts
 * and stops by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Bus, BusMessage } from './bus.js';
import { BusErrorCode } from './bus-error.js';
import { connectNatsBus } from './nats-bus.js';

const SHARED_NATS = '127.0.0.1:4222';
const NATS_SERVER_BIN = '/usr/sbin/nats-server';

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const dec = (u: Uint8Array): string => Buffer.from(u).toString('utf8');
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const opened: Bus[] = [];
afterEach(async () => {
  for (const bus of opened.splice(0)) await bus.close();
});

async function openBus(servers: string, extra: Partial<Parameters<typeof connectNatsBus>[0]> = {}): Promise<Bus> {
  const bus = await connectNatsBus({ servers, name: 'runtime-nats-test', ...extra });
  opened.push(bus);
  return bus;
}

async function withJsm<T>(fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: SHARED_NATS });
  try {
    return await fn(await jetstreamManager(nc));
  } finally {
    await nc.close();
  }
}

describe('NatsBus JetStream', () => {
  const stream = `RT_TEST_${randomBytes(4).toString('hex').toUpperCase()}`;
  const subjectRoot = `rt.${stream.toLowerCase()}`;

  afterAll(async () => {
    await withJsm((jsm) => jsm.streams.delete(stream)).catch(() => undefined);
  });

  it('creates a stream, leaves it alone when unchanged and updates subjects and limits', async () => {
    const bus = await openBus(SHARED_NATS);
    await bus.ensureStream(stream, [`${subjectRoot}.a.>`]);
    await bus.ensureStream(stream, [`${subjectRoot}.a.>`]);
    let info = await withJsm((jsm) => jsm.streams.info(stream));
    expect(info.config.subjects).toEqual([`${subjectRoot}.a.>`]);
    await bus.ensureStream(stream, [`${subjectRoot}.a.>`, `${subjectRoot}.b.>`], { maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 });
    info = await withJsm((jsm) => jsm.streams.info(stream));
    expect([...(info.config.subjects ?? [])].sort()).toEqual([`${subjectRoot}.a.>`, `${subjectRoot}.b.>`]);
    expect(info.config.max_age).toBe(3_600_000 * 1_000_000);
    expect(info.config.duplicate_window).toBe(60_000 * 1_000_000);
  });

  it('stores an event once per msgId', async () => {
    const bus = await openBus(SHARED_NATS);
    await bus.ensureStream(stream, [`${subjectRoot}.a.>`, `${subjectRoot}.b.>`]);
    const before = (await withJsm((jsm) => jsm.streams.info(stream))).state.messages;
    await bus.publishEvent(`${subjectRoot}.a.tx`, enc('{"n":1}'), { msgId: 'dup-1' });
    await bus.publishEvent(`${subjectRoot}.a.tx`, enc('{"n":1}'), { msgId: 'dup-1' });
    await bus.publishEvent(`${subjectRoot}.a.tx`, enc('{"n":2}'), { msgId: 'dup-2' });
    const after = (await withJsm((jsm) => jsm.streams.info(stream))).state.messages;
    expect(after - before).toBe(2);
  });

  it('rejects an event no stream captures with BUS_NO_STREAM', async () => {
    const bus = await openBus(SHARED_NATS);
    await expect(bus.publishEvent(`rt.nostream.${randomBytes(4).toString('hex')}`, enc('x'), { msgId: '1' })).rejects.toMatchObject({
      code: BusErrorCode.noStream,
    });
  });
});

describe('NatsBus no-responders status', () => {
  it('reaches only subscriptions of the publishing connection (server behaviour LocalBus documents)', async () => {
    const a = await openBus(SHARED_NATS);
    const b = await openBus(SHARED_NATS);
    const reply = `rt.${randomBytes(4).toString('hex')}.continue`;
    const onA: BusMessage[] = [];
    const onB: BusMessage[] = [];
    a.subscribe(reply, (m) => onA.push(m));
    b.subscribe(reply, (m) => onB.push(m));
    await a.flush();
    await b.flush();
    a.publish(`rt.${randomBytes(4).toString('hex')}.nobody`, enc('x'), { reply });
    await delay(200);
    expect(onA.map((m) => m.noResponders)).toEqual([true]);
    expect(onB).toHaveLength(0);
  });
});

describe('NatsBus connection', () => {
  let server: ChildProcess | undefined;

  afterEach(async () => {
    await stopServer(server);
    server = undefined;
  });

  it('fails with BUS_CONNECT_FAILED when no server listens', async () => {
    const port = await freePort();
    await expect(connectNatsBus({ servers: `127.0.0.1:${port}`, name: 't', connectTimeoutMs: 500 })).rejects.toMatchObject({
      code: BusErrorCode.connectFailed,
    });
  });

  it('buffers publishes and requests while reconnecting and replays them in order', async () => {
    const port = await freePort();
    server = await startServer(port);
    const bus = await openBus(`127.0.0.1:${port}`, { reconnectTimeWaitMs: 100, reconnectJitterMs: 20 });
    const statuses: string[] = [];
    bus.onStatus((s) => statuses.push(s));
    const got: string[] = [];
    bus.subscribe('rt.buffered', (m) => {
      got.push(dec(m.data));
    });
    bus.subscribe('rt.echo', (m) => {
      m.respond(m.data);
    });
    await bus.flush();

    await stopServer(server);
    await waitFor(() => bus.status === 'reconnecting');
    for (let i = 0; i < 5; i++) bus.publish('rt.buffered', enc(String(i)));
    const answer = bus.request('rt.echo', enc('asked while down'), { timeoutMs: 10_000 });

    server = await startServer(port);
    await waitFor(() => bus.status === 'connected');
    expect(dec((await answer).data)).toBe('asked while down');
    await waitFor(() => got.length === 5);
    expect(got).toEqual(['0', '1', '2', '3', '4']);
    expect(statuses).toEqual(['reconnecting', 'connected']);
  });

  it('throws BUS_RECONNECT_BUFFER_FULL once the reconnect buffer is full', async () => {
    const port = await freePort();
    server = await startServer(port);
    const bus = await openBus(`127.0.0.1:${port}`, { reconnectTimeWaitMs: 100, reconnectBufferBytes: 100 });
    await stopServer(server);
    server = undefined;
    await waitFor(() => bus.status === 'reconnecting');
    bus.publish('rt.b', new Uint8Array(60));
    expect(() => bus.publish('rt.b', new Uint8Array(60))).toThrow(expect.objectContaining({ code: BusErrorCode.reconnectBufferFull }) as Error);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function startServer(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${output}`)), 5000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('error', reject);
  });
}

async function stopServer(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await delay(10);
  }
}
