/**
 * The batcher's three limits (count, bytes, delay), its message id, the duplicate drop, and what a
 * failed publish reports, over a recording stream with a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_COUNT_HEADER, eventLines } from './event-batch.js';
import { EventBatcher, type EventBatchLimits, type EventMessageOptions, type EventPublisher } from './event-batcher.js';

const SUBJECT = 'sipmesh.events.v1.transaction.completed';

/** A stream that keeps what it is given, or refuses everything once closed. */
class RecordingStream implements EventPublisher {
  readonly messages: { data: Uint8Array; msgId: string; headers: Record<string, string> }[] = [];
  closed = false;

  publishEvent(_subject: string, data: Uint8Array, opts: EventMessageOptions): Promise<void> {
    if (this.closed) return Promise.reject(new Error('bus closed'));
    this.messages.push({ data, msgId: opts.msgId, headers: opts.headers ?? {} });
    return Promise.resolve();
  }
}

function setup(limits: Partial<EventBatchLimits> = {}): { bus: RecordingStream; batcher: EventBatcher; published: number[]; failed: string[] } {
  const bus = new RecordingStream();
  const published: number[] = [];
  const failed: string[] = [];
  const batcher = new EventBatcher(bus, SUBJECT, { maxEvents: 100, maxBytes: 1 << 20, maxDelayMs: 5, ...limits }, {
    published: (n) => published.push(n),
    failed: (n, e) => failed.push(`${n}: ${e.message}`),
  });
  return { bus, batcher, published, failed };
}

const ev = (id: string, pad = ''): string => JSON.stringify({ event_id: id, pad });
const lines = (bus: RecordingStream): string[][] => bus.messages.map((m) => eventLines(m.data).map((l) => (JSON.parse(l) as { event_id: string }).event_id));

describe('EventBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes a message maxDelayMs after its first event, with the count header', async () => {
    const { bus, batcher, published } = setup({ maxDelayMs: 5 });
    batcher.add('a', ev('a'));
    vi.advanceTimersByTime(3);
    batcher.add('b', ev('b'));
    expect(bus.messages).toHaveLength(0);
    expect(batcher.pending).toBe(2);
    vi.advanceTimersByTime(2);
    await vi.runAllTimersAsync();
    expect(lines(bus)).toEqual([['a', 'b']]);
    expect(bus.messages[0]?.headers[EVENT_COUNT_HEADER]).toBe('2');
    expect(published).toEqual([2]);
    expect(batcher.pending).toBe(0);
  });

  it('publishes at once when a message holds maxEvents', async () => {
    const { bus, batcher } = setup({ maxEvents: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) batcher.add(id, ev(id));
    await Promise.resolve();
    expect(lines(bus)).toEqual([['a', 'b'], ['c', 'd']]);
    await vi.runAllTimersAsync();
    expect(lines(bus)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('never lets a message grow past maxBytes (a larger single event goes alone)', async () => {
    const { bus, batcher } = setup({ maxBytes: 1024 });
    batcher.add('a', ev('a', 'x'.repeat(400)));
    batcher.add('b', ev('b', 'x'.repeat(400)));
    batcher.add('c', ev('c', 'x'.repeat(400))); // would pass 1024: a and b leave first
    batcher.add('big', ev('big', 'x'.repeat(2000))); // c leaves, big is over the limit on its own and leaves at once
    await vi.runAllTimersAsync();
    expect(lines(bus)).toEqual([['a', 'b'], ['c'], ['big']]);
    for (const m of bus.messages.slice(0, 2)) expect(m.data.length).toBeLessThanOrEqual(1024);
  });

  it('names a message by its first event and drops an event id seen twice in it', async () => {
    const { bus, batcher } = setup();
    batcher.add('a', ev('a'));
    batcher.add('b', ev('b'));
    batcher.add('a', ev('a'));
    batcher.flush();
    await Promise.resolve();
    expect(bus.messages.map((m) => m.msgId)).toEqual(['a']);
    expect(lines(bus)).toEqual([['a', 'b']]);
  });

  it('reports the events of a message the bus refused, and keeps going', async () => {
    const { bus, batcher, failed } = setup();
    bus.closed = true;
    batcher.add('a', ev('a'));
    batcher.add('b', ev('b'));
    batcher.flush();
    await vi.runAllTimersAsync();
    expect(failed).toEqual(['2: bus closed']);
    expect(batcher.pending).toBe(0);
  });
});
