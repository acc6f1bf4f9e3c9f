// runSipp against SIPp itself (UAC straight to UAS, no proxy): readiness,
// results, exit codes and the message trace.
import { createSocket, type Socket } from 'node:dgram';
import { access, rm } from 'node:fs/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { freeUdpPort, requireInfra } from './infra.js';
import { callId, requestMethod, responseStatus, startLine } from './sip-message-text.js';
import { runSipp, scenarioPath, stopAllSipp } from './sipp.js';
import { listSockets, socketInodesOfTree } from './socket-table.js';

describe('runSipp', async () => {
  if (!(await requireInfra('sipp'))) return;

  const sockets: Socket[] = [];
  afterEach(async () => {
    await stopAllSipp();
    for (const s of sockets.splice(0)) s.close();
  });

  test('UAC to UAS: exit 0, call counters, and both sides see the same bytes', async () => {
    const uasPort = await freeUdpPort();
    const uas = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: uasPort, calls: 2 });
    await uas.ready;
    // Ready means this SIPp holds the port.
    const pid = uas.pid();
    expect(pid).toBeDefined();
    const owned = await socketInodesOfTree(pid ?? -1);
    const bound = (await listSockets('udp')).filter((e) => e.localPort === uasPort);
    expect(bound.some((e) => owned.has(e.inode))).toBe(true);

    const uac = runSipp({
      scenario: scenarioPath('uac-message.xml'),
      role: 'uac',
      localPort: await freeUdpPort(),
      remote: `127.0.0.1:${uasPort}`,
      calls: 2,
      rate: 20,
      service: 'direct',
    });
    const r = await uac.done;
    expect(r.exitCode, r.summary).toBe(0);
    expect(r.outcome).toBe('success');
    expect(r.calls).toMatchObject({ created: 2, successful: 2, failed: 0 });
    expect(r.dir).toBeUndefined();
    const sent = r.messages.filter((m) => m.direction === 'sent');
    expect(sent.map((m) => startLine(m.text))).toEqual([
      `MESSAGE sip:direct@127.0.0.1:${uasPort} SIP/2.0`,
      `MESSAGE sip:direct@127.0.0.1:${uasPort} SIP/2.0`,
    ]);
    expect(r.messages.filter((m) => m.direction === 'received').map((m) => responseStatus(m.text))).toEqual([200, 200]);
    expect(r.steps.map((s) => `${s.direction} ${s.label} ${s.messages}`)).toEqual([
      'sent MESSAGE 2',
      'received 100 0',
      'received 200 2',
    ]);

    const u = await uas.done;
    expect(u.exitCode, u.summary).toBe(0);
    expect(u.successfulCalls).toBe(2);
    const received = u.messages.filter((m) => m.direction === 'received');
    expect(received.map((m) => m.text)).toEqual(sent.map((m) => m.text));
    expect(received.map((m) => requestMethod(m.text))).toEqual(['MESSAGE', 'MESSAGE']);
    expect(new Set(received.map((m) => callId(m.text))).size).toBe(2);
  });

  test('a UAS whose port is taken: ready rejects, the result says it could not bind', async () => {
    const port = await freeUdpPort();
    const blocker = createSocket('udp4');
    sockets.push(blocker);
    await new Promise<void>((resolve) => blocker.bind(port, '127.0.0.1', resolve));
    const uas = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: port, calls: 1 });
    await expect(uas.ready).rejects.toThrow('before its port was bound');
    const r = await uas.done;
    expect(r.outcome).toBe('bind-error');
    expect(r.exitCode).toBe(254);
    expect(r.summary).toContain('could not bind a socket');
    expect(r.summary).toContain('Address already in use');
    expect(r.dir).toBeDefined();
    await rm(r.dir ?? '', { recursive: true, force: true });
  });

  test('a failed call: exit 1, the failure counters, the last error, and the run directory kept', async () => {
    // Nobody listens at the remote: the MESSAGE is never answered, and the
    // scenario's 10 s receive timeout ends the call (not the 32 s of UDP
    // retransmissions).
    const uac = runSipp({
      scenario: scenarioPath('uac-message.xml'),
      role: 'uac',
      localPort: await freeUdpPort(),
      remote: `127.0.0.1:${await freeUdpPort()}`,
      calls: 1,
    });
    const r = await uac.done;
    expect(r.exitCode).toBe(1);
    expect(r.outcome).toBe('calls-failed');
    expect(r.failedCalls).toBe(1);
    expect(r.calls?.failures).toEqual({ FailedTimeoutOnRecv: 1 });
    expect(r.lastError).toContain('receive timeout on message uac-m');
    expect(r.summary).toContain('at least one call failed');
    expect(r.summary).toContain('1 failed');
    expect(r.dir).toBeDefined();
    await expect(access(r.dir ?? '')).resolves.toBeUndefined();
    await rm(r.dir ?? '', { recursive: true, force: true });
  });

  test('stop() ends an idle UAS at once and gracefully', async () => {
    const uas = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: await freeUdpPort() });
    await uas.ready;
    const started = Date.now();
    const r = await uas.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(r.exitCode, r.summary).toBe(0);
    expect(r.calls?.created).toBe(0);
    expect(r.messages).toEqual([]);
  });

  test('a scenario SIPp cannot load is a setup error, not a failed call', async () => {
    const uas = runSipp({ scenario: scenarioPath('no-such-scenario.xml'), role: 'uas', localPort: await freeUdpPort() });
    await expect(uas.ready).rejects.toThrow('exited');
    const r = await uas.done;
    expect(r.outcome).toBe('setup-error');
    expect(r.summary).toContain('Unable to load or parse');
    await rm(r.dir ?? '', { recursive: true, force: true });
  });

  test('a UAC without a remote is refused before anything starts', () => {
    expect(() => runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: 16001 })).toThrow(
      'a UAC needs a remote',
    );
  });
});
