import { describe, expect, test } from 'vitest';
import { parseSippMessageTrace } from './sipp-trace.js';

const SEP = '----------------------------------------------- ';

const INVITE =
  'INVITE sip:service@127.0.0.1:16000 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:16001;branch=z9hG4bK-10119-1-0\r\n' +
  'Call-ID: 1-10119@127.0.0.1\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';
// A body that contains trace-like text and a two-byte UTF-8 character: the
// parser must cut by SIPp's byte count, not by searching text.
const MESSAGE_BODY = 'UDP message sent (9 bytes):\n\nfake\né';
const MESSAGE =
  'MESSAGE sip:service@127.0.0.1:16000 SIP/2.0\r\n' +
  'Call-ID: 2-10119@127.0.0.1\r\n' +
  'CSeq: 1 MESSAGE\r\n' +
  `Content-Length: ${Buffer.byteLength(MESSAGE_BODY)}\r\n` +
  '\r\n' +
  MESSAGE_BODY;
const TRYING =
  'SIP/2.0 100 trying -- your call is important to us\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:16001;branch=z9hG4bK-10119-1-0\r\n' +
  'Call-ID: 1-10119@127.0.0.1\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';

function entry(time: string, header: string, message: string): string {
  return `${SEP}2026-11-26 ${time}\n${header}\n\n${message}\n`;
}

describe('parseSippMessageTrace', () => {
  test('cuts messages by their byte counts, in order, with direction, transport and time', () => {
    const log = Buffer.from(
      entry('13:06:02.205153', `UDP message sent (${Buffer.byteLength(INVITE)} bytes):`, INVITE) +
        entry('13:06:02.205723', `UDP message received [${Buffer.byteLength(TRYING)}] bytes :`, TRYING) +
        entry('13:06:02.300000', `TCP message sent (${Buffer.byteLength(MESSAGE)} bytes):`, MESSAGE),
      'utf8',
    );
    const { messages, lostSends } = parseSippMessageTrace(log);
    expect(lostSends).toBe(0);
    expect(messages).toEqual([
      { direction: 'sent', transport: 'UDP', timestamp: '2026-11-26 13:06:02.205153', text: INVITE, lost: false },
      { direction: 'received', transport: 'UDP', timestamp: '2026-11-26 13:06:02.205723', text: TRYING, lost: false },
      { direction: 'sent', transport: 'TCP', timestamp: '2026-11-26 13:06:02.300000', text: MESSAGE, lost: false },
    ]);
  });

  test('marks a received message dropped by lost="N" and counts sends that never left', () => {
    // SIPp writes these notes without a newline, right before the next separator.
    const log = Buffer.from(
      'UDP message voluntary lost (while sending).' +
        entry('13:08:16.393356', `UDP message sent (${Buffer.byteLength(INVITE)} bytes):`, INVITE) +
        entry('13:08:16.394000', `UDP message received [${Buffer.byteLength(TRYING)}] bytes :`, TRYING) +
        'UDP message lost (recv).' +
        entry('13:08:16.900000', `UDP message received [${Buffer.byteLength(TRYING)}] bytes :`, TRYING) +
        'UDP message (retrans) lost (recv).' +
        'UDP message voluntary lost (while sending).',
      'utf8',
    );
    const { messages, lostSends } = parseSippMessageTrace(log);
    expect(lostSends).toBe(2);
    expect(messages.map((m) => [m.direction, m.lost])).toEqual([
      ['sent', false],
      ['received', true],
      ['received', true],
    ]);
  });

  test('an empty or truncated trace gives what is complete', () => {
    expect(parseSippMessageTrace(Buffer.alloc(0))).toEqual({ messages: [], lostSends: 0 });
    const truncated = Buffer.from(`${SEP}2026-11-26 13:06:02.205153\nUDP message sent (500 bytes):\n\nINVITE sip:x SIP/2.0\r\n`);
    const { messages } = parseSippMessageTrace(truncated);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text).toBe('INVITE sip:x SIP/2.0\r\n');
  });
});
