/**
 * transaction.completed events on the event stream (contracts transaction-completed.json), over the
 * in-process bus: one schema-valid event per transaction, deduplicated by event id, gathered into
 * messages of JSON lines; a failed publish is counted and never thrown into the SIP path.
 */
import { createValidators, decodeEvents, type TransactionCompletedEvent } from '@sipmesh/contracts';
import { LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest } from '../parser/sip-message.js';
import type { CompletedTransaction } from '../proxy/proxy-context.js';
import { CALLER, UDP_LISTENER } from '../proxy/proxy-harness.fixture.js';
import { invite } from '../proxy/sip-peers.fixture.js';
import type { EventBatchLimits } from '@sipmesh/contracts';
import { TransactionEvents, UNBATCHED } from './transaction-events.js';

const REQ = ((): SipRequest => {
  const r = parseMessage(invite());
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
})();

const INBOUND = { data: REQ.raw, source: CALLER, listener: UDP_LISTENER, connectionId: undefined };

const COMPLETED: CompletedTransaction = {
  txId: 'edge1.5.4242',
  req: REQ,
  inbound: INBOUND,
  status: 200,
  reason: 'OK',
  outcome: 'relayed',
  policy: 'dispatcher',
  attempts: 1,
  branches: [{ uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 200, reason: 'OK' }],
  startedAt: Date.UTC(2026, 0, 1, 12, 0, 0, 0),
  traceId: '0af7651916cd43dd8448eb211c80319c',
  acc: { flags: ['acc'], extra: { tenant: 'a' } },
  toTag: 'b5x9',
  finalRuri: 'sip:bob@203.0.113.20',
  finalDstUri: undefined,
  dialogId: undefined,
};

function setup(bus: LocalBus, limits: EventBatchLimits = UNBATCHED): { events: TransactionEvents; counters: Map<string, number>; logs: string[] } {
  const counters = new Map<string, number>();
  const logs: string[] = [];
  const events = new TransactionEvents(bus, 'edge1', { inc: (n, by = 1) => counters.set(n, (counters.get(n) ?? 0) + by) }, (e) => logs.push(e), limits, () => COMPLETED.startedAt + 1234);
  return { events, counters, logs };
}

