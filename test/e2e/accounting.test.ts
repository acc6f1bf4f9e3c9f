/**
 * Accounting end to end: SIPp calls through the edge and a router whose rule sets the book's
 * accounting flags (acc.lua: FLT_ACC and FLT_ACCFAILED, here with FLT_ACCMISSED too), the
 * accounting service reading the event stream, rows in PostgreSQL: an answered call gives the
 * INVITE and BYE rows with the same Call-ID and tags (TC-109), a busy one an acc row 486 and a
 * missed_calls row (TC-110); every call gets one CDR with its disposition, who hung up and a
 * duration within 50 ms of what SIPp saw.
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createAccountingApp, accountingConfigSchema, type AccountingApp, type AccountingConfig } from '@sipmesh/accounting';
import { EVENTS_STREAM } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, loadConfig, RedisCallProfiles } from '@sipmesh/runtime';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { callId as callIdOf } from '../helpers/sip-message-text.js';
import { runSipp, scenarioPath, stopAllSipp, type SippHandle, type SippOptions, type SippResult } from '../helpers/sipp.js';
import { NATS_URL, startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

/** A SIPp UAS on `port`, resolved once it listens. */
async function answering(scenario: string, port: number, opts: Pick<SippOptions, 'calls' | 'timeoutS' | 'extraArgs'>): Promise<SippHandle> {
  const run = runSipp({ scenario: scenarioPath(scenario), role: 'uas', localPort: port, ...opts });
  await run.ready;
  return run;
}

