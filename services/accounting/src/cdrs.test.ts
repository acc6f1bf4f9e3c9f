/**
 * CDRs from dialog events, against real NATS JetStream and PostgreSQL: one row per call whatever
 * order its events arrive in and however often; a real end replaces the provisional end of an
 * edge that stopped; an edge's restart closes its open calls; ended and closed calls leave the
 * call-limit slots.
 */
import { dialogId, encodeEvents, EVENTS_STREAM, subjects, type DialogEvent } from '@sipmesh/contracts';
import { connectNatsBus, createLogger, createMetricsRegistry, loadConfig, type NatsBus } from '@sipmesh/runtime';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../test/helpers/infra.js';
import { createAccountingApp, type AccountingApp } from './app.js';
import { accountingConfigSchema, type AccountingConfig } from './config/accounting-config.js';

const NATS = 'nats://127.0.0.1:4222';
const PG = 'postgres://postgres@127.0.0.1:5432/test';

interface CdrRow {
  dialog_id: string;
  callid: string;
  caller: string;
  callee_user: string;
  start_time: Date | null;
  answer_time: Date | null;
  end_time: Date | null;
  duration: number | null;
  disposition: string | null;
  hangup: string | null;
  sip_code: number | null;
  bye_code: number | null;
  edge: string;
  extra: Record<string, string>;
}

