/**
 * A routing service written in Go from the contract alone (examples/go-router): it passes the
 * contract conformance checks, and calls through the edge over real NATS are routed by it. The same
 * checks run against sipmesh's own router, so the harness itself is known to pass a correct service.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from '@sipmesh/sipmesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GO_PATH, requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { NATS_URL, startSipmesh, waitForPolicy, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('a router written in Go', async () => {
  if (!(await requireInfra('go'))) return;
  if (!(await requireInfra('nats'))) return;
  if (!(await requireInfra('sipp'))) return;

  const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-go-'));
  const binary = path.join(dir, 'go-router');
  const policy = `go${process.pid.toString(36)}${Date.now().toString(36)}`;
  let sipmesh: SipmeshUnderTest;
  let router: ChildProcess;
  let uasPort = 0;

  beforeAll(async () => {
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: path.join(repo, 'examples/go-router'),
      env: { ...process.env, GO111MODULE: 'off', GOPATH: GO_PATH, GOCACHE: path.join(dir, 'cache'), GOFLAGS: '' },
      stdio: 'inherit',
    });
    uasPort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({ mode: 'nats', routers: 0, edgePolicy: policy, routes: { rules: [] } });
    router = spawn(binary, [], { env: { ...process.env, NATS_URL, POLICY: policy, ROUTES: `9=sip:127.0.0.1:${uasPort}` }, stdio: ['ignore', 'inherit', 'inherit'] });
    await waitForPolicy(sipmesh.bus, policy);
  }, 120_000);

  afterAll(async () => {
    await stopAllSipp();
    router?.kill('SIGTERM');
    await sipmesh?.stop();
    releasePorts(uasPort);
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the contract conformance checks', async () => {
    const checks = await runConformance(sipmesh.bus, policy, { users: ['9196', '5555'] });
    expect(checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(6);
  });

  it('routes calls through the edge, and refuses numbers it has no route for', async () => {
    const callee = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: uasPort, calls: 1, timeoutS: 20 });
    await callee.ready;
    const ok = await runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: '9196', calls: 1, timeoutS: 20 }).done;
    expect(ok.outcome, ok.summary).toBe('success');
    await callee.done;
    const refused = await runSipp({ scenario: scenarioPath('uac-expect-404.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: '5555', calls: 1, timeoutS: 20 }).done;
    expect(refused.outcome, refused.summary).toBe('success');
  });
});

describe("sipmesh's own router", async () => {
  if (!(await requireInfra('nats'))) return;
  it('passes the same conformance checks', async () => {
    const sipmesh = await startSipmesh({ mode: 'nats', routes: { rules: [{ match: { ruri_user: '9*' }, routes: [{ dst_uri: 'sip:127.0.0.1:5999' }] }] } });
    try {
      const checks = await runConformance(sipmesh.bus, sipmesh.policy, { users: ['9196', '5555'] });
      expect(checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    } finally {
      await sipmesh.stop();
    }
  });
});
