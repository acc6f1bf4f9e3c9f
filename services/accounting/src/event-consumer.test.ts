/**
 * The consumer's scheduling against real NATS JetStream, with a sink whose transactions the test
 * ends by hand: batches overlap up to `concurrency`, a batch the sink calls ordered (an edge's
 * reset) waits for every batch before it and holds back the ones after it, and a batch that
 * could not be stored comes back.
 */
import { encodeEvents, EVENTS_STREAM } from '@sipmesh/contracts';
import { connectNatsBus, createLogger, type NatsBus } from '@sipmesh/runtime';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../test/helpers/infra.js';
import { EventConsumer, type BatchSink, type EventBatch } from './event-consumer.js';

const NATS = 'nats://127.0.0.1:4222';

interface Prepared {
  readonly names: string[];
}

/** A sink whose writes stay open until the test ends them; it records when each began and ended. */
class HeldSink implements BatchSink<Prepared> {
  readonly log: string[] = [];
  private readonly open = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly waiting = new Map<string, () => void>();

  prepare(batch: EventBatch): Prepared {
    return { names: batch.events.map((e) => (e.event as { name: string }).name) };
  }

  ordered(p: Prepared): boolean {
    return p.names.some((n) => n.startsWith('reset'));
  }

  write(p: Prepared): Promise<void> {
    const name = p.names.join('+');
    this.log.push(`begin ${name}`);
    this.waiting.get(name)?.();
    return new Promise<void>((resolve, reject) => {
      this.open.set(name, {
        resolve: () => {
          this.log.push(`end ${name}`);
          resolve();
        },
        reject,
      });
    });
  }

  /** Resolves once a write of `name` has begun. */
  begun(name: string): Promise<void> {
    if (this.open.has(name)) return Promise.resolve();
    return new Promise((r) => this.waiting.set(name, r));
  }

  end(name: string): void {
    const w = this.open.get(name);
    if (!w) throw new Error(`no write of ${name} is open`);
    this.open.delete(name);
    w.resolve();
  }

  fail(name: string): void {
    const w = this.open.get(name);
    if (!w) throw new Error(`no write of ${name} is open`);
    this.open.delete(name);
    w.reject(new Error('database down'));
  }

  isOpen(name: string): boolean {
    return this.open.has(name);
  }
}

const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('event consumer scheduling', async () => {
  if (!(await requireInfra('nats'))) return;
  const tag = `cons${process.pid}${Date.now().toString(36)}`;
  const subject = `sipmesh.events.v1.test.${tag}`;
  const durables: string[] = [];
  let bus: NatsBus;
  let consumer: EventConsumer | undefined;

  beforeAll(async () => {
    bus = await connectNatsBus({ servers: NATS, name: `consumer-test-${tag}` });
    await bus.ensureStream(EVENTS_STREAM, ['sipmesh.events.v1.>'], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 });
  });

  afterAll(async () => {
    await consumer?.stop();
    const nc = await connect({ servers: NATS });
    const jsm = await jetstreamManager(nc);
    for (const d of durables) await jsm.consumers.delete(EVENTS_STREAM, d).catch(() => undefined);
    await nc.close();
    await bus.close();
  });

  const start = async (sink: HeldSink, name: string, retryDelayMs = 200): Promise<EventConsumer> => {
    const durable = `test-${tag}-${name}`;
    durables.push(durable);
    const c = new EventConsumer(
      { natsUrl: NATS, durable, filterSubject: subject, startAt: 'new', batchSize: 1, concurrency: 2, fetchWaitMs: 30_000, retryDelayMs },
      sink as BatchSink<unknown>,
      { unreadable: () => undefined, storeFailed: () => undefined },
      createLogger({ service: 'test', level: 'silent' }),
    );
    await c.start();
    return c;
  };
  const publish = async (name: string): Promise<void> => {
    await bus.publishEvent(subject, encodeEvents([JSON.stringify({ name })]), { msgId: `${tag}-${name}-${Date.now()}` });
  };

  it('stores two batches at once; an ordered batch waits for both and holds back the next', async () => {
    const sink = new HeldSink();
    consumer = await start(sink, 'order');
    await publish('a');
    await sink.begun('a');
    await publish('b');
    // b is stored while a's transaction is still open: two in flight
    await sink.begun('b');
    expect(sink.isOpen('a')).toBe(true);
    await publish('reset1');
    await settle();
    expect(sink.log).toEqual(['begin a', 'begin b']);
    sink.end('b');
    await settle();
    // a is still open: the reset waits for it too
    expect(sink.log).toEqual(['begin a', 'begin b', 'end b']);
    sink.end('a');
    await sink.begun('reset1');
    await publish('c');
    await settle();
    // c waits for the reset's transaction
    expect(sink.isOpen('c')).toBe(false);
    sink.end('reset1');
    await sink.begun('c');
    sink.end('c');
    expect(sink.log).toEqual(['begin a', 'begin b', 'end b', 'end a', 'begin reset1', 'end reset1', 'begin c', 'end c']);
    await consumer.stop();
    consumer = undefined;
  });

  it('a batch that could not be stored comes back and is stored once the sink works again', async () => {
    const sink = new HeldSink();
    consumer = await start(sink, 'retry');
    await publish('x');
    await sink.begun('x');
    sink.fail('x');
    // redelivered after the retry delay
    await sink.begun('x');
    sink.end('x');
    expect(sink.log.filter((l) => l === 'begin x')).toHaveLength(2);
    expect(sink.log.at(-1)).toBe('end x');
    await consumer.stop();
    consumer = undefined;
  });
});
