import { describe, expect, it } from 'vitest';
import type { StreamFramerOptions } from './stream-framer.js';
import { readContentLength, StreamFramer } from './stream-framer.js';

type Event = { type: 'message'; data: string } | { type: 'ping' } | { type: 'pong' } | { type: 'error'; code: string };

function framer(limits: Partial<Pick<StreamFramerOptions, 'maxMessageBytes' | 'maxHeaderBytes'>> = {}): { f: StreamFramer; events: Event[] } {
  const events: Event[] = [];
  const f = new StreamFramer({
    maxMessageBytes: limits.maxMessageBytes ?? 65535,
    maxHeaderBytes: limits.maxHeaderBytes ?? 8192,
    onMessage: (buf) => events.push({ type: 'message', data: buf.toString('latin1') }),
    onPing: () => events.push({ type: 'ping' }),
    onPong: () => events.push({ type: 'pong' }),
    onError: (code) => events.push({ type: 'error', code }),
  });
  return { f, events };
}

const M1 =
  'INVITE sip:bob@example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/TCP pc33.example.com;branch=z9hG4bK776asdhds\r\n' +
  'Call-ID: a84b4c76e66710\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 24\r\n' +
  '\r\n' +
  'v=0\r\n\r\n\r\nCRLFs in body\r\n';
const M2 =
  'SIP/2.0 200 OK\r\n' +
  'Via: SIP/2.0/TCP pc33.example.com;branch=z9hG4bK776asdhds\r\n' +
  'l:\r\n 0\r\n' +
  '\r\n';
const M3 =
  'MESSAGE sip:bob@example.com SIP/2.0\r\n' +
  'Subject: folded\r\n  subject\r\n' +
  'CONTENT-LENGTH : 5\r\n' +
  '\r\n' +
  'hello';
const M4 = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n';

