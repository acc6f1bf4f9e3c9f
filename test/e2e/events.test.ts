/**
 * Transaction-completed events reach the JetStream stream SIPMESH_EVENTS: one per server
 * transaction, valid against the contract, deduplicated by event id, with the call's facts.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createValidators, decodeEvents, EVENT_COUNT_HEADER, EVENTS_STREAM, subjects, type TransactionCompletedEvent } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { callId as callIdOf } from '../helpers/sip-message-text.js';
import { NATS_URL, startSipmesh } from './support/sipmesh-under-test.js';

/**
 * The transaction-completed events of one edge, read from the newest part of the stream until
 * `want` arrived (or 10 s passed), each checked against the contract and the message framing.
 */
async function readEdgeEvents(nc: NatsConnection, edgeId: string, want: number): Promise<{ events: TransactionCompletedEvent[]; perMessage: number[] }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const js = jetstream(nc);
  const consumer = await js.consumers.get(EVENTS_STREAM, { filter_subjects: subjects.events.transactionCompleted, opt_start_seq: Math.max(1, info.state.last_seq - 500) });
  const validate = createValidators().transactionCompleted;
  const events: TransactionCompletedEvent[] = [];
  const perMessage: number[] = [];
  const deadline = Date.now() + 10_000;
  while (events.length < want && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 600, expires: 1000 });
    for await (const m of batch) {
      // a message holds one or more events, one JSON per line; its id is the first event's
      const inMessage = decodeEvents(m.data) as TransactionCompletedEvent[];
      if (inMessage[0]?.edge !== edgeId) continue;
      expect(m.headers?.get(EVENT_COUNT_HEADER)).toBe(String(inMessage.length));
      expect(m.headers?.get('Nats-Msg-Id')).toBe(inMessage[0]?.event_id);
      perMessage.push(inMessage.length);
      for (const event of inMessage) {
        const v = validate(event);
        expect(v.ok, v.ok ? '' : v.errors.join('; ')).toBe(true);
        events.push(event);
      }
    }
  }
  return { events, perMessage };
}

describe('transaction events on the JetStream stream', async () => {
  if (!(await requireInfra('sipp'))) return;
  if (!(await requireInfra('nats'))) return;

  it('publishes one valid event per final response, with the call facts', async () => {
    const uasPort = await freePort('udp', { leaseMs: Infinity });
    const sipmesh = await startSipmesh({ mode: 'nats', routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${uasPort}` }] }] } });
    const nc = await connect({ servers: NATS_URL });
    try {
      const callee = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: uasPort, calls: 1, timeoutS: 15 });
      await callee.ready;
      const r = await runSipp({ scenario: scenarioPath('uac-call.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'evented', calls: 1, timeoutS: 15 }).done;
      expect(r.outcome, r.summary).toBe('success');
      await callee.done;
      const callId = callIdOf(r.messages[0]?.text ?? '');

      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(EVENTS_STREAM);
      expect(info.config.subjects).toContain(subjects.events.all);
      const ours = (await readEdgeEvents(nc, sipmesh.edgeId, 2)).events;
      // INVITE and BYE are server transactions; the ACK for the 2xx is not.
      expect(ours.map((e) => [e.method, e.status, e.outcome]).sort()).toEqual([
        ['BYE', 200, 'relayed'],
        ['INVITE', 200, 'relayed'],
      ]);
      const invite = ours.find((e) => e.method === 'INVITE');
      expect(invite?.call_id).toBe(callId);
      expect(invite?.ruri).toBe(`sip:evented@127.0.0.1:${sipmesh.sipPort}`);
      expect(invite?.attempts).toBe(1);
      expect(invite?.branches).toEqual([{ uri: `sip:evented@127.0.0.1:${sipmesh.sipPort}`, dst_uri: `sip:127.0.0.1:${uasPort}`, status: 200, reason: 'OK' }]);
      expect(invite?.source.transport).toBe('udp');
      expect((await sipmesh.metrics()).get('sipmesh_edge_events_failed_total') ?? 0).toBe(0);
    } finally {
      await stopAllSipp();
      await nc.close();
      await sipmesh.stop();
      releasePorts(uasPort);
    }
  });

  it('gathers a burst of transactions into few messages and loses none', async () => {
    const uasPort = await freePort('udp', { leaseMs: Infinity });
    const sipmesh = await startSipmesh({ mode: 'nats', routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${uasPort}` }] }] }, edge: { 'events.batch.maxDelayMs': 20 } });
    const nc = await connect({ servers: NATS_URL });
    try {
      const total = 200;
      const callee = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: uasPort, calls: total, timeoutS: 20, traceMessages: false });
      await callee.ready;
      const r = await runSipp({ scenario: scenarioPath('uac-message.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'burst', calls: total, rate: 1000, timeoutS: 20, traceMessages: false }).done;
      expect(r.successfulCalls, r.summary).toBe(total);
      await callee.done;
      const { events, perMessage } = await readEdgeEvents(nc, sipmesh.edgeId, total);
      // every MESSAGE once, none doubled
      expect(events.filter((e) => e.method === 'MESSAGE' && e.status === 200)).toHaveLength(total);
      expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
      // at 1,000/s and 20 ms per message, messages carry many events each
      expect(perMessage.length).toBeLessThan(total / 4);
      const m = await sipmesh.metrics();
      // every transaction event, plus the edge's start announcement (dialog.reset)
      expect(m.get('sipmesh_edge_events_published_total')).toBe(total + 1);
      expect(m.get('sipmesh_edge_events_failed_total') ?? 0).toBe(0);
    } finally {
      await stopAllSipp();
      await nc.close();
      await sipmesh.stop();
      releasePorts(uasPort);
    }
  });
});