describe('TransactionEvents', () => {
  it('publishes one schema-valid transaction.completed event with the message id = event id', async () => {
    const bus = new LocalBus();
    const { events, counters } = setup(bus);
    events.completed(COMPLETED, REQ, INBOUND);
    await Promise.resolve();
    const stored = bus.readEvents();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.subject).toBe('sipmesh.events.v1.transaction.completed');
    expect(stored[0]?.msgId).toBe('edge1.5.4242');
    const event = JSON.parse(new TextDecoder().decode(stored[0]?.data)) as TransactionCompletedEvent;
    expect(event).toEqual({
      event_id: 'edge1.5.4242',
      type: 'transaction.completed',
      version: '1.0',
      time: '2026-01-01T12:00:01.234Z',
      edge: 'edge1',
      tx: 'edge1.5.4242',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      method: 'INVITE',
      ruri: 'sip:bob@example.com',
      call_id: 'f81d4fae@10.0.0.5',
      cseq: 1,
      from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 'a73kszlfl', display: 'Alice' },
      to: { uri: 'sip:bob@example.com', user: 'bob', host: 'example.com' },
      source: { ip: '198.51.100.7', port: 5062, transport: 'udp' },
      status: 200,
      reason: 'OK',
      outcome: 'relayed',
      policy: 'dispatcher',
      attempts: 1,
      branches: COMPLETED.branches,
      started_at: '2026-01-01T12:00:00.000Z',
      duration_ms: 1234,
      acc: { flags: ['acc'], extra: { tenant: 'a' } },
      to_tag: 'b5x9',
      final_ruri: 'sip:bob@203.0.113.20',
    });
    const v = createValidators().transactionCompleted(event);
    expect(v.ok ? [] : v.errors).toEqual([]);
    expect(counters.get('events_published')).toBe(1);
    await bus.close();
  });

  it('lets the stream drop a second event for the same transaction', async () => {
    const bus = new LocalBus();
    const { events } = setup(bus);
    events.completed(COMPLETED, REQ, INBOUND);
    events.completed(COMPLETED, REQ, INBOUND);
    await Promise.resolve();
    expect(bus.readEvents()).toHaveLength(1);
    await bus.close();
  });

  it('counts and logs a failed publish without throwing', async () => {
    const bus = new LocalBus();
    await bus.close();
    const { events, counters, logs } = setup(bus);
    expect(() => events.completed(COMPLETED, REQ, INBOUND)).not.toThrow();
    events.completed({ ...COMPLETED, txId: 'edge1.6.1' }, REQ, INBOUND);
    await new Promise((r) => setImmediate(r));
    expect(counters.get('events_failed')).toBe(2);
    // One log line per 10 s at most.
    expect(logs).toEqual(['event_publish_failed']);
  });

  it('gathers events into one message of JSON lines, each line a valid event, message id = first event id', async () => {
    const bus = new LocalBus();
    const { events, counters } = setup(bus, { maxEvents: 3, maxBytes: 1 << 20, maxDelayMs: 1000 });
    for (let i = 1; i <= 4; i++) events.completed({ ...COMPLETED, txId: `edge1.${i}.1` }, REQ, INBOUND);
    await Promise.resolve();
    // three filled a message; the fourth waits for more, or for its delay
    let stored = bus.readEvents();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.msgId).toBe('edge1.1.1');
    const batch = decodeEvents(stored[0]?.data ?? new Uint8Array()) as TransactionCompletedEvent[];
    expect(batch.map((e) => e.event_id)).toEqual(['edge1.1.1', 'edge1.2.1', 'edge1.3.1']);
    const validate = createValidators().transactionCompleted;
    for (const e of batch) expect(validate(e).ok).toBe(true);
    expect(counters.get('events_published')).toBe(3);
    events.flush();
    await Promise.resolve();
    stored = bus.readEvents();
    expect(stored.map((m) => m.msgId)).toEqual(['edge1.1.1', 'edge1.4.1']);
    expect(counters.get('events_published')).toBe(4);
    await bus.close();
  });

  it('leaves out the REGISTERs the registrar answered unless events.registrarTransactions is on', async () => {
    const registerReq = ((): SipRequest => {
      const r = parseMessage(Buffer.from('REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKr1\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=r1\r\nTo: <sip:alice@example.com>\r\nCall-ID: reg1\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@198.51.100.7:5062>\r\nContent-Length: 0\r\n\r\n'));
      if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
      return r.message;
    })();
    const registered: CompletedTransaction = { ...COMPLETED, req: registerReq, outcome: 'replied', policy: 'registrar', acc: undefined, branches: [] };
    const ids = async (registrarTransactions: boolean): Promise<string[]> => {
      const bus = new LocalBus();
      const events = new TransactionEvents(bus, 'edge1', { inc: () => undefined }, () => undefined, UNBATCHED, Date.now, registrarTransactions);
      events.completed({ ...registered, txId: 'edge1.1.1', status: 401 }, registerReq, INBOUND); // challenged
      events.completed({ ...registered, txId: 'edge1.2.1' }, registerReq, INBOUND); // registered
      events.completed({ ...registered, txId: 'edge1.3.1', policy: 'upstream' }, registerReq, INBOUND); // routed by a policy
      events.completed({ ...registered, txId: 'edge1.4.1', acc: { flags: ['acc'] } }, registerReq, INBOUND); // accounting asked for
      events.completed({ ...registered, txId: 'edge1.5.1', policy: undefined, status: 408, outcome: 'router_timeout' }, registerReq, INBOUND); // registrar never answered
      await Promise.resolve();
      return bus.readEvents().map((m) => m.msgId);
    };
    expect(await ids(false)).toEqual(['edge1.3.1', 'edge1.4.1', 'edge1.5.1']);
    expect(await ids(true)).toEqual(['edge1.1.1', 'edge1.2.1', 'edge1.3.1', 'edge1.4.1', 'edge1.5.1']);
  });
});
