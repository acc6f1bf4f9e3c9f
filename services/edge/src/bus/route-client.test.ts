/**
 * The edge side of suspend/continue over the in-process bus (a product mode with NATS semantics:
 * reply subjects, no-responders status): what is published, how each kind of answer reaches the
 * suspended transaction, and what is dropped and counted.
 */
import { createValidators, type RouteAnswer, type RouteParams, type RouteRequest } from '@sipmesh/contracts';
import { LocalBus, type BusMessage } from '@sipmesh/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Suspended } from '../proxy/proxy-context.js';
import { RouteClient } from './route-client.js';

const SUBJECT = 'sipmesh.route.v1.default';
const TX = 'edge1.7.123456';

/** A suspended transaction that records what it is told. */
class RecordingTx implements Suspended {
  readonly calls: unknown[][] = [];
  constructor(readonly askId: string) {}
  onAnswer(answer: RouteAnswer): void {
    this.calls.push(['answer', answer]);
  }
  onRouterError(code: number, message: string, reply: { code: number; reason: string } | undefined): void {
    this.calls.push(['error', code, message, reply]);
  }
  onInvalidAnswer(errors: readonly string[]): void {
    this.calls.push(['invalid', errors]);
  }
  onNoResponders(): void {
    this.calls.push(['no-responders']);
  }
}

// The params content is not the client's business; a minimal value of the contract type.
const PARAMS = { version: '1.0', edge: 'edge1', tx: TX, method: 'INVITE', ruri: 'sip:bob@example.com' } as unknown as RouteParams;
const ANSWER: RouteAnswer = { version: '1.0', routes: [{ dst_uri: 'sip:203.0.113.20' }] };
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

let bus: LocalBus;
let counters: Map<string, number>;
let logs: string[];
let client: RouteClient;

beforeEach(() => {
  bus = new LocalBus();
  counters = new Map();
  logs = [];
  client = new RouteClient(bus, 'edge1', createValidators(), { inc: (n) => counters.set(n, (counters.get(n) ?? 0) + 1) }, (event) => logs.push(event));
  client.start();
});

afterEach(async () => {
  client.stop();
  await bus.close();
});

/** A router that hands each request to `answer` and records it. */
function router(answer: (msg: BusMessage) => void): BusMessage[] {
  const seen: BusMessage[] = [];
  bus.subscribe(SUBJECT, (msg) => {
    seen.push(msg);
    answer(msg);
  });
  return seen;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await bus.flush();
}

describe('RouteClient', () => {
  it('publishes a JSON-RPC route request with the per-transaction reply subject and trace headers', async () => {
    const seen = router(() => {});
    client.ask(new RecordingTx(TX), PARAMS, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, 'default');
    await settle();
    expect(seen).toHaveLength(1);
    const msg = seen[0] as BusMessage;
    expect(msg.reply).toBe('sipmesh.edge.edge1.continue.7.123456');
    expect(msg.headers?.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const request = msg.json<RouteRequest>();
    expect(request).toEqual({ jsonrpc: '2.0', id: TX, method: 'route', params: PARAMS });
    expect(client.suspendedCount).toBe(1);
  });

  it('publishes on the subject of the policy asked', async () => {
    const seen: string[] = [];
    bus.subscribe('sipmesh.route.v1.>', (msg) => seen.push(msg.subject));
    client.ask(new RecordingTx(TX), PARAMS, undefined, 'lcr');
    client.ask(new RecordingTx('edge1.8.1'), PARAMS, undefined, 'default');
    await settle();
    expect(seen).toEqual(['sipmesh.route.v1.lcr', SUBJECT]);
  });

  it('continues the transaction with an answer on the reply subject', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, result: ANSWER })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls).toEqual([['answer', ANSWER]]);
  });

  it('continues the transaction with an answer published by any process on the continue subject', async () => {
    router(() => {});
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    bus.publish('sipmesh.edge.edge1.continue', enc({ jsonrpc: '2.0', id: TX, result: { ...ANSWER, unknown_field: 1 } }));
    await settle();
    expect(tx.calls).toEqual([['answer', { ...ANSWER, unknown_field: 1 }]]);
  });

  it('reports no responders at once when no router listens', async () => {
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls).toEqual([['no-responders']]);
  });

  it('reports an answer that breaks the schema as invalid, naming the field', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, result: { version: '1.0', routes: [{ fr_timer: 'soon' }] } })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls[0]?.[0]).toBe('invalid');
    expect((tx.calls[0]?.[1] as string[]).some((e) => e.startsWith('/result/routes/0/fr_timer'))).toBe(true);
  });

  it('rejects an answer of a higher major version', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, result: { ...ANSWER, version: '2.0' } })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls[0]?.[0]).toBe('invalid');
    expect(String((tx.calls[0]?.[1] as string[])[0])).toMatch(/^\/result\/version: /);
  });

  it('passes a JSON-RPC error on with its data.reply, CR/LF removed from the reason', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, error: { code: -32000, message: 'blocked', data: { reply: { code: 403, reason: 'Forbidden\r\nX-Injected: 1' } } } })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls).toEqual([['error', -32000, 'blocked', { code: 403, reason: 'Forbidden  X-Injected: 1' }]]);
  });

  it('ignores a data.reply whose code is not a final failure code', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, error: { code: -32603, message: 'oops', data: { reply: { code: 200, reason: 'OK' } } } })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls).toEqual([['error', -32603, 'oops', undefined]]);
  });

  it('drops and counts an answer for a transaction it forgot (deadline, CANCEL)', async () => {
    router((msg) => msg.respond(enc({ jsonrpc: '2.0', id: TX, result: ANSWER })));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    client.forget(TX);
    await settle();
    expect(tx.calls).toEqual([]);
    expect(counters.get('route_unmatched_answers')).toBe(1);
    expect(client.suspendedCount).toBe(0);
  });

  it('drops and counts an answer that is not JSON', async () => {
    router((msg) => msg.respond(enc('{not json')));
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    await settle();
    expect(tx.calls).toEqual([]);
    expect(counters.get('route_malformed_answers')).toBe(1);
    expect(logs).toEqual(['route_answer_not_json']);
  });

  it('fails the transaction as no responders when the bus refuses the publish', async () => {
    await bus.close();
    const tx = new RecordingTx(TX);
    client.ask(tx, PARAMS, undefined, 'default');
    expect(tx.calls).toEqual([]);
    await Promise.resolve();
    expect(tx.calls).toEqual([['no-responders']]);
    expect(counters.get('route_publish_failures')).toBe(1);
  });
});
