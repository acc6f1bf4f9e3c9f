/**
 * Splits a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3) and spots the
 * RFC 5626 §4.4.1 keep-alives between messages. Limits are enforced while bytes arrive: the header
 * block may not grow past `maxHeaderBytes` while its end is still unseen, and a message whose
 * Content-Length would take it past `maxMessageBytes` is refused before its body is read. After
 * an error the framer ignores further input; the caller answers (513 when it can) and closes.
 *
 * Keep-alives: CRLFCRLF between messages is a ping (the caller answers one CRLF). A CRLF that
 * ends the data received so far is reported as a pong at once, since a peer waits for no more
 * after it; if the next read starts with the second CRLF of a ping split across reads, the ping
 * is still reported, after the pong. CRLFs directly followed by a message are skipped (RFC 3261
 * §7.5). The framer never touches sockets and knows nothing of SIP beyond framing.
 */

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

export const StreamFramerErrorCode = {
  missingContentLength: 'EDGE_ERR_MISSING_CONTENT_LENGTH',
  badContentLength: 'EDGE_ERR_BAD_CONTENT_LENGTH',
  messageTooLarge: 'EDGE_ERR_MESSAGE_TOO_LARGE',
  headerOverflow: 'EDGE_ERR_HEADER_OVERFLOW',
} as const;
export type StreamFramerErrorCode = (typeof StreamFramerErrorCode)[keyof typeof StreamFramerErrorCode];

export interface StreamFramerOptions {
  /** Largest whole message (header block plus body), in bytes. */
  readonly maxMessageBytes: number;
  /** Largest header block (start line to the empty line included), in bytes. */
  readonly maxHeaderBytes: number;
  /** One complete message, in a buffer of its own. */
  onMessage(buf: Buffer): void;
  onPing(): void;
  onPong(): void;
  onError(code: StreamFramerErrorCode, detail: string): void;
}

const FramerState = {
  /** Between messages: counting CRLFs (keep-alives, RFC 5626 §4.4.1; leading CRLFs, RFC 3261 §7.5). */
  between: 'between',
  /** Inside a header block, looking for the empty line. */
  headers: 'headers',
  /** Collecting Content-Length body bytes. */
  body: 'body',
  /** An error was reported; input is ignored. */
  failed: 'failed',
} as const;
type FramerState = (typeof FramerState)[keyof typeof FramerState];

/** Where the header scanner stands relative to line ends. */
const Eol = { midLine: 0, afterLf: 1, afterLfCr: 2 } as const;
type Eol = (typeof Eol)[keyof typeof Eol];

export class StreamFramer {
  private readonly opts: StreamFramerOptions;
  private state: FramerState = FramerState.between;
  // between messages
  private crlfCount = 0;
  private sawCr = false;
  private pongReported = false;
  // header block
  private eol: Eol = Eol.midLine;
  private parts: Buffer[] = [];
  private partsLength = 0;
  // body
  private bodyRemaining = 0;

