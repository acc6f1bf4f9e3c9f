import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  TEST_PORT_RANGE,
  freePort,
  freeTcpPort,
  freeUdpPort,
  releasePorts,
  waitForTcpPort,
  waitForUdpPort,
} from './ports.js';
import { PORT_LEASE_DIR, isPortLeased } from './port-leases.js';
import { listSockets } from './socket-table.js';

const udpSockets: Socket[] = [];
const tcpServers: Server[] = [];

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      udpSockets.push(socket);
      resolve(socket);
    });
  });
}

function listenTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      tcpServers.push(server);
      resolve(server);
    });
  });
}

afterEach(async () => {
  for (const s of udpSockets.splice(0)) s.close();
  await Promise.all(tcpServers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('freePort', () => {
  test('hands out ports of the test range that nothing holds, never the same one twice in a row', async () => {
    const a = await freeUdpPort();
    const b = await freeUdpPort();
    expect(a).toBeGreaterThanOrEqual(TEST_PORT_RANGE.first);
    expect(a).toBeLessThanOrEqual(TEST_PORT_RANGE.last);
    expect(b).not.toBe(a);
    const bound = new Set((await listSockets('udp')).map((e) => e.localPort));
    expect(bound.has(a)).toBe(false);
    // It really is bindable.
    await bindUdp(a);
  });

  test('skips a port someone holds', async () => {
    const range = { first: 16090, last: 16091 };
    const held = await freeUdpPort({ range });
    await bindUdp(held);
    const other = await freeUdpPort({ range });
    expect(other).not.toBe(held);
    expect([16090, 16091]).toContain(other);
  });

  test('alsoFree reserves the offsets too (SIPp -mp takes p and p+2)', async () => {
    const range = { first: 16080, last: 16086 };
    const p = await freeUdpPort({ range, alsoFree: [2] });
    const q = await freeUdpPort({ range, alsoFree: [2] });
    expect([p, p + 2]).not.toContain(q);
    expect([q, q + 2]).not.toContain(p);
    expect(q + 2).toBeLessThanOrEqual(range.last);
  });

  test('a long lease keeps a port out of reach until released', async () => {
    const range = { first: 16097, last: 16098 };
    const reserved = await freeUdpPort({ range, leaseMs: Number.POSITIVE_INFINITY });
    const other = await freeUdpPort({ range, leaseMs: 0 });
    expect(other).not.toBe(reserved);
    await expect(freeUdpPort({ range: { first: reserved, last: reserved } })).rejects.toThrow('no free udp port');
    await releasePorts(reserved);
    await expect(freeUdpPort({ range: { first: reserved, last: reserved }, leaseMs: 0 })).resolves.toBe(reserved);
  });

  test('leases hold across processes, and the lease of a process that died is taken over', async () => {
    const port = await freeUdpPort({ range: { first: 16096, last: 16096 }, leaseMs: 0 });
    await releasePorts(port);
    // Another process writes a lease file, as its freePort would: "<pid> <expiry ms>".
    const script = [
      "const { writeFileSync, mkdirSync } = require('node:fs');",
      `mkdirSync(${JSON.stringify(PORT_LEASE_DIR)}, { recursive: true });`,
      `writeFileSync(${JSON.stringify(join(PORT_LEASE_DIR, String(port)))}, process.pid + ' ' + (Date.now() + 60000), { flag: 'wx' });`,
      "process.stdout.write('leased');",
      'setTimeout(() => {}, 60000);',
    ].join('\n');
    const other = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const answer = await new Promise<string>((resolve) => {
        other.stdout.once('data', (d: Buffer) => resolve(d.toString()));
        other.once('exit', (code) => resolve(`exited ${code}`));
      });
      expect(answer).toBe('leased');
      await expect(isPortLeased(port)).resolves.toBe(true);
      await expect(freeUdpPort({ range: { first: port, last: port } })).rejects.toThrow('no free udp port');
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // ... and dies: its lease is stale.
    await expect(isPortLeased(port)).resolves.toBe(false);
    await expect(freeUdpPort({ range: { first: port, last: port }, leaseMs: 0 })).resolves.toBe(port);
  });

  test('udp+tcp needs both free; an exhausted range is an error that says so', async () => {
    const port = await freeTcpPort({ range: { first: 16095, last: 16095 } });
    await listenTcp(port);
    await expect(freePort('udp+tcp', { range: { first: 16095, last: 16095 } })).rejects.toThrow(
      'no free udp+tcp port in 16095-16095',
    );
  });
});

describe('waitForUdpPort / waitForTcpPort', () => {
  test('resolves once the port is bound by the given process', async () => {
    const port = await freeUdpPort();
    const waiting = waitForUdpPort(port, { pid: process.pid, timeoutMs: 2_000 });
    setTimeout(() => void bindUdp(port), 100);
    await expect(waiting).resolves.toBeUndefined();
  });

  test('a port held by another process does not count when a pid is given', async () => {
    const port = await freeUdpPort();
    await bindUdp(port);
    // A process that holds no socket at all.
    const other = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      await expect(waitForUdpPort(port, { pid: other.pid ?? -1, timeoutMs: 200 })).rejects.toThrow(
        `udp port ${port} not bound by pid ${other.pid} within 200 ms`,
      );
    } finally {
      other.kill();
    }
    await expect(waitForUdpPort(port, { timeoutMs: 200 })).resolves.toBeUndefined();
  });

  test('TCP counts only a listening socket', async () => {
    const port = await freeTcpPort();
    await expect(waitForTcpPort(port, { timeoutMs: 150 })).rejects.toThrow('not listening');
    await listenTcp(port);
    await expect(waitForTcpPort(port, { pid: process.pid, timeoutMs: 2_000 })).resolves.toBeUndefined();
  });

  test('an abort signal ends the wait with its reason', async () => {
    const port = await freeUdpPort();
    const aborter = new AbortController();
    setTimeout(() => aborter.abort(new Error('peer exited')), 50);
    await expect(waitForUdpPort(port, { timeoutMs: 5_000, signal: aborter.signal })).rejects.toThrow('peer exited');
  });
});