describe('StreamFramer', () => {
  it('frames messages by Content-Length, full or compact, folded or not', () => {
    const { f, events } = framer();
    f.push(Buffer.from(M1 + M2 + M3 + M4, 'latin1'));
    expect(events).toEqual([
      { type: 'message', data: M1 },
      { type: 'message', data: M2 },
      { type: 'message', data: M3 },
      { type: 'message', data: M4 },
    ]);
  });

  it('reports a CRLFCRLF ping and a lone CRLF pong (RFC 5626 §4.4.1)', () => {
    const { f, events } = framer();
    f.push(Buffer.from('\r\n\r\n', 'latin1'));
    f.push(Buffer.from('\r\n', 'latin1'));
    expect(events).toEqual([{ type: 'ping' }, { type: 'pong' }]);
  });

  it('a ping split after its first CRLF is still answered', () => {
    const { f, events } = framer();
    f.push(Buffer.from('\r\n', 'latin1'));
    f.push(Buffer.from('\r\n', 'latin1'));
    expect(events).toEqual([{ type: 'pong' }, { type: 'ping' }]);
  });

  it('skips CRLFs before a message (RFC 3261 §7.5)', () => {
    const { f, events } = framer();
    f.push(Buffer.from('\r\n' + M2 + '\r\n\r\n' + M4, 'latin1'));
    expect(events).toEqual([{ type: 'message', data: M2 }, { type: 'ping' }, { type: 'message', data: M4 }]);
  });

  it('a message without Content-Length is an error on a stream', () => {
    const { f, events } = framer();
    f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n' + M4, 'latin1'));
    expect(events).toEqual([{ type: 'error', code: 'EDGE_ERR_MISSING_CONTENT_LENGTH' }]);
  });

  it('a malformed or contradictory Content-Length is an error', () => {
    for (const cl of ['Content-Length: -1', 'Content-Length: 1x', 'l: ', 'Content-Length: 5\r\nl: 6']) {
      const { f, events } = framer();
      f.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${cl}\r\n\r\n`, 'latin1'));
      expect(events, cl).toEqual([{ type: 'error', code: 'EDGE_ERR_BAD_CONTENT_LENGTH' }]);
    }
  });

  it('refuses a header block past maxHeaderBytes before its end arrives', () => {
    const { f, events } = framer({ maxHeaderBytes: 100 });
    f.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n', 'latin1'));
    f.push(Buffer.from(`X-Filler: ${'a'.repeat(60)}\r\n`, 'latin1'));
    expect(events).toEqual([]);
    f.push(Buffer.from('X-More: 1234567890\r\n', 'latin1'));
    expect(events).toEqual([{ type: 'error', code: 'EDGE_ERR_HEADER_OVERFLOW' }]);
    f.push(Buffer.from(M4, 'latin1'));
    expect(events.length).toBe(1);
  });

  it('refuses a message whose Content-Length exceeds maxMessageBytes before reading the body', () => {
    const { f, events } = framer({ maxMessageBytes: 1000 });
    f.push(Buffer.from('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 990\r\n\r\n', 'latin1'));
    expect(events).toEqual([{ type: 'error', code: 'EDGE_ERR_MESSAGE_TOO_LARGE' }]);
  });

  it('emits each message in a buffer of its own', () => {
    const chunk = Buffer.from(M4, 'latin1');
    let got: Buffer | undefined;
    const f = new StreamFramer({ maxMessageBytes: 1000, maxHeaderBytes: 1000, onMessage: (b) => (got = b), onPing: () => {}, onPong: () => {}, onError: () => {} });
    f.push(chunk);
    chunk.fill(0);
    expect(got?.toString('latin1')).toBe(M4);
  });

  describe('split-chunk fuzz: the same stream cut anywhere yields the same messages', () => {
    const stream = Buffer.from('\r\n' + M1 + M2 + '\r\n\r\n' + M3 + '\r\n\r\n' + '\r\n' + M4 + M1, 'latin1');
    const expectedMessages = [M1, M2, M3, M4, M1];

    function run(cuts: number[]): Event[] {
      const { f, events } = framer();
      let from = 0;
      for (const cut of [...cuts, stream.length]) {
        f.push(stream.subarray(from, cut));
        from = cut;
      }
      return events;
    }

    function check(events: Event[], label: string): void {
      const messages = events.flatMap((e) => (e.type === 'message' ? [e.data] : []));
      expect(messages, label).toEqual(expectedMessages);
      expect(events.filter((e) => e.type === 'ping').length, label).toBe(2);
      expect(events.some((e) => e.type === 'error'), label).toBe(false);
    }

    it('in one piece', () => {
      expect(run([])).toEqual([
        { type: 'message', data: M1 },
        { type: 'message', data: M2 },
        { type: 'ping' },
        { type: 'message', data: M3 },
        { type: 'ping' },
        { type: 'message', data: M4 },
        { type: 'message', data: M1 },
      ]);
    });

    it('cut once at every offset', () => {
      for (let k = 1; k < stream.length; k++) check(run([k]), `cut at ${String(k)}`);
    });

    it('byte by byte', () => {
      check(run(Array.from({ length: stream.length - 1 }, (_, i) => i + 1)), 'byte by byte');
    });

    it('at random offsets', () => {
      let seed = 0x5eed;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed / 0x7fffffff;
      };
      for (let round = 0; round < 300; round++) {
        const cuts = new Set<number>();
        const n = 1 + Math.floor(random() * 12);
        for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(random() * (stream.length - 1)));
        const sorted = [...cuts].sort((a, b) => a - b);
        check(run(sorted), `cuts ${sorted.join(',')}`);
      }
    });
  });
});

describe('readContentLength', () => {
  it('reads full and compact names in any case, and folded values', () => {
    expect(readContentLength(Buffer.from('X y SIP/2.0\r\nA: 1\r\nContent-Length: 42\r\n\r\n'))).toBe(42);
    expect(readContentLength(Buffer.from('X y SIP/2.0\r\nL:7\r\n\r\n'))).toBe(7);
    expect(readContentLength(Buffer.from('X y SIP/2.0\r\ncontent-length :\r\n  3\r\n\r\n'))).toBe(3);
    expect(readContentLength(Buffer.from('X y SIP/2.0\r\nContent-Lengthy: 3\r\n\r\n'))).toBeUndefined();
    expect(readContentLength(Buffer.from('X y SIP/2.0\r\nX-Note: Content-Length: 3\r\n\r\n'))).toBeUndefined();
  });
});
