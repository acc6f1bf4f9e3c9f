/**
 * The accounting service against real NATS JetStream and PostgreSQL: transaction events on the
 * event stream become acc / missed_calls rows once, whatever is delivered twice, and a restarted
 * service resumes where it stood.
 */
import { encodeEvents, EVENTS_STREAM, subjects, type TransactionCompletedEvent } from '@sipmesh/contracts';
import { connectNatsBus, createLogger, createMetricsRegistry, loadConfig, type NatsBus } from '@sipmesh/runtime';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../test/helpers/infra.js';
import { createAccountingApp, type AccountingApp } from './app.js';
import { accountingConfigSchema, type AccountingConfig } from './config/accounting-config.js';
import { transactionEvent } from './transaction-event.fixture.js';

const NATS = 'nats://127.0.0.1:4222';
const PG = 'postgres://postgres@127.0.0.1:5432/test';

describe('accounting over NATS into PostgreSQL', async () => {
  if (!((await requireInfra('nats')) && (await requireInfra('postgres')))) return;
  const tag = `acc${process.pid}${Date.now().toString(36)}`;
  const durable = `test-${tag}`;
  let bus: NatsBus;
  let db: pg.Pool;
  let app: AccountingApp | undefined;

  const config = (): AccountingConfig =>
    loadConfig<AccountingConfig>({
      schema: accountingConfigSchema,
      env: {},
      overrides: { 'nats.url': NATS, 'database.url': PG, 'consumer.durable': durable, 'consumer.startAt': 'new', 'consumer.retryDelayMs': 200, 'admin.enabled': false },
    }) as AccountingConfig;
  const start = async (): Promise<AccountingApp> => createAccountingApp({ config: config(), logger: createLogger({ service: 'accounting', level: 'silent' }), registry: createMetricsRegistry({ service: 'accounting', processMetrics: false }) });

  const event = (n: number, over: Partial<TransactionCompletedEvent>): TransactionCompletedEvent =>
    transactionEvent({
      event_id: `${tag}.${n}.1`,
      tx: `${tag}.${n}.1`,
      time: new Date().toISOString(),
      call_id: `${tag}-call`,
      from: { uri: 'sip:1001@192.168.7.8', user: '1001', host: '192.168.7.8', tag: 'ftag' },
      to_tag: 'ttag',
      ...over,
    });
  const publish = async (msgId: string, events: TransactionCompletedEvent[]): Promise<void> => {
    await bus.publishEvent(subjects.events.transactionCompleted, encodeEvents(events.map((e) => JSON.stringify(e))), { msgId });
  };
  const rows = async (table: 'acc' | 'missed_calls', callid: string): Promise<{ method: string; sip_code: string; to_tag: string; src_ip: string; dst_user: string }[]> =>
    (await db.query(`SELECT method, sip_code, to_tag, src_ip, dst_user FROM ${table} WHERE callid = $1 ORDER BY id`, [callid])).rows;
  const until = async (check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('rows did not appear within 10 s');
  };

  beforeAll(async () => {
    bus = await connectNatsBus({ servers: NATS, name: `acc-test-${tag}` });
    await bus.ensureStream(EVENTS_STREAM, [subjects.events.all], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 });
    db = new pg.Pool({ connectionString: PG, max: 2 });
  });

  afterAll(async () => {
    await app?.stop();
    const nc = await connect({ servers: NATS });
    const jsm = await jetstreamManager(nc);
    for (const d of [durable, `${durable}-calls`]) await jsm.consumers.delete(EVENTS_STREAM, d).catch(() => undefined);
    await nc.close();
    await db.query('DELETE FROM acc WHERE callid LIKE $1', [`${tag}%`]).catch(() => undefined);
    await db.query('DELETE FROM missed_calls WHERE callid LIKE $1', [`${tag}%`]).catch(() => undefined);
    await db.end();
    await bus.close();
  });

  it('writes the INVITE and BYE rows of an answered call and the rows of a busy one, once each', async () => {
    app = await start();
    const invite = event(1, {});
    await publish(`${tag}-m1`, [invite, event(2, { acc: {}, call_id: `${tag}-nothing` })]);
    // the same event again in another message (an edge replaying its spool): no second row
    await publish(`${tag}-m2`, [invite, event(3, { method: 'BYE', cseq: 2, to: { ...invite.to, tag: 'ttag' } })]);
    await publish(`${tag}-m3`, [event(4, { call_id: `${tag}-busy`, status: 486, reason: 'Busy Here', branches: [{ uri: 'sip:9196@192.168.7.8', status: 486, reason: 'Busy Here' }], acc: { flags: ['failed', 'missed'] } })]);
    await until(async () => (await rows('acc', `${tag}-call`)).length >= 2 && (await rows('missed_calls', `${tag}-busy`)).length >= 1);
    expect(await rows('acc', `${tag}-call`)).toEqual([
      { method: 'INVITE', sip_code: '200', to_tag: 'ttag', src_ip: '172.22.0.1', dst_user: '9196' },
      { method: 'BYE', sip_code: '200', to_tag: 'ttag', src_ip: '172.22.0.1', dst_user: '9196' },
    ]);
    expect((await rows('acc', `${tag}-busy`)).map((r) => r.sip_code)).toEqual(['486']);
    expect((await rows('missed_calls', `${tag}-busy`)).map((r) => r.sip_code)).toEqual(['486']);
    expect(await rows('acc', `${tag}-nothing`)).toEqual([]);
  }, 30_000);

  it('resumes after a restart with what was published while it was down', async () => {
    await app?.stop();
    app = undefined;
    await publish(`${tag}-m4`, [event(5, { call_id: `${tag}-later` })]);
    app = await start();
    await until(async () => (await rows('acc', `${tag}-later`)).length >= 1);
    expect((await rows('acc', `${tag}-later`)).length).toBe(1);
    // nothing of the first test was written twice by the restarted consumer
    expect((await rows('acc', `${tag}-call`)).length).toBe(2);
  }, 30_000);

  it('stores a batch of more rows than PostgreSQL takes parameters in one statement (6,000 rows of 14 columns)', async () => {
    app ??= await start();
    const many = Array.from({ length: 6000 }, (_, i) => event(100 + i, { call_id: `${tag}-many-${i}` }));
    for (let i = 0; i < many.length; i += 100) await publish(`${tag}-many-${i}`, many.slice(i, i + 100));
    const count = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM acc WHERE callid LIKE $1', [`${tag}-many-%`])).rows[0]?.n ?? 0);
    await until(async () => (await count()) >= 6000);
    expect(await count()).toBe(6000);
  }, 30_000);
});
