/**
 * Nothing lost, nothing doubled: thousands of SIPp calls through the edge and a router over a
 * private NATS server, accounted by the accounting service (a process of its own) into the real
 * PostgreSQL, while one part fails in the middle of the traffic:
 *
 * - the accounting service is killed (SIGKILL) and started again;
 * - PostgreSQL is unreachable for 30 s (the service reaches it through a relay the test cuts);
 * - the NATS server is restarted;
 * - the edge is killed and started again.
 *
 * Each run ends with the count check: every call SIPp completed has exactly one CDR, answered and
 * ended, and exactly one acc row for its INVITE and one for its BYE; no call has two rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { startNatsServer, type PrivateNatsServer } from '../helpers/nats-server.js';
import { freePort, freeTcpPort, releasePorts, waitForTcpPort } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp, type SippResult } from '../helpers/sipp.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { scrape, startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CALLS = 2000;
const RATE = 100;

describe('accounting under faults in the middle of SIPp traffic', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('postgres')))) return;
  const run = `f${process.pid.toString(36)}${Date.now().toString(36)}`;
  let nats: PrivateNatsServer;
  let proxy: TcpProxy;
  let sipmesh: SipmeshUnderTest;
  let accounting: ChildProcess | undefined;
  let db: pg.Pool;
  let calleePort: number;
  let accountingAdmin = 0;

  const startAccounting = async (): Promise<void> => {
    const admin = await freeTcpPort();
    accountingAdmin = admin;
    accounting = spawn(
      process.execPath,
      [
        path.join(repo, 'services/accounting/dist/main.js'),
        '--nats', nats.url,
        '--set', `database.url=postgres://postgres@127.0.0.1:${proxy.port}/test`,
        '--set', `consumer.durable=${run}`,
        '--set', 'consumer.retryDelayMs=500',
        '--set', `admin.port=${admin}`,
        '--set', 'log.level=error',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NATS_URL: '' } },
    );
    await waitForTcpPort(admin, { timeoutMs: 15_000 });
  };
  const stopAccounting = async (signal: NodeJS.Signals): Promise<void> => {
    const child = accounting;
    accounting = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    db = new pg.Pool({ connectionString: PG_URL, max: 2 });
    calleePort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({ mode: 'nats', natsUrl: nats.url, routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${calleePort}` }], acc: { flags: ['acc'] } }] } });
    await startAccounting();
  }, 90_000);

  afterAll(async () => {
    await stopAllSipp();
    await stopAccounting('SIGTERM');
    await sipmesh?.stop();
    await proxy?.close();
    await nats?.dispose();
    await db?.query('DELETE FROM cdrs WHERE callid LIKE $1', [`${run}%`]).catch(() => undefined);
    await db?.query('DELETE FROM acc WHERE callid LIKE $1', [`${run}%`]).catch(() => undefined);
    await db?.end();
    await releasePorts(calleePort);
  });

  /** CALLS calls at RATE/s (1 s each) with Call-IDs `<run>-<name>-<n>@…`; `fault` runs meanwhile. */
  const traffic = async (name: string, fault: () => Promise<void>): Promise<SippResult> => {
    const callee = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: calleePort, timeoutS: 120, traceMessages: false });
    await callee.ready;
    const caller = runSipp({
      scenario: scenarioPath('uac-call.xml'),
      role: 'uac',
      localPort: await freePort('udp+tcp'),
      remote: `127.0.0.1:${sipmesh.sipPort}`,
      service: name,
      calls: CALLS,
      rate: RATE,
      timeoutS: 90,
      traceMessages: false,
      extraArgs: ['-d', '1000', '-cid_str', `${run}-${name}-%u@%s`],
    });
    await fault();
    const r = await caller.done;
    await stopAllSipp();
    return r;
  };

  /**
   * Waits until the store holds what the completed calls must have given, then checks it: every
   * call SIPp completed is an answered CDR the caller hung up (exactly as many when `exact`: no
   * call failed, so no other call can have been answered); one CDR per call, none open; one acc
   * row per answered INVITE and per BYE answered 2xx, as the CDRs say, and no acc row twice.
   */
  const expectAccounted = async (name: string, r: SippResult, waitMs: number, exact: boolean): Promise<void> => {
    const like = `${run}-${name}-%`;
    const count = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql, [like])).rows[0]?.n ?? 0);
    const answered = "SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND disposition = 'answered' AND hangup = 'caller' AND end_time IS NOT NULL";
    const accRows = async (): Promise<{ invites: number; byes: number }> => ({
      invites: await count("SELECT count(*) AS n FROM acc WHERE callid LIKE $1 AND method = 'INVITE' AND sip_code = '200'"),
      byes: await count("SELECT count(*) AS n FROM acc WHERE callid LIKE $1 AND method = 'BYE' AND sip_code LIKE '2%'"),
    });
    const fromCdrs = async (): Promise<{ invites: number; byes: number }> => ({
      invites: await count('SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND sip_code = 200'),
      byes: await count('SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND bye_code BETWEEN 200 AND 299'),
    });
    const deadline = Date.now() + waitMs;
    const settled = async (): Promise<boolean> => (await count(answered)) >= r.successfulCalls && JSON.stringify(await accRows()) === JSON.stringify(await fromCdrs());
    while (Date.now() < deadline && !(await settled())) await new Promise((res) => setTimeout(res, 250));
    expect(r.successfulCalls).toBeGreaterThan(CALLS / 2);
    if (exact) expect(await count(answered)).toBe(r.successfulCalls);
    else expect(await count(answered)).toBeGreaterThanOrEqual(r.successfulCalls);
    expect(await count('SELECT count(*) - count(DISTINCT callid) AS n FROM cdrs WHERE callid LIKE $1')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND end_time IS NULL')).toBe(0);
    const acc = await accRows();
    expect(acc).toEqual(await fromCdrs());
    if (exact) expect(acc).toEqual({ invites: r.successfulCalls, byes: r.successfulCalls });
    expect(await count('SELECT count(*) - count(DISTINCT (callid, method, sip_code)) AS n FROM acc WHERE callid LIKE $1')).toBe(0);
  };

  it('accounts every call when the accounting service is killed and started again', async () => {
    const r = await traffic('kill', async () => {
      await new Promise((res) => setTimeout(res, 5000));
      await stopAccounting('SIGKILL');
      await new Promise((res) => setTimeout(res, 5000));
      await startAccounting();
    });
    expect(r.failedCalls, r.summary).toBe(0);
    await expectAccounted('kill', r, 60_000, true);
  }, 180_000);

  it('accounts every call when PostgreSQL is unreachable for 30 s', async () => {
    const r = await traffic('pgdown', async () => {
      await new Promise((res) => setTimeout(res, 3000));
      await proxy.cut();
      setTimeout(() => void proxy.restore(), 30_000);
    });
    expect(r.failedCalls, r.summary).toBe(0);
    // the proxy comes back 33 s after the start; the backlog is stored after that
    await new Promise((res) => setTimeout(res, 15_000));
    await expectAccounted('pgdown', r, 90_000, true);
    // the service lived through it (a connection reset while in use must not kill it) ...
    expect(accounting?.exitCode ?? null).toBeNull();
    // ... and the database really refused batches meanwhile
    expect((await scrape(accountingAdmin)).get('sipmesh_accounting_store_failures_total') ?? 0).toBeGreaterThan(0);
  }, 240_000);

  it('accounts every completed call when the NATS server restarts', async () => {
    const r = await traffic('natsrestart', async () => {
      await new Promise((res) => setTimeout(res, 5000));
      await nats.stop();
      await new Promise((res) => setTimeout(res, 2000));
      await nats.start();
    });
    await expectAccounted('natsrestart', r, 90_000, false);
    // the edge kept events on disk during the outage and replayed them all
    const edge = await sipmesh.metrics();
    expect(edge.get('sipmesh_edge_events_spooled_total') ?? 0).toBeGreaterThan(0);
    expect(edge.get('sipmesh_edge_events_replayed_total')).toBe(edge.get('sipmesh_edge_events_spooled_total'));
    expect(edge.get('sipmesh_edge_events_spool_dropped_total') ?? 0).toBe(0);
  }, 240_000);

  it('closes or completes every call of an edge that is killed and started again', async () => {
    const r = await traffic('edgekill', async () => {
      await new Promise((res) => setTimeout(res, 5000));
      await sipmesh.restartEdge({ kill: true });
    });
    const like = `${run}-edgekill-%`;
    const n = async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql, [like])).rows[0]?.n ?? 0);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && ((await n('SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND end_time IS NULL')) > 0 || (await n("SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND end_time IS NOT NULL AND disposition = 'answered'")) < r.successfulCalls)) {
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(r.successfulCalls).toBeGreaterThan(0);
    // every call has one row and every row an end: a normal one, or the restart's (edge-restarted)
    expect(await n('SELECT count(*) - count(DISTINCT callid) AS n FROM cdrs WHERE callid LIKE $1')).toBe(0);
    expect(await n('SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND end_time IS NULL')).toBe(0);
    expect(await n("SELECT count(*) AS n FROM cdrs WHERE callid LIKE $1 AND disposition = 'answered'")).toBeGreaterThanOrEqual(r.successfulCalls);
  }, 180_000);
});
