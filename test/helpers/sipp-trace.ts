/**
 * SIPp's message trace (-trace_msg / -message_file) parsed into the list of
 * messages SIPp sent and received, in order, byte-exact.
 *
 *   parseSippMessageTrace(log: Buffer) -> { messages: SippTraceMessage[], lostSends }
 *
 * SIPp 3.6 writes each message as
 *
 *   ----------------------------------------------- <date> <time>\n
 *   <TRANSPORT> message sent (<n> bytes):\n\n<n bytes>\n
 *   <TRANSPORT> message received [<n>] bytes :\n\n<n bytes>\n
 *
 * and a scenario's lost="N" leaves notes between them: "message lost (recv)."
 * or "message (retrans) lost (recv)." after a received message it then
 * ignored, "message voluntary lost (while sending)." for a message it did not
 * send at all (that one is not in the trace). The byte counts are used to cut
 * the messages, so a body that happens to contain trace-like text cannot
 * confuse the parser; bodies are decoded as UTF-8.
 */

export type SippTraceDirection = 'sent' | 'received';

export interface SippTraceMessage {
  readonly direction: SippTraceDirection;
  /** "UDP", "TCP", "TLS", ... as SIPp prints it. */
  readonly transport: string;
  /** SIPp's timestamp of the trace entry, e.g. "2026-11-26 13:06:02.205153". */
  readonly timestamp: string;
  /** The whole message: start line, headers, blank line, body. */
  readonly text: string;
  /** Received, then dropped by a lost="N" attribute: SIPp acted as if it never arrived. */
  readonly lost: boolean;
}

export interface SippMessageTrace {
  readonly messages: readonly SippTraceMessage[];
  /** Messages SIPp did not send because of a lost="N" attribute. */
  readonly lostSends: number;
}

const ENTRY = /([A-Z0-9]+) message (?:sent \((\d+) bytes\):|received \[(\d+)\] bytes :)\n\n/g;
const SEPARATOR = '----------------------------------------------- ';
const LOST_ON_RECEIPT = ['message lost (recv).', 'message (retrans) lost (recv).'];
const LOST_ON_SEND = 'message voluntary lost (while sending).';

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** The timestamp on the separator line just before `headerStart`. */
function timestampBefore(latin1: string, headerStart: number): string {
  const lineEnd = headerStart - 1; // the '\n' ending the separator line
  const sep = latin1.lastIndexOf(SEPARATOR, lineEnd);
  if (sep < 0 || lineEnd - sep > 80) return '';
  return latin1.slice(sep + SEPARATOR.length, lineEnd).trim();
}

export function parseSippMessageTrace(log: Buffer): SippMessageTrace {
  // latin1 maps each byte to one char, so string offsets are byte offsets.
  const latin1 = log.toString('latin1');
  const messages: SippTraceMessage[] = [];
  let lostSends = 0;
  let gapStart = 0;
  const markLastLost = (): void => {
    const last = messages.at(-1);
    if (last !== undefined && last.direction === 'received') messages[messages.length - 1] = { ...last, lost: true };
  };
  const scanGap = (gap: string): void => {
    lostSends += countOccurrences(gap, LOST_ON_SEND);
    if (LOST_ON_RECEIPT.some((note) => gap.includes(note))) markLastLost();
  };

  ENTRY.lastIndex = 0;
  for (let match = ENTRY.exec(latin1); match !== null; match = ENTRY.exec(latin1)) {
    scanGap(latin1.slice(gapStart, match.index));
    const length = Number(match[2] ?? match[3]);
    const bodyStart = match.index + match[0].length;
    const bodyEnd = Math.min(bodyStart + length, log.length);
    messages.push({
      direction: match[2] !== undefined ? 'sent' : 'received',
      transport: match[1] ?? '',
      timestamp: timestampBefore(latin1, match.index),
      text: log.subarray(bodyStart, bodyEnd).toString('utf8'),
      lost: false,
    });
    gapStart = bodyEnd;
    ENTRY.lastIndex = bodyEnd;
  }
  scanGap(latin1.slice(gapStart));
  return { messages, lostSends };
}
