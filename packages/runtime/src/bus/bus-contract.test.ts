/**
 * The Bus contract, run against both implementations: NatsBus on the real NATS server at
 * 127.0.0.1:4222 and LocalBus. Whatever a service may rely on is asserted here once, so the
 * two cannot drift apart.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from './bus.js';
import { BusErrorCode, isBusError } from './bus-error.js';
import type { HandlerErrorListener } from './handler-runner.js';
import { LocalBus } from './local-bus.js';
import { connectNatsBus } from './nats-bus.js';

const NATS_URL = '127.0.0.1:4222';

interface Pair {
  /** The bus under test. */
  a: Bus;
  /** Another participant: a second NATS connection, or the same LocalBus (one process is one bus). */
  b: Bus;
}

interface Flavour {
  name: 'local' | 'nats';
  open(onHandlerError?: HandlerErrorListener): Promise<Pair>;
}

const flavours: Flavour[] = [
  {
    name: 'local',
    open: (onHandlerError) => {
      const bus = new LocalBus(onHandlerError === undefined ? {} : { onHandlerError });
      return Promise.resolve({ a: bus, b: bus });
    },
  },
  {
    name: 'nats',
    open: async (onHandlerError) => {
      const base = { servers: NATS_URL, ...(onHandlerError === undefined ? {} : { onHandlerError }) };
      const a = await connectNatsBus({ ...base, name: 'runtime-contract-a' });
      const b = await connectNatsBus({ ...base, name: 'runtime-contract-b' });
      return { a, b };
    },
  },
];

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const dec = (u: Uint8Array): string => Buffer.from(u).toString('utf8');

function collector(): { messages: BusMessage[]; handler: (m: BusMessage) => void; next: (n?: number) => Promise<BusMessage[]> } {
  const messages: BusMessage[] = [];
  let waiter: { n: number; resolve: (m: BusMessage[]) => void } | undefined;
  return {
    messages,
    handler: (m) => {
      messages.push(m);
      if (waiter !== undefined && messages.length >= waiter.n) {
        waiter.resolve(messages);
        waiter = undefined;
      }
    },
    next: (n = 1) =>
      messages.length >= n
        ? Promise.resolve(messages)
        : new Promise((resolve) => {
            waiter = { n, resolve };
          }),
  };
}

