/**
 * Event messages on the stream carry one or more events as JSON lines: each line is one complete
 * event (valid against its schema), lines are separated by `\n`. JSON text never holds a raw
 * newline, so a message with one event is simply that event's JSON. The `Sipmesh-Events` header
 * gives the count; the message id (`Nats-Msg-Id`) is the first event's `event_id`.
 */
export const EVENT_COUNT_HEADER = 'Sipmesh-Events';

const LF = 0x0a;
const decoder = new TextDecoder();

/** The JSON lines of an event message, as strings (empty lines skipped). */
export function eventLines(data: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i === data.length || data[i] === LF) {
      if (i > start) {
        const line = decoder.decode(data.subarray(start, i)).trim();
        if (line.length > 0) out.push(line);
      }
      start = i + 1;
    }
  }
  return out;
}

/** Every event of an event message, parsed; throws SyntaxError naming the line that is not JSON. */
export function decodeEvents(data: Uint8Array): unknown[] {
  return eventLines(data).map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch (e) {
      throw new SyntaxError(`event line ${i + 1} is not JSON: ${(e as Error).message}`, { cause: e });
    }
  });
}

/** Joins serialised events into one message payload. */
export function encodeEvents(jsonLines: readonly string[]): Buffer {
  return Buffer.from(jsonLines.join('\n'));
}