/** A SIPp UAC on a free port placing one call (unless told) to `service` through the edge on `edgePort`; resolves when it ends. */
async function calling(scenario: string, edgePort: number, service: string, opts: Pick<SippOptions, 'calls' | 'timeoutS' | 'extraArgs' | 'variables'>): Promise<SippResult> {
  return runSipp({ scenario: scenarioPath(scenario), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${edgePort}`, service, calls: 1, ...opts }).done;
}

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The accounting service in this process, reading new events with its own durable consumers. */
async function startAccounting(durable: string, settings: Record<string, unknown> = {}): Promise<AccountingApp> {
  const overrides = { 'nats.url': NATS_URL, 'database.url': PG_URL, 'consumer.durable': durable, 'consumer.startAt': 'new', 'admin.enabled': false, ...settings };
  const config = loadConfig<AccountingConfig>({ schema: accountingConfigSchema, env: {}, overrides }) as AccountingConfig;
  return createAccountingApp({ config, logger: createLogger({ service: 'accounting', level: 'silent' }), registry: createMetricsRegistry({ service: 'accounting', processMetrics: false }) });
}

/** Removes the durable consumers a test made (the acc one and the calls one). */
async function deleteConsumers(durable: string): Promise<void> {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const d of [durable, `${durable}-calls`]) await jsm.consumers.delete(EVENTS_STREAM, d).catch(() => undefined);
  await nc.close();
}

describe('accounting of SIPp calls', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('nats')) && (await requireInfra('postgres')))) return;
  const durable = `e2e-acc-${process.pid}`;
  let sipmesh: SipmeshUnderTest;
  let accounting: AccountingApp;
  let db: pg.Pool;
  let okPort: number;
  let busyPort: number;
  let byePort: number;
  let ringPort: number;

  beforeAll(async () => {
    okPort = await freePort('udp', { leaseMs: Infinity });
    busyPort = await freePort('udp', { leaseMs: Infinity });
    byePort = await freePort('udp', { leaseMs: Infinity });
    ringPort = await freePort('udp', { leaseMs: Infinity });
    const flags = { flags: ['acc', 'failed', 'missed'] };
    sipmesh = await startSipmesh({
      mode: 'nats',
      routes: {
        rules: [
          { match: { ruri_user: 'busy*' }, routes: [{ dst_uri: `sip:127.0.0.1:${busyPort}` }], acc: flags },
          { match: { ruri_user: 'hangup*' }, routes: [{ dst_uri: `sip:127.0.0.1:${byePort}` }], acc: flags },
          { match: { ruri_user: 'ring*' }, routes: [{ dst_uri: `sip:127.0.0.1:${ringPort}`, fr_inv_timer: 1500 }], acc: flags },
          { match: { ruri_user: 'nobody*' }, reply: { code: 404, reason: 'Not Found' } },
          { routes: [{ dst_uri: `sip:127.0.0.1:${okPort}` }], acc: flags },
        ],
      },
    });
    accounting = await startAccounting(durable);
    db = new pg.Pool({ connectionString: PG_URL, max: 2 });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await accounting?.stop();
    await sipmesh?.stop();
    await deleteConsumers(durable);
    await db?.end();
    await db?.query("DELETE FROM cdrs WHERE edge = $1 AND start_time > now() - interval '1 hour'", [sipmesh?.edgeId ?? '']).catch(() => undefined);
    await releasePorts(okPort, busyPort, byePort, ringPort);
  });

  const rowsOf = async (table: 'acc' | 'missed_calls', callid: string): Promise<Record<string, string>[]> => {
    for (let i = 0; i < 300; i++) {
      const r = await db.query<Record<string, string>>(`SELECT method, from_tag, to_tag, callid, sip_code, sip_reason, src_user, src_ip, dst_ouser, dst_user FROM ${table} WHERE callid = $1 ORDER BY id`, [callid]);
      if (r.rows.length > 0 && (table === 'missed_calls' || r.rows.length >= 2 || r.rows[0]?.['sip_code'] !== '200')) return r.rows;
      await new Promise((res) => setTimeout(res, 100));
    }
    return [];
  };

  /** The CDR of a call, once it has ended. */
  const cdrOf = async (callid: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 300; i++) {
      const r = await db.query<Record<string, unknown>>('SELECT * FROM cdrs WHERE callid = $1', [callid]);
      if (r.rows.length > 1) throw new Error(`${r.rows.length} CDRs for one call`);
      if (r.rows[0]?.['end_time'] != null) return r.rows[0];
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no ended CDR for ${callid} within 30 s`);
  };
  /** Milliseconds between two SIPp trace timestamps ("2026-11-26 13:06:02.205153"). */
  const between = (a: string, b: string): number => seconds(b) * 1000 - seconds(a) * 1000;
  const seconds = (ts: string): number => {
    const [date = '', time = ''] = ts.split(' ');
    const [h = '0', m = '0', sec = '0'] = time.split(':');
    return Date.parse(`${date}T00:00:00Z`) / 1000 + Number(h) * 3600 + Number(m) * 60 + Number(sec);
  };
  const at = (messages: readonly { direction: string; text: string; timestamp: string }[], direction: 'sent' | 'received', startLine: string): string => {
    const m = messages.find((x) => x.direction === direction && x.text.startsWith(startLine));
    if (!m) throw new Error(`no ${direction} "${startLine}" in the SIPp trace`);
    return m.timestamp;
  };
  const uac = (scenario: string, service: string): Promise<SippResult> => calling(scenario, sipmesh.sipPort, service, { timeoutS: 20 });

  it('writes the INVITE and BYE rows of an answered call with its Call-ID and tags (TC-109)', async () => {
    const callee = await answering('uas-call.xml', okPort, { calls: 1, timeoutS: 15 });
    const r = await calling('uac-call.xml', sipmesh.sipPort, '9196', { timeoutS: 15 });
    expect(r.outcome, r.summary).toBe('success');
    await callee.done;
    const callId = callIdOf(r.messages[0]?.text ?? '') ?? '';
    const rows = await rowsOf('acc', callId);
    expect(rows.map((x) => [x['method'], x['sip_code'], x['sip_reason']])).toEqual([
      ['INVITE', '200', 'OK'],
      ['BYE', '200', 'OK'],
    ]);
    const [invite, bye] = rows;
    expect(invite?.['to_tag']).not.toBe('');
    expect([bye?.['from_tag'], bye?.['to_tag']]).toEqual([invite?.['from_tag'], invite?.['to_tag']]);
    expect([invite?.['src_ip'], invite?.['dst_ouser'], invite?.['dst_user']]).toEqual(['127.0.0.1', '9196', '9196']);
    // written in the same batch as the acc rows, had there been any
    expect((await db.query('SELECT 1 FROM missed_calls WHERE callid = $1', [callId])).rows).toEqual([]);

    // one CDR: answered, the caller hung up, held as long as SIPp held it
    const cdr = await cdrOf(callId);
    expect(cdr).toMatchObject({ disposition: 'answered', hangup: 'caller', sip_code: 200, bye_code: 200, callee_user: '9196', src_ip: '127.0.0.1', from_tag: invite?.['from_tag'], to_tag: invite?.['to_tag'], edge: sipmesh.edgeId });
    expect(cdr['trace_id']).toMatch(/^([0-9a-f]{32})?$/);
    const held = between(at(r.messages, 'received', 'SIP/2.0 200'), at(r.messages, 'sent', 'BYE '));
    expect(Math.abs(Number(cdr['duration']) * 1000 - held)).toBeLessThan(50);
  }, 60_000);

  it('writes a busy call to acc with 486 and to missed_calls (TC-110)', async () => {
    const callee = await answering('uas-486.xml', busyPort, { calls: 1, timeoutS: 15 });
    const r = await calling('uac-call-486.xml', sipmesh.sipPort, 'busy1', { timeoutS: 15 });
    expect(r.outcome, r.summary).toBe('success');
    await callee.done;
    const callId = callIdOf(r.messages[0]?.text ?? '') ?? '';
    expect((await rowsOf('acc', callId)).map((x) => [x['method'], x['sip_code'], x['sip_reason']])).toEqual([['INVITE', '486', 'Busy Here']]);
    expect((await rowsOf('missed_calls', callId)).map((x) => [x['method'], x['sip_code']])).toEqual([['INVITE', '486']]);
    expect(await cdrOf(callId)).toMatchObject({ disposition: 'busy', hangup: 'callee', sip_code: 486, duration: 0, answer_time: null });
  }, 60_000);

  it('gives a call the callee hangs up a CDR that says so, with the duration SIPp saw', async () => {
    const callee = await answering('uas-call-bye.xml', byePort, { calls: 1, timeoutS: 20, extraArgs: ['-d', '1200'] });
    const r = await uac('uac-call-callee-bye.xml', 'hangup1');
    expect(r.outcome, r.summary).toBe('success');
    expect((await callee.done).outcome).toBe('success');
    const cdr = await cdrOf(callIdOf(r.messages[0]?.text ?? '') ?? '');
    expect(cdr).toMatchObject({ disposition: 'answered', hangup: 'callee', bye_code: 200 });
    const held = between(at(r.messages, 'received', 'SIP/2.0 200'), at(r.messages, 'received', 'BYE '));
    expect(held).toBeGreaterThan(1100);
    expect(Math.abs(Number(cdr['duration']) * 1000 - held)).toBeLessThan(50);
  }, 60_000);

  it('gives unanswered, cancelled and refused calls their CDRs (no-answer, cancelled, failed)', async () => {
    const ringing = await answering('uas-ring-no-answer.xml', ringPort, { calls: 2, timeoutS: 30 });
    const unanswered = await uac('uac-call-unanswered.xml', 'ring1');
    expect(unanswered.outcome, unanswered.summary).toBe('success');
    const cancelled = await uac('uac-cancel.xml', 'ring2');
    expect(cancelled.outcome, cancelled.summary).toBe('success');
    const refused = await uac('uac-expect-404.xml', 'nobody');
    expect(refused.outcome, refused.summary).toBe('success');
    expect((await ringing.done).outcome).toBe('success');

    const cdr = async (run: typeof refused): Promise<Record<string, unknown>> => cdrOf(callIdOf(run.messages[0]?.text ?? '') ?? '');
    expect(await cdr(unanswered)).toMatchObject({ disposition: 'no-answer', sip_code: 408, duration: 0, answer_time: null, callee_user: 'ring1' });
    expect(await cdr(cancelled)).toMatchObject({ disposition: 'cancelled', hangup: 'caller', sip_code: 487, duration: 0, callee_user: 'ring2' });
    expect(await cdr(refused)).toMatchObject({ disposition: 'failed', hangup: 'proxy', sip_code: 404, callee_user: 'nobody' });
  }, 90_000);
});