async function expectBusError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBusError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(flavours)('Bus contract: $name', (flavour) => {
  const opened: Bus[] = [];
  let prefix = '';

  async function open(onHandlerError?: HandlerErrorListener): Promise<Pair> {
    prefix = `rt.${randomBytes(4).toString('hex')}`;
    const pair = await flavour.open(onHandlerError);
    opened.push(pair.a, pair.b);
    return pair;
  }

  afterEach(async () => {
    for (const bus of opened.splice(0)) await bus.close();
  });

  it('delivers payload and headers as sent, headers undefined when none', async () => {
    const { a, b } = await open();
    expect(a.kind).toBe(flavour.name);
    const c = collector();
    b.subscribe(`${prefix}.hello`, c.handler);
    await b.flush();
    a.publish(`${prefix}.hello`, enc('{"n":1}'), { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'X-Case': 'Kept' } });
    a.publish(`${prefix}.hello`, enc('plain'));
    const [first, second] = await c.next(2);
    expect(first?.subject).toBe(`${prefix}.hello`);
    expect(dec(first!.data)).toBe('{"n":1}');
    expect(first?.json<{ n: number }>()).toEqual({ n: 1 });
    expect(first?.headers?.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(first?.headers?.get('X-Case')).toBe('Kept');
    expect(first?.reply).toBeUndefined();
    expect(first?.noResponders).toBe(false);
    expect(second?.headers).toBeUndefined();
    expect(dec(second!.data)).toBe('plain');
  });

  it('never calls a handler synchronously from publish', async () => {
    const { a } = await open();
    const c = collector();
    a.subscribe(`${prefix}.async`, c.handler);
    await a.flush();
    a.publish(`${prefix}.async`, enc('x'));
    expect(c.messages).toHaveLength(0);
    await c.next(1);
    expect(c.messages).toHaveLength(1);
  });

  it('matches * to exactly one token and > to one or more', async () => {
    const { a, b } = await open();
    const star = collector();
    const tail = collector();
    b.subscribe(`${prefix}.*.x`, star.handler);
    b.subscribe(`${prefix}.>`, tail.handler);
    await b.flush();
    for (const s of ['a.x', 'a.b.x', 'a', 'b.x']) a.publish(`${prefix}.${s}`, enc(s));
    await tail.next(4);
    await star.next(2);
    await a.flush();
    await delay(50);
    expect(star.messages.map((m) => dec(m.data)).sort()).toEqual(['a.x', 'b.x']);
    expect(tail.messages.map((m) => dec(m.data)).sort()).toEqual(['a', 'a.b.x', 'a.x', 'b.x']);
  });

  it('gives each message to one member of a queue group and to every plain subscriber', async () => {
    const { a, b } = await open();
    const m1 = collector();
    const m2 = collector();
    const plain = collector();
    b.subscribe(`${prefix}.work`, m1.handler, { queue: 'workers' });
    a.subscribe(`${prefix}.work`, m2.handler, { queue: 'workers' });
    b.subscribe(`${prefix}.work`, plain.handler);
    await a.flush();
    await b.flush();
    for (let i = 0; i < 200; i++) a.publish(`${prefix}.work`, enc(String(i)));
    await plain.next(200);
    await delay(50);
    expect(m1.messages.length + m2.messages.length).toBe(200);
    expect(m1.messages.length).toBeGreaterThan(0);
    expect(m2.messages.length).toBeGreaterThan(0);
    const seen = new Set([...m1.messages, ...m2.messages].map((m) => dec(m.data)));
    expect(seen.size).toBe(200);
  });

  it('answers a request, carrying headers both ways', async () => {
    const { a, b } = await open();
    b.subscribe(
      `${prefix}.route`,
      (m) => {
        m.respond(enc(`answer:${dec(m.data)}`), { headers: { traceparent: m.headers?.get('traceparent') ?? 'missing' } });
      },
      { queue: 'router' },
    );
    await b.flush();
    const reply = await a.request(`${prefix}.route`, enc('q1'), { timeoutMs: 2000, headers: { traceparent: 'tp-1' } });
    expect(dec(reply.data)).toBe('answer:q1');
    expect(reply.headers?.get('traceparent')).toBe('tp-1');
    expect(reply.noResponders).toBe(false);
  });

  it('rejects a request with BUS_NO_RESPONDERS at once when nobody listens', async () => {
    const { a } = await open();
    const started = Date.now();
    await expectBusError(a.request(`${prefix}.nobody`, enc('x'), { timeoutMs: 5000 }), BusErrorCode.noResponders);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects a request with BUS_TIMEOUT after timeoutMs when the responder is silent', async () => {
    const { a, b } = await open();
    b.subscribe(`${prefix}.silent`, () => undefined);
    await b.flush();
    const started = Date.now();
    await expectBusError(a.request(`${prefix}.silent`, enc('x'), { timeoutMs: 200 }), BusErrorCode.timeout);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1000);
  });

  it('sends the 503 no-responders status to the reply subject of a plain publish nobody receives', async () => {
    const { a } = await open();
    const replies = collector();
    const replySubject = `${prefix}.edge.continue`;
    a.subscribe(replySubject, replies.handler);
    await a.flush();
    a.publish(`${prefix}.route.nobody`, enc('{"id":"tx-1"}'), { reply: replySubject });
    const [status] = await replies.next(1);
    expect(status?.subject).toBe(replySubject);
    expect(status?.noResponders).toBe(true);
    expect(status?.data.byteLength).toBe(0);
    expect(status?.reply).toBeUndefined();
  });

  it('does not send the no-responders status when someone receives the message', async () => {
    const { a, b } = await open();
    const replies = collector();
    const replySubject = `${prefix}.edge.continue`;
    a.subscribe(replySubject, replies.handler);
    b.subscribe(`${prefix}.route.x`, (m) => {
      m.respond(enc('routed'));
    });
    await a.flush();
    await b.flush();
    a.publish(`${prefix}.route.x`, enc('{}'), { reply: replySubject });
    const [answer] = await replies.next(1);
    expect(answer?.noResponders).toBe(false);
    expect(dec(answer!.data)).toBe('routed');
    await delay(50);
    expect(replies.messages).toHaveLength(1);
  });

  it('stops delivery on unsubscribe', async () => {
    const { a, b } = await open();
    const c = collector();
    const sub = b.subscribe(`${prefix}.unsub`, c.handler);
    await b.flush();
    a.publish(`${prefix}.unsub`, enc('1'));
    await c.next(1);
    sub.unsubscribe();
    await b.flush();
    a.publish(`${prefix}.unsub`, enc('2'));
    await a.flush();
    await delay(50);
    expect(c.messages.map((m) => dec(m.data))).toEqual(['1']);
  });

  it('rejects malformed subjects with BUS_INVALID_SUBJECT', async () => {
    const { a } = await open();
    for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>']) {
      expect(() => a.publish(bad, enc('x')), bad).toThrow(expect.objectContaining({ code: BusErrorCode.invalidSubject }) as Error);
    }
    for (const bad of ['a.>.b', 'a..b', '']) {
      expect(() => a.subscribe(bad, () => undefined), bad).toThrow(expect.objectContaining({ code: BusErrorCode.invalidSubject }) as Error);
    }
    await expectBusError(a.request('a.*', enc('x'), { timeoutMs: 100 }), BusErrorCode.invalidSubject);
  });

  it('rejects a payload above the server limit with BUS_PAYLOAD_TOO_LARGE', async () => {
    const { a } = await open();
    expect(() => a.publish(`${prefix}.big`, new Uint8Array(1024 * 1024 + 1))).toThrow(expect.objectContaining({ code: BusErrorCode.payloadTooLarge }) as Error);
  });

  it('isolates a throwing handler and reports it', async () => {
    const errors: Array<{ error: unknown; subject: string | undefined }> = [];
    const { a, b } = await open((error, subject) => errors.push({ error, subject }));
    const c = collector();
    b.subscribe(`${prefix}.boom`, () => {
      throw new Error('handler bug');
    });
    b.subscribe(`${prefix}.boom`, c.handler);
    await b.flush();
    a.publish(`${prefix}.boom`, enc('1'));
    a.publish(`${prefix}.boom`, enc('2'));
    await c.next(2);
    await delay(20);
    expect(errors).toHaveLength(2);
    expect((errors[0]?.error as Error).message).toBe('handler bug');
    expect(errors[0]?.subject).toBe(`${prefix}.boom`);
  });

  it('delivers published events to subscribers with the Nats-Msg-Id header', async () => {
    const { a, b } = await open();
    const stream = `RT_${prefix.slice(3).toUpperCase()}`;
    await a.ensureStream(stream, [`${prefix}.events.>`]);
    try {
      const c = collector();
      b.subscribe(`${prefix}.events.>`, c.handler);
      await b.flush();
      await a.publishEvent(`${prefix}.events.tx`, enc('{"e":1}'), { msgId: 'ev-1', headers: { traceparent: 'tp' } });
      const [event] = await c.next(1);
      expect(dec(event!.data)).toBe('{"e":1}');
      expect(event?.headers?.get('Nats-Msg-Id')).toBe('ev-1');
      expect(event?.headers?.get('traceparent')).toBe('tp');
    } finally {
      if (flavour.name === 'nats') await deleteStream(stream);
    }
  });

  it('shares a settings bucket: values, deletes, and a watch that sees the current entries and every change', async () => {
    const { a, b } = await open();
    const name = `rt_${prefix.slice(3)}`;
    try {
      const writer = await a.settings(name);
      const reader = await b.settings(name);
      await writer.put('policy.default', 'p1');
      await writer.put('policy.domain.example.com', 'p2');
      expect(await reader.get('policy.default')).toBe('p1');
      expect(await reader.get('missing')).toBeUndefined();
      const seen: string[] = [];
      const stop = await reader.watch((k, v) => seen.push(`${k}=${v ?? '(deleted)'}`));
      // the current entries arrive before watch() resolves
      expect([...seen].sort()).toEqual(['policy.default=p1', 'policy.domain.example.com=p2']);
      await writer.put('policy.default', 'p3');
      await writer.delete('policy.domain.example.com');
      await expect.poll(() => seen.slice(2)).toEqual(['policy.default=p3', 'policy.domain.example.com=(deleted)']);
      expect(await reader.get('policy.domain.example.com')).toBeUndefined();
      stop();
      await writer.put('policy.default', 'p4');
      await delay(100);
      expect(seen).toHaveLength(4);
    } finally {
      if (flavour.name === 'nats') await deleteStream(`KV_${name}`);
    }
  });

  it('drains: stops receiving, lets running handlers answer, then closes', async () => {
    const { a, b } = await open();
    let finished = 0;
    b.subscribe(`${prefix}.slow`, async (m) => {
      await delay(150);
      finished++;
      m.respond(enc('late but delivered'));
    });
    await b.flush();
    const pending = a.request(`${prefix}.slow`, enc('x'), { timeoutMs: 3000 });
    // Let the message reach the handler before draining.
    await delay(50);
    const statuses: string[] = [];
    b.onStatus((s) => statuses.push(s));
    await b.drain();
    expect(finished).toBe(1);
    expect(b.status).toBe('closed');
    expect(statuses).toContain('closed');
    const answer = await pending;
    expect(dec(answer.data)).toBe('late but delivered');
    expect(() => b.publish(`${prefix}.after`, enc('x'))).toThrow(expect.objectContaining({ code: BusErrorCode.closed }) as Error);
  });

  it('rejects pending requests with BUS_CLOSED on close', async () => {
    const { a, b } = await open();
    b.subscribe(`${prefix}.never`, () => undefined);
    await b.flush();
    const pending = a.request(`${prefix}.never`, enc('x'), { timeoutMs: 5000 });
    await delay(20);
    await a.close();
    await expectBusError(pending, BusErrorCode.closed);
    expect(a.status).toBe('closed');
  });
});

async function deleteStream(name: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