describe('CDRs from dialog events', async () => {
  if (!((await requireInfra('nats')) && (await requireInfra('postgres')))) return;
  const tag = `cdr${process.pid}${Date.now().toString(36)}`;
  const durable = `test-${tag}`;
  const edge = `e${tag}`;
  const freed: string[] = [];
  let bus: NatsBus;
  let db: pg.Pool;
  let app: AccountingApp | undefined;
  let seq = 0;

  const config = (): AccountingConfig =>
    loadConfig<AccountingConfig>({
      schema: accountingConfigSchema,
      env: {},
      overrides: { 'nats.url': NATS, 'database.url': PG, 'consumer.durable': durable, 'consumer.startAt': 'new', 'consumer.retryDelayMs': 200, 'admin.enabled': false },
    }) as AccountingConfig;

  const T0 = Date.parse('2026-11-27T10:00:00.000Z');
  const at = (ms: number): string => new Date(T0 + ms).toISOString();
  /** The events of one call: started at 0, answered at 2 s, ended by the caller at 12.345 s. */
  const call = (n: number): { id: string; started: DialogEvent; answered: DialogEvent; ended: DialogEvent } => {
    const callId = `${tag}-${n}`;
    const id = dialogId(callId, 'ftag', 1);
    const base = { version: '1.0', edge, dialog_id: id, call_id: callId, from_tag: 'ftag', from: { uri: 'sip:1001@example.com', user: '1001', host: 'example.com', tag: 'ftag' }, ruri: 'sip:1002@example.com', source: { ip: '192.0.2.7', port: 5060, transport: 'udp' as const }, started_at: at(0), acc: { flags: ['acc' as const], extra: { tenant: 't1' } } };
    return {
      id,
      started: { ...base, event_id: `${id}.started`, type: 'dialog.started', time: at(0) },
      answered: { ...base, event_id: `${id}.answered`, type: 'dialog.answered', time: at(2000), answered_at: at(2000), to_tag: 'ttag', sip_code: 200, sip_reason: 'OK' },
      ended: { ...base, event_id: `${id}.ended`, type: 'dialog.ended', time: at(12_345), answered_at: at(2000), ended_at: at(12_345), to_tag: 'ttag', sip_code: 200, sip_reason: 'OK', duration_ms: 10_345, disposition: 'answered', hangup: 'caller', bye_code: 200 },
    };
  };
  const publish = async (events: DialogEvent[]): Promise<void> => {
    const kind = events[0]?.type.slice('dialog.'.length) as 'started';
    await bus.publishEvent(subjects.events.dialog(kind), encodeEvents(events.map((e) => JSON.stringify(e))), { msgId: `${tag}-${++seq}` });
  };
  const row = async (id: string): Promise<CdrRow | undefined> => (await db.query<CdrRow>('SELECT * FROM cdrs WHERE dialog_id = $1', [id])).rows[0];
  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
    for (let i = 0; i < 100; i++) {
      const v = await read();
      if (ok(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the CDR did not become what was expected within 10 s');
  };

  beforeAll(async () => {
    bus = await connectNatsBus({ servers: NATS, name: `cdr-test-${tag}` });
    await bus.ensureStream(EVENTS_STREAM, [subjects.events.all], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 });
    db = new pg.Pool({ connectionString: PG, max: 2 });
    app = await createAccountingApp({
      config: config(),
      logger: createLogger({ service: 'accounting', level: 'silent' }),
      registry: createMetricsRegistry({ service: 'accounting', processMetrics: false }),
      slots: {
        remove: (ids) => {
          freed.push(...ids);
          return Promise.resolve(ids.length);
        },
      },
    });
  });

  afterAll(async () => {
    await app?.stop();
    const nc = await connect({ servers: NATS });
    const jsm = await jetstreamManager(nc);
    for (const d of [durable, `${durable}-calls`]) await jsm.consumers.delete(EVENTS_STREAM, d).catch(() => undefined);
    await nc.close();
    await db.query('DELETE FROM cdrs WHERE callid LIKE $1', [`${tag}%`]).catch(() => undefined);
    await db.end();
    await bus.close();
  });

  it('makes one row per answered call with its times, and events delivered again change nothing', async () => {
    const c = call(1);
    await publish([c.started]);
    await publish([c.answered]);
    await publish([c.ended]);
    const r = await until(() => row(c.id), (v) => v?.end_time != null);
    expect(r).toMatchObject({ callid: `${tag}-1`, caller: '1001@example.com', callee_user: '1002', disposition: 'answered', hangup: 'caller', sip_code: 200, bye_code: 200, edge, extra: { tenant: 't1' } });
    expect(r?.start_time?.toISOString()).toBe(at(0));
    expect(r?.answer_time?.toISOString()).toBe(at(2000));
    expect(r?.end_time?.toISOString()).toBe(at(12_345));
    expect(r?.duration).toBeCloseTo(10.345, 6);
    expect(freed).toContain(c.id);

    // a replay (an edge's spool, a redelivery) of every event in one message
    const marker = call(2);
    await publish([c.ended, c.answered, c.started]);
    await publish([marker.ended]);
    await until(() => row(marker.id), (v) => v !== undefined);
    expect(await row(c.id)).toEqual(r);
    expect((await db.query('SELECT count(*)::int AS n FROM cdrs WHERE callid = $1', [`${tag}-1`])).rows[0]).toEqual({ n: 1 });
  });

  it('merges the events of a call in whatever order they come', async () => {
    const c = call(3);
    await publish([c.ended]);
    await publish([c.answered]);
    await publish([c.started]);
    const r = await until(() => row(c.id), (v) => v?.start_time != null && v.answer_time != null);
    expect(r).toMatchObject({ disposition: 'answered', hangup: 'caller', duration: 10.345 });
    expect(r?.end_time?.toISOString()).toBe(at(12_345));
  });

  it('keeps the end of a call that an edge closed when it stopped only until the real BYE arrives', async () => {
    const c = call(4);
    const { bye_code: _bye, ...withoutBye } = c.ended;
    const stopped: DialogEvent = { ...withoutBye, event_id: `${c.id}.stopped`, ended_at: at(5000), time: at(5000), duration_ms: 3000, hangup: 'edge-stopped' };
    await publish([c.started, c.answered]);
    await publish([stopped]);
    let r = await until(() => row(c.id), (v) => v?.hangup === 'edge-stopped');
    expect(r?.duration).toBeCloseTo(3, 6);
    // the restarted edge sees the callee's BYE at 20 s
    const recovered: DialogEvent = { event_id: `${c.id}.recovered`, type: 'dialog.ended', version: '1.0', time: at(20_000), edge, dialog_id: c.id, call_id: `${tag}-4`, ended_at: at(20_000), bye_code: 200, recovered: true, bye_from_tag: 'ttag' };
    await publish([recovered]);
    r = await until(() => row(c.id), (v) => v?.hangup === 'callee');
    expect(r).toMatchObject({ disposition: 'answered', hangup: 'callee', bye_code: 200 });
    expect(r?.end_time?.toISOString()).toBe(at(20_000));
    expect(r?.duration).toBeCloseTo(18, 6);
    // a late copy of the provisional end does not undo it
    await publish([stopped]);
    const marker = call(5);
    await publish([marker.started]);
    await until(() => row(marker.id), (v) => v !== undefined);
    expect((await row(c.id))?.hangup).toBe('callee');
  });

  it("closes the calls an edge had open when it announces a restart, and frees their slots", async () => {
    const open = call(6);
    const ringing = call(7);
    const done = call(8);
    await publish([open.started, ringing.started, done.started]);
    await publish([open.answered, done.answered]);
    await publish([done.ended]);
    await until(() => row(done.id), (v) => v?.end_time != null);
    const reset = { event_id: `${edge}.b1.reset`, type: 'dialog.reset', version: '1.0', time: at(60_000), edge, boot_id: 'b1' };
    await bus.publishEvent(subjects.events.dialog('reset'), encodeEvents([JSON.stringify(reset)]), { msgId: `${tag}-reset` });
    const r = await until(() => row(open.id), (v) => v?.end_time != null);
    expect(r).toMatchObject({ hangup: 'edge-restarted', disposition: 'answered' });
    expect(r?.duration).toBeCloseTo(58, 6);
    expect(await row(ringing.id)).toMatchObject({ hangup: 'edge-restarted', disposition: 'unfinished', duration: 0 });
    expect(await row(done.id)).toMatchObject({ hangup: 'caller', disposition: 'answered' });
    expect(freed).toEqual(expect.arrayContaining([open.id, ringing.id, done.id]));
  });
});