describe('accounting in embedded mode (files)', async () => {
  if (!(await requireInfra('sipp'))) return;
  let sipmesh: SipmeshUnderTest;
  let okPort: number;
  let busyPort: number;

  beforeAll(async () => {
    okPort = await freePort('udp', { leaseMs: Infinity });
    busyPort = await freePort('udp', { leaseMs: Infinity });
    const flags = { flags: ['acc', 'failed', 'missed'] };
    sipmesh = await startSipmesh({
      mode: 'local',
      routes: {
        rules: [
          { match: { ruri_user: 'busy*' }, routes: [{ dst_uri: `sip:127.0.0.1:${busyPort}` }], acc: flags },
          { routes: [{ dst_uri: `sip:127.0.0.1:${okPort}` }], acc: flags },
        ],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    await releasePorts(okPort, busyPort);
  });

  const lines = async (table: string, callId: string, want: number): Promise<Record<string, unknown>[]> => {
    const file = path.join(sipmesh.accountingDir ?? '', `${table}-${new Date().toISOString().slice(0, 10)}.jsonl`);
    for (let i = 0; i < 100; i++) {
      const text = await readFile(file, 'utf8').catch(() => '');
      const found = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r['callid'] === callId);
      if (found.length >= want) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`fewer than ${want} ${table} lines for ${callId}`);
  };

  it('writes the acc rows and the CDR of an answered call and of a busy one to the day files', async () => {
    const callee = await answering('uas-call.xml', okPort, { calls: 1, timeoutS: 15 });
    const r = await calling('uac-call.xml', sipmesh.sipPort, '2001', { timeoutS: 15 });
    expect(r.outcome, r.summary).toBe('success');
    await callee.done;
    const callId = callIdOf(r.messages[0]?.text ?? '') ?? '';
    expect((await lines('acc', callId, 2)).map((x) => [x['method'], x['sip_code']])).toEqual([
      ['INVITE', '200'],
      ['BYE', '200'],
    ]);
    const [cdr] = await lines('cdrs', callId, 1);
    expect(cdr).toMatchObject({ disposition: 'answered', hangup: 'caller', callee_user: '2001', sip_code: 200, bye_code: 200, edge: sipmesh.edgeId });
    expect(Date.parse(String(cdr?.['end_time']))).toBeGreaterThanOrEqual(Date.parse(String(cdr?.['answer_time'])));

    const busy = await answering('uas-486.xml', busyPort, { calls: 1, timeoutS: 15 });
    const b = await calling('uac-call-486.xml', sipmesh.sipPort, 'busy2', { timeoutS: 15 });
    expect(b.outcome, b.summary).toBe('success');
    await busy.done;
    const busyId = callIdOf(b.messages[0]?.text ?? '') ?? '';
    expect((await lines('missed_calls', busyId, 1)).map((x) => x['sip_code'])).toEqual(['486']);
    expect((await lines('cdrs', busyId, 1))[0]).toMatchObject({ disposition: 'busy', hangup: 'callee', sip_code: 486, duration: 0 });
  }, 60_000);
});

describe('concurrent-call limit across two edges, freed by the accounting service (TC-129)', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('nats')) && (await requireInfra('postgres')) && (await requireInfra('redis')))) return;
  const durable = `e2e-lim-${process.pid}`;
  const keyPrefix = `sipmesh-test:calls:${process.pid}:${Date.now().toString(36)}:`;
  let sipmesh: SipmeshUnderTest;
  let accounting: AccountingApp;
  let calleePort: number;

  beforeAll(async () => {
    calleePort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({
      mode: 'nats',
      extraEdges: 1,
      router: { 'calls.store': 'redis', 'calls.keyPrefix': keyPrefix },
      routes: { rules: [{ limit: { profile: 'caller', value: '$fU@$fd', max: 1 }, routes: [{ dst_uri: `sip:127.0.0.1:${calleePort}` }] }] },
    });
    accounting = await startAccounting(durable, { 'calls.store': 'redis', 'calls.keyPrefix': keyPrefix });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await accounting?.stop();
    await sipmesh?.stop();
    await deleteConsumers(durable);
    await releasePorts(calleePort);
  });

  it('refuses a second call of the caller through the other edge with 503 while the first is up, and allows one after its BYE', async () => {
    const callee = await answering('uas-call.xml', calleePort, { calls: 2, timeoutS: 40 });
    // call 1 through edge A, held 4 s (From uac1@127.0.0.1, the same caller in every SIPp run)
    const first = calling('uac-call.xml', sipmesh.sipPort, '3001', { timeoutS: 20, extraArgs: ['-d', '4000'] });
    await new Promise((r) => setTimeout(r, 1500));
    // call 2 from the same caller through edge B while call 1 is up
    const second = await calling('uac-expect-503.xml', sipmesh.extraEdgePorts[0] ?? 0, '3002', { timeoutS: 15, variables: { retry_after_optional: '1' } });
    expect(second.outcome, second.summary).toBe('success');
    expect(second.messages.find((m) => m.direction === 'received' && m.text.startsWith('SIP/2.0 503'))?.text).toMatch(/^SIP\/2\.0 503 Exceeded Max Allowed Active Calls/);
    const r1 = await first;
    expect(r1.outcome, r1.summary).toBe('success');
    // the BYE ended call 1: once accounting has its dialog.ended, the caller's slot is free again
    const profiles = await RedisCallProfiles.connect({ url: 'redis://127.0.0.1:6379', keyPrefix });
    try {
      for (let i = 0; i < 100 && (await profiles.size('caller', 'uac1@127.0.0.1')) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await profiles.size('caller', 'uac1@127.0.0.1')).toBe(0);
    } finally {
      await profiles.close();
    }
    const third = await calling('uac-call.xml', sipmesh.extraEdgePorts[0] ?? 0, '3003', { timeoutS: 20 });
    expect(third.outcome, third.summary).toBe('success');
    expect((await callee.done).outcome).toBe('success');
  }, 90_000);
});

