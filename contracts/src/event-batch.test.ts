import { describe, expect, it } from 'vitest';
import { decodeEvents, encodeEvents, eventLines } from './event-batch.js';

describe('event messages (JSON lines)', () => {
  it('round-trips events, including text with escaped newlines and non-ASCII', () => {
    const events = [{ event_id: 'a', reason: 'line1\nline2' }, { event_id: 'b', from: { display: 'Zoë' } }];
    const data = encodeEvents(events.map((e) => JSON.stringify(e)));
    expect(eventLines(data)).toHaveLength(2);
    expect(decodeEvents(data)).toEqual(events);
  });

  it('reads a message holding one event as plain JSON, and skips blank lines', () => {
    expect(decodeEvents(new TextEncoder().encode('{"event_id":"x"}'))).toEqual([{ event_id: 'x' }]);
    expect(decodeEvents(new TextEncoder().encode('\n{"a":1}\r\n\n{"a":2}\n'))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('names the line that is not JSON', () => {
    expect(() => decodeEvents(new TextEncoder().encode('{"a":1}\n{oops'))).toThrow(/event line 2 is not JSON/);
  });
});
