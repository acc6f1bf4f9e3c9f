/**
 * Accounting end to end: SIPp calls through the edge and a router whose rule sets the book's
 * accounting flags (acc.lua: FLT_ACC and FLT_ACCFAILED, here with FLT_ACCMISSED too), the
 * accounting service reading the event stream, rows in PostgreSQL: an answered call gives the
 * INVITE and BYE rows with the same Call-ID and tags (TC-109), a busy one an acc row 486 and a
 * missed_calls row (TC-110).
 */
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createAccountingApp, accountingConfigSchema, type AccountingApp, type AccountingConfig } from '@sipmesh/accounting';
import { EVENTS_STREAM } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, loadConfig } from '@sipmesh/runtime';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { callId as callIdOf } from '../helpers/sip-message-text.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { NATS_URL, startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

describe('accounting of SIPp calls', async () => {
  if (!((await requireInfra('sipp')) && (await requireInfra('nats')) && (await requireInfra('postgres')))) return;
  const durable = `e2e-acc-${process.pid}`;
  let sipmesh: SipmeshUnderTest;
  let accounting: AccountingApp;
  let db: pg.Pool;
  let okPort: number;
  let busyPort: number;

  beforeAll(async () => {
    okPort = await freePort('udp', { leaseMs: Infinity });
    busyPort = await freePort('udp', { leaseMs: Infinity });
    const flags = { flags: ['acc', 'failed', 'missed'] };
    sipmesh = await startSipmesh({
      mode: 'nats',
      routes: {
        rules: [
          { match: { ruri_user: 'busy*' }, routes: [{ dst_uri: `sip:127.0.0.1:${busyPort}` }], acc: flags },
          { routes: [{ dst_uri: `sip:127.0.0.1:${okPort}` }], acc: flags },
        ],
      },
    });
    const config = loadConfig<AccountingConfig>({ schema: accountingConfigSchema, env: {}, overrides: { 'nats.url': NATS_URL, 'database.url': PG_URL, 'consumer.durable': durable, 'consumer.startAt': 'new', 'admin.enabled': false } }) as AccountingConfig;
    accounting = await createAccountingApp({ config, logger: createLogger({ service: 'accounting', level: 'silent' }), registry: createMetricsRegistry({ service: 'accounting', processMetrics: false }) });
    db = new pg.Pool({ connectionString: PG_URL, max: 2 });
  }, 60_000);

  afterAll(async () => {
    await stopAllSipp();
    await accounting?.stop();
    await sipmesh?.stop();
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).consumers.delete(EVENTS_STREAM, durable).catch(() => undefined);
    await nc.close();
    await db?.end();
    await releasePorts(okPort, busyPort);
  });

  const rowsOf = async (table: 'acc' | 'missed_calls', callid: string): Promise<Record<string, string>[]> => {
    for (let i = 0; i < 300; i++) {
      const r = await db.query<Record<string, string>>(`SELECT method, from_tag, to_tag, callid, sip_code, sip_reason, src_user, src_ip, dst_ouser, dst_user FROM ${table} WHERE callid = $1 ORDER BY id`, [callid]);
      if (r.rows.length > 0 && (table === 'missed_calls' || r.rows.length >= 2 || r.rows[0]?.['sip_code'] !== '200')) return r.rows;
      await new Promise((res) => setTimeout(res, 100));
    }
    return [];
  };

  it('writes the INVITE and BYE rows of an answered call with its Call-ID and tags (TC-109)', async () => {
    const callee = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: okPort, calls: 1, timeoutS: 15 });
    await callee.ready;
    const r = await runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: '9196', calls: 1, timeoutS: 15 }).done;
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
  }, 60_000);

  it('writes a busy call to acc with 486 and to missed_calls (TC-110)', async () => {
    const callee = runSipp({ scenario: scenarioPath('uas-486.xml'), role: 'uas', localPort: busyPort, calls: 1, timeoutS: 15 });
    await callee.ready;
    const r = await runSipp({ scenario: scenarioPath('uac-call-486.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'busy1', calls: 1, timeoutS: 15 }).done;
    expect(r.outcome, r.summary).toBe('success');
    await callee.done;
    const callId = callIdOf(r.messages[0]?.text ?? '') ?? '';
    expect((await rowsOf('acc', callId)).map((x) => [x['method'], x['sip_code'], x['sip_reason']])).toEqual([['INVITE', '486', 'Busy Here']]);
    expect((await rowsOf('missed_calls', callId)).map((x) => [x['method'], x['sip_code']])).toEqual([['INVITE', '486']]);
  }, 60_000);
});
