/** LocalBus behaviour beyond the shared contract (bus-contract.test.ts). */
import { describe, expect, it } from 'vitest';
import type { BusMessage } from './bus.js';
import { BusErrorCode } from './bus-error.js';
import { LocalBus } from './local-bus.js';

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const dec = (u: Uint8Array): string => Buffer.from(u).toString('utf8');
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LocalBus', () => {
  it('round-robins a queue group exactly', async () => {
    const bus = new LocalBus();
    const counts = [0, 0, 0];
    for (let i = 0; i < 3; i++) {
      bus.subscribe('sipmesh.route.v1.default', () => {
        counts[i] = (counts[i] ?? 0) + 1;
      }, { queue: 'router' });
    }
    for (let i = 0; i < 300; i++) bus.publish('sipmesh.route.v1.default', enc('x'));
    await bus.flush();
    expect(counts).toEqual([100, 100, 100]);
  });

  it('treats queue groups with different names as independent groups', async () => {
    const bus = new LocalBus();
    const got: string[] = [];
    bus.subscribe('a.b', () => got.push('q1-a'), { queue: 'q1' });
    bus.subscribe('a.*', () => got.push('q1-b'), { queue: 'q1' });
    bus.subscribe('a.>', () => got.push('q2'), { queue: 'q2' });
    bus.publish('a.b', enc('1'));
    bus.publish('a.b', enc('2'));
    await bus.flush();
    expect(got.filter((g) => g === 'q2')).toHaveLength(2);
    expect(got.filter((g) => g.startsWith('q1')).sort()).toEqual(['q1-a', 'q1-b']);
  });

  it('delivers what was published in one turn together, and what handlers publish in the next', async () => {
    const bus = new LocalBus();
    const order: string[] = [];
    bus.subscribe('ping', (m) => {
      order.push(`ping:${dec(m.data)}`);
      bus.publish('pong', m.data);
    });
    bus.subscribe('pong', (m) => order.push(`pong:${dec(m.data)}`));
    bus.publish('ping', enc('1'));
    bus.publish('ping', enc('2'));
    expect(order).toEqual([]);
    await turn();
    expect(order).toEqual(['ping:1', 'ping:2']);
    await turn();
    expect(order).toEqual(['ping:1', 'ping:2', 'pong:1', 'pong:2']);
  });

  it('lets I/O and timers run between turns of an endless ping-pong', async () => {
    const bus = new LocalBus();
    let exchanges = 0;
    bus.subscribe('ping', (m) => {
      exchanges++;
      bus.publish('pong', m.data);
    });
    bus.subscribe('pong', (m) => bus.publish('ping', m.data));
    bus.publish('ping', enc('ball'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exchanges).toBeGreaterThan(10);
    await bus.close();
  });

  it('copies headers at publish time', async () => {
    const bus = new LocalBus();
    let seen: BusMessage | undefined;
    bus.subscribe('h', (m) => {
      seen = m;
    });
    const headers: Record<string, string> = { a: '1' };
    bus.publish('h', enc('x'), { headers });
    headers['a'] = 'changed';
    await bus.flush();
    expect(seen?.headers?.get('a')).toBe('1');
  });

  it('drops messages queued for a subscription that unsubscribes in the same turn', async () => {
    const bus = new LocalBus();
    const got: string[] = [];
    const sub = bus.subscribe('u', (m) => {
      got.push(dec(m.data));
      sub.unsubscribe();
    });
    bus.publish('u', enc('1'));
    bus.publish('u', enc('2'));
    await bus.flush();
    expect(got).toEqual(['1']);
  });

  it('keeps events, deduplicated by msgId, and delivers each once', async () => {
    let now = 0;
    const bus = new LocalBus({ eventLogCapacity: 2, duplicateWindowMs: 1000, now: () => now });
    const delivered: string[] = [];
    bus.subscribe('sipmesh.events.v1.>', (m) => delivered.push(dec(m.data)));
    await bus.ensureStream('SIPMESH_EVENTS', ['sipmesh.events.v1.>']);
    await bus.publishEvent('sipmesh.events.v1.tx', enc('a'), { msgId: 'e1' });
    await bus.publishEvent('sipmesh.events.v1.tx', enc('a-dup'), { msgId: 'e1' });
    await bus.publishEvent('sipmesh.events.v1.tx', enc('b'), { msgId: 'e2' });
    now = 2000;
    await bus.publishEvent('sipmesh.events.v1.tx', enc('c'), { msgId: 'e1' });
    await bus.flush();
    expect(delivered).toEqual(['a', 'b', 'c']);
    const events = bus.readEvents();
    expect(events.map((e) => [e.seq, dec(e.data), e.msgId])).toEqual([
      [2, 'b', 'e2'],
      [3, 'c', 'e1'],
    ]);
    expect(events[0]?.headers.get('Nats-Msg-Id')).toBe('e2');
    expect(bus.readEvents(2).map((e) => e.seq)).toEqual([3]);
  });

  it('resolves flush at once when nothing is queued and after delivery otherwise', async () => {
    const bus = new LocalBus();
    await bus.flush();
    let delivered = false;
    bus.subscribe('f', () => {
      delivered = true;
    });
    bus.publish('f', enc('x'));
    await bus.flush();
    expect(delivered).toBe(true);
  });

  it('refuses new subscriptions while draining and everything once closed', async () => {
    const bus = new LocalBus();
    bus.subscribe('d', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    bus.publish('d', enc('x'));
    await bus.flush();
    const draining = bus.drain();
    expect(() => bus.subscribe('e', () => undefined)).toThrow(expect.objectContaining({ code: BusErrorCode.draining }) as Error);
    await draining;
    expect(bus.status).toBe('closed');
    expect(() => bus.subscribe('e', () => undefined)).toThrow(expect.objectContaining({ code: BusErrorCode.closed }) as Error);
    await expect(bus.request('e', enc('x'), { timeoutMs: 10 })).rejects.toMatchObject({ code: BusErrorCode.closed });
    await expect(bus.publishEvent('e', enc('x'), { msgId: '1' })).rejects.toMatchObject({ code: BusErrorCode.closed });
  });

  it('does not deliver messages published after drain started to drained subscriptions', async () => {
    const bus = new LocalBus();
    const got: string[] = [];
    bus.subscribe('m', (m) => got.push(dec(m.data)));
    bus.publish('m', enc('before'));
    const draining = bus.drain();
    bus.publish('m', enc('after'));
    await draining;
    expect(got).toEqual(['before']);
  });
});