  constructor(opts: StreamFramerOptions) {
    this.opts = opts;
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== FramerState.failed) {
      if (this.state === FramerState.between) pos = this.skipKeepAlives(chunk, pos);
      else if (this.state === FramerState.headers) pos = this.readHeaders(chunk, pos);
      else pos = this.readBody(chunk, pos);
    }
    if (this.state === FramerState.between && this.crlfCount === 1 && !this.sawCr && !this.pongReported) {
      this.pongReported = true;
      this.opts.onPong();
    }
  }

  private skipKeepAlives(chunk: Buffer, pos: number): number {
    while (pos < chunk.length) {
      const b = chunk[pos];
      if (b === CR) {
        this.sawCr = true;
      } else if (b === LF) {
        this.sawCr = false;
        this.crlfCount++;
        if (this.crlfCount === 2) {
          this.crlfCount = 0;
          this.pongReported = false;
          this.opts.onPing();
        }
      } else {
        this.crlfCount = 0;
        this.sawCr = false;
        this.pongReported = false;
        this.state = FramerState.headers;
        this.eol = Eol.midLine;
        return pos;
      }
      pos++;
    }
    return pos;
  }

  private readHeaders(chunk: Buffer, pos: number): number {
    const end = this.findHeaderEnd(chunk, pos);
    const taken = (end < 0 ? chunk.length : end) - pos;
    const headerBytes = this.partsLength + taken;
    if (headerBytes > this.opts.maxMessageBytes) {
      return this.fail(StreamFramerErrorCode.messageTooLarge, `header block exceeds ${String(this.opts.maxMessageBytes)} bytes`);
    }
    if (headerBytes > this.opts.maxHeaderBytes) {
      return this.fail(StreamFramerErrorCode.headerOverflow, `header block exceeds ${String(this.opts.maxHeaderBytes)} bytes`);
    }
    this.parts.push(chunk.subarray(pos, pos + taken));
    this.partsLength = headerBytes;
    if (end < 0) return chunk.length;

    const single = this.parts.length === 1 ? this.parts[0] : undefined;
    const header = single ?? Buffer.concat(this.parts, headerBytes);
    const length = readContentLength(header);
    if (length === undefined) {
      return this.fail(StreamFramerErrorCode.missingContentLength, 'no Content-Length on a stream transport (RFC 3261 §18.3)');
    }
    if (length < 0) return this.fail(StreamFramerErrorCode.badContentLength, 'Content-Length is not a number, or is given twice with different values');
    if (headerBytes + length > this.opts.maxMessageBytes) {
      return this.fail(StreamFramerErrorCode.messageTooLarge, `message of ${String(headerBytes + length)} bytes exceeds ${String(this.opts.maxMessageBytes)}`);
    }
    this.parts = [header];
    this.bodyRemaining = length;
    this.state = FramerState.body;
    if (length === 0) this.emit();
    return end;
  }

  /** Index just past the empty line ending the header block, or -1 when not in this chunk. */
  private findHeaderEnd(chunk: Buffer, pos: number): number {
    let i = pos;
    while (i < chunk.length) {
      if (this.eol === Eol.midLine) {
        const lf = chunk.indexOf(LF, i);
        if (lf < 0) return -1;
        this.eol = Eol.afterLf;
        i = lf + 1;
        continue;
      }
      const b = chunk[i];
      if (b === LF) {
        this.eol = Eol.midLine;
        return i + 1;
      }
      this.eol = b === CR && this.eol === Eol.afterLf ? Eol.afterLfCr : Eol.midLine;
      if (this.eol === Eol.afterLfCr) i++;
    }
    return -1;
  }

  private readBody(chunk: Buffer, pos: number): number {
    const take = Math.min(this.bodyRemaining, chunk.length - pos);
    this.parts.push(chunk.subarray(pos, pos + take));
    this.partsLength += take;
    this.bodyRemaining -= take;
    if (this.bodyRemaining === 0) this.emit();
    return pos + take;
  }

  private emit(): void {
    // Always a copy: the message outlives the socket's chunks and must not pin them in memory.
    const message = Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    this.state = FramerState.between;
    this.opts.onMessage(message);
  }

  private fail(code: StreamFramerErrorCode, detail: string): number {
    this.state = FramerState.failed;
    this.parts = [];
    this.partsLength = 0;
    this.opts.onError(code, detail);
    return Number.MAX_SAFE_INTEGER;
  }
}

/**
 * The Content-Length of a header block (full or compact `l` name, RFC 3261 §7.3.3; value possibly
 * folded): undefined when absent, -1 when malformed or given twice with different values.
 */
export function readContentLength(header: Buffer): number | undefined {
  let found: number | undefined;
  let lineStart = header.indexOf(LF) + 1;
  while (lineStart > 0 && lineStart < header.length) {
    const first = header[lineStart];
    if (first === CR || first === LF) break;
    let lf = header.indexOf(LF, lineStart);
    while (lf >= 0 && (header[lf + 1] === SP || header[lf + 1] === HTAB)) lf = header.indexOf(LF, lf + 1);
    const lineEnd = lf < 0 ? header.length : lf;
    let nameEnd = lineStart;
    while (nameEnd < lineEnd && header[nameEnd] !== COLON && header[nameEnd] !== SP && header[nameEnd] !== HTAB) nameEnd++;
    if (isContentLengthName(header, lineStart, nameEnd)) {
      const colon = header.indexOf(COLON, nameEnd);
      const value = colon < 0 || colon >= lineEnd ? -1 : parseLength(header, colon + 1, lineEnd);
      if (value < 0 || (found !== undefined && found !== value)) return -1;
      found = value;
    }
    lineStart = lf < 0 ? header.length : lf + 1;
  }
  return found;
}

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

function isContentLengthName(buf: Buffer, start: number, end: number): boolean {
  if (end - start === 1) return ((buf[start] ?? 0) | 0x20) === 0x6c;
  if (end - start !== CONTENT_LENGTH.length) return false;
  for (let i = 0; i < CONTENT_LENGTH.length; i++) if (((buf[start + i] ?? 0) | 0x20) !== CONTENT_LENGTH[i]) return false;
  return true;
}

/** 1*DIGIT surrounded by LWS; -1 otherwise (or beyond what a message could be). */
function parseLength(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isLws(buf[i])) i++;
  let n = 0;
  let digits = 0;
  while (i < end && (buf[i] ?? 0) >= 0x30 && (buf[i] ?? 0) <= 0x39) {
    n = n * 10 + ((buf[i] ?? 0) - 0x30);
    digits++;
    i++;
  }
  while (i < end && isLws(buf[i])) i++;
  return digits === 0 || digits > 12 || i !== end ? -1 : n;
}

function isLws(b: number | undefined): boolean {
  return b === SP || b === HTAB || b === CR || b === LF;
}
