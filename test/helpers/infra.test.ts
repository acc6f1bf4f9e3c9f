import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import { INFRA_DEFAULT_PORTS, detectBinary, detectInfra, freeTcpPort, requireInfra } from './infra.js';

// A TCP server that speaks something else than the protocol probed for.
async function impostor(greeting: string): Promise<{ server: Server; port: number }> {
  const port = await freeTcpPort();
  const server = createServer((socket) => {
    socket.resume(); // read (and drop) what the probe sends, so its FIN is seen and the socket closes
    socket.end(greeting);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port };
}

// A port in the test range that nothing listens on.
const closedPort = await freeTcpPort();

describe('detectInfra', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  test('nothing listening: not available, with the reason', async () => {
    for (const name of ['nats', 'redis', 'postgres'] as const) {
      const status = await detectInfra(name, { port: closedPort, timeoutMs: 1_000 });
      expect(status).toEqual({ name, available: false, detail: `127.0.0.1:${closedPort}: ECONNREFUSED` });
    }
  });

  test('another program on the port is not mistaken for the component', async () => {
    const http = await impostor('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    servers.push(http.server);
    const nats = await detectInfra('nats', { port: http.port });
    expect(nats.available).toBe(false);
    expect(nats.detail).toContain('not a NATS server');
    const redis = await detectInfra('redis', { port: http.port });
    expect(redis.available).toBe(false);
    expect(redis.detail).toContain('not Redis');
  });

  test('a NATS greeting is recognised, with its version', async () => {
    const fake = await impostor('INFO {"server_id":"x","version":"2.10.99","jetstream":true}\r\n');
    servers.push(fake.server);
    expect(await detectInfra('nats', { port: fake.port })).toEqual({
      name: 'nats',
      available: true,
      detail: `NATS 2.10.99 with JetStream at 127.0.0.1:${fake.port}`,
    });
  });

  test('a missing binary is reported as such', async () => {
    const status = await detectBinary('sipmesh-no-such-binary', ['-v'], 'x');
    expect(status).toEqual({
      name: 'sipmesh-no-such-binary',
      available: false,
      detail: 'sipmesh-no-such-binary not found on PATH',
    });
  });
});

// The machine's own components, when present: what requireInfra sees in CI.
describe('detectInfra on this machine', async () => {
  const statuses = await Promise.all(
    (['nats', 'redis', 'postgres', 'sipp', 'rtpengine'] as const).map((name) => detectInfra(name)),
  );
  for (const status of statuses) {
    test.runIf(status.available)(`${status.name} is recognised (${status.detail})`, () => {
      const expected = { nats: 'NATS', redis: 'Redis', postgres: 'PostgreSQL', sipp: 'SIPp v', rtpengine: 'Version:' }[status.name];
      expect(status.detail).toContain(expected ?? '?');
      if (status.name !== 'sipp' && status.name !== 'rtpengine') {
        expect(status.detail).toContain(`127.0.0.1:${INFRA_DEFAULT_PORTS[status.name as 'nats']}`);
      }
    });
  }
});

describe('requireInfra', () => {
  test('strict (SIPMESH_REQUIRE_INFRA=1): a missing component fails with a clear message', async () => {
    await expect(requireInfra('redis', { port: closedPort, strict: true })).rejects.toThrow(
      `redis is required (SIPMESH_REQUIRE_INFRA=1) but not available: 127.0.0.1:${closedPort}: ECONNREFUSED`,
    );
  });
});

// Not strict: the suite registers a skipped test named after the reason and
// returns early; the test below must therefore never run.
describe('requireInfra, component missing, not strict', async () => {
  if (!(await requireInfra('postgres', { port: closedPort, strict: false }))) return;
  test('is not registered', () => {
    expect.unreachable('requireInfra returned true for a closed port');
  });
});
