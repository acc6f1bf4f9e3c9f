import { describe, expect, it } from 'vitest';
import { LocalEventLog } from './local-event-log.js';

const noHeaders = new Map<string, string>();
const bytes = (s: string): Uint8Array => Buffer.from(s);

describe('LocalEventLog', () => {
  it('drops a repeated msgId inside the window and accepts it after', () => {
    let now = 1_000;
    const log = new LocalEventLog({ capacity: 10, duplicateWindowMs: 500, now: () => now });
    expect(log.append('e.a', bytes('1'), noHeaders, 'id-1')?.seq).toBe(1);
    now += 499;
    expect(log.append('e.a', bytes('1 again'), noHeaders, 'id-1')).toBeUndefined();
    expect(log.append('e.a', bytes('2'), noHeaders, 'id-2')?.seq).toBe(2);
    now += 1;
    expect(log.append('e.a', bytes('1 later'), noHeaders, 'id-1')?.seq).toBe(3);
    expect(log.since().map((e) => Buffer.from(e.data).toString())).toEqual(['1', '2', '1 later']);
  });

  it('keeps only the newest `capacity` events, in order', () => {
    const log = new LocalEventLog({ capacity: 3, duplicateWindowMs: 1000, now: () => 0 });
    for (let i = 1; i <= 5; i++) log.append('e', bytes(String(i)), noHeaders, `id-${i}`);
    expect(log.seq).toBe(5);
    expect(log.since().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.since(3).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.since(5)).toEqual([]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new LocalEventLog({ capacity: 0, duplicateWindowMs: 1, now: () => 0 })).toThrow(RangeError);
  });
});