describe('concurrent-call limit in embedded mode (TC-129)', async () => {
  if (!(await requireInfra('sipp'))) return;
  let sipmesh: SipmeshUnderTest;
  let calleePort: number;

  beforeAll(async () => {
    calleePort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({ mode: 'local', routes: { rules: [{ limit: { profile: 'caller', value: '$fU@$fd', max: 1 }, routes: [{ dst_uri: `sip:127.0.0.1:${calleePort}` }] }] } });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    await releasePorts(calleePort);
  });

  it('refuses the caller a second call while the first is up, and allows one once it ended', async () => {
    const callee = await answering('uas-call.xml', calleePort, { calls: 2, timeoutS: 40 });
    const first = calling('uac-call.xml', sipmesh.sipPort, '4001', { timeoutS: 20, extraArgs: ['-d', '3000'] });
    await new Promise((r) => setTimeout(r, 1000));
    const second = await calling('uac-expect-503.xml', sipmesh.sipPort, '4002', { timeoutS: 15, variables: { retry_after_optional: '1' } });
    expect(second.outcome, second.summary).toBe('success');
    expect((await first).outcome).toBe('success');
    // the in-process accounting frees the slot as the call ends (the dialog event leaves within 5 ms)
    await new Promise((r) => setTimeout(r, 500));
    const third = await calling('uac-call.xml', sipmesh.sipPort, '4003', { timeoutS: 20 });
    expect(third.outcome, third.summary).toBe('success');
    expect((await callee.done).outcome).toBe('success');
  }, 60_000);
});
