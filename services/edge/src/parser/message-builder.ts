/**
 * Messages the edge writes itself: stateless and transaction responses, CANCEL and the ACK for a
 * non-2xx final response on a forwarded INVITE, and requests it originates (OPTIONS probes).
 * Headers copied from a received request are copied as received (RFC 3261 §8.2.6.2 wants them
 * equal, and a byte copy is both exact and cheap); headers written anew use canonical spellings.
 */
import { HeaderName } from './header-names.js';
import { decodeHeaderValue, splitListRanges } from './header-value.js';
import { checkedLine } from './message-edits.js';
import type { HeaderField, SipMessageBase, SipRequest, SipResponse } from './sip-message.js';

const CRLF = '\r\n';

function text(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/**
 * A message being written from new text and byte ranges of a received message: text runs are
 * joined as strings and everything is copied into one buffer at the end (one allocation instead
 * of one per line: a response is written for every transaction).
 */
class MessageWriter {
  private readonly parts: (string | Buffer)[] = [];
  private pending = '';

  text(s: string): void {
    this.pending += s;
  }

  bytes(b: Buffer): void {
    if (this.pending !== '') {
      this.parts.push(this.pending);
      this.pending = '';
    }
    this.parts.push(b);
  }

  /** A received header line, re-terminated with CRLF (it may have arrived with a bare LF). */
  line(msg: SipMessageBase, h: HeaderField): void {
    this.bytes(msg.raw.subarray(h.lineStart, h.lineEnd));
    this.pending += CRLF;
  }

  finish(body: Buffer): Buffer {
    if (this.pending !== '') this.parts.push(this.pending);
    this.pending = '';
    let length = body.length;
    for (const p of this.parts) length += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length;
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    for (const p of this.parts) at += typeof p === 'string' ? out.write(p, at, 'utf8') : p.copy(out, at);
    body.copy(out, at);
    return out;
  }
}

function firstField(msg: SipMessageBase, name: string): HeaderField | undefined {
  for (const h of msg.headers) if (h.name === name) return h;
  return undefined;
}

/** The first value of the first Via line: the Via this element's transaction owns. */
function topViaValue(msg: SipMessageBase): string {
  const via = firstField(msg, HeaderName.via);
  if (via === undefined) return '';
  const ranges = splitListRanges(msg.raw, via.valueStart, via.valueEnd);
  return decodeHeaderValue(msg.raw, ranges[0] ?? via.valueStart, ranges[1] ?? via.valueEnd);
}

function headerValue(msg: SipMessageBase, name: string): string {
  const h = firstField(msg, name);
  return h === undefined ? '' : decodeHeaderValue(msg.raw, h.valueStart, h.valueEnd);
}

export interface ResponseOptions {
  /** Added to To when the request's To has no tag (RFC 3261 §8.2.6.2). */
  readonly toTag?: string;
  /** Extra header lines, without CRLF, written before Content-Type/Content-Length. */
  readonly headers?: readonly string[];
  readonly body?: Buffer;
  readonly contentType?: string;
  readonly server?: string;
  /**
   * Replaces the first Via value, e.g. the received top Via with `received`/`rport` added
   * (RFC 3261 §18.2.1, RFC 3581 §4). The other Via values are copied as received.
   */
  readonly topVia?: string;
}

/**
 * A response to `req` (RFC 3261 §8.2.6): all Via values in order, From, To (tagged when asked and
 * untagged), Call-ID and CSeq copied; Timestamp too on a 100 (§8.2.6.1); Content-Length always.
 */
export function buildResponse(req: SipRequest, status: number, reason: string, opts: ResponseOptions = {}): Buffer {
  const out = new MessageWriter();
  out.text(`SIP/2.0 ${String(status)} ${checkedLine(reason)}${CRLF}`);
  let firstVia = true;
  for (const h of req.headers) {
    if (h.name !== HeaderName.via) continue;
    if (firstVia && opts.topVia !== undefined) {
      out.text(`Via: ${checkedLine(opts.topVia)}${CRLF}`);
      const ranges = splitListRanges(req.raw, h.valueStart, h.valueEnd);
      if (ranges.length > 2) {
        out.bytes(req.raw.subarray(h.lineStart, h.valueStart));
        out.bytes(req.raw.subarray(ranges[2] ?? h.valueStart, h.lineEnd));
        out.text(CRLF);
      }
    } else {
      out.line(req, h);
    }
    firstVia = false;
  }
  const from = firstField(req, HeaderName.from);
  if (from !== undefined) out.line(req, from);
  const to = firstField(req, HeaderName.to);
  if (to !== undefined) {
    if (opts.toTag !== undefined && req.to.tag === undefined && req.to.uri !== '') {
      out.bytes(req.raw.subarray(to.lineStart, to.valueEnd));
      out.text(`;tag=${checkedLine(opts.toTag)}`);
      out.bytes(req.raw.subarray(to.valueEnd, to.lineEnd));
      out.text(CRLF);
    } else {
      out.line(req, to);
    }
  }
  const callId = firstField(req, HeaderName.callId);
  if (callId !== undefined) out.line(req, callId);
  const cseq = firstField(req, HeaderName.cseq);
  if (cseq !== undefined) out.line(req, cseq);
  if (status === 100) {
    const timestamp = firstField(req, HeaderName.timestamp);
    if (timestamp !== undefined) out.line(req, timestamp);
  }
  if (opts.server !== undefined) out.text(`Server: ${checkedLine(opts.server)}${CRLF}`);
  for (const line of opts.headers ?? []) out.text(checkedLine(line) + CRLF);
  const body = opts.body ?? EMPTY;
  if (opts.contentType !== undefined && body.length > 0) out.text(`Content-Type: ${checkedLine(opts.contentType)}${CRLF}`);
  out.text(`Content-Length: ${String(body.length)}${CRLF}${CRLF}`);
  return out.finish(body);
}

const EMPTY = Buffer.alloc(0);

/** Route lines of a request, re-written with their values as received. */
function routeLines(req: SipRequest): string {
  let lines = '';
  for (const h of req.headers) {
    if (h.name === HeaderName.route) lines += `Route: ${decodeHeaderValue(req.raw, h.valueStart, h.valueEnd)}${CRLF}`;
  }
  return lines;
}

/**
 * CANCEL for a forwarded INVITE (RFC 3261 §9.1): same Request-URI, the INVITE's top Via only
 * (so the CANCEL matches its client transaction's branch), Route of the INVITE, From, To,
 * Call-ID, the CSeq number with method CANCEL.
 */
export function buildCancel(forwardedInvite: SipRequest): Buffer {
  const inv = forwardedInvite;
  return text(
    `CANCEL ${inv.requestUri} SIP/2.0${CRLF}` +
      `Via: ${topViaValue(inv)}${CRLF}` +
      `Max-Forwards: 70${CRLF}` +
      routeLines(inv) +
      `From: ${headerValue(inv, HeaderName.from)}${CRLF}` +
      `To: ${headerValue(inv, HeaderName.to)}${CRLF}` +
      `Call-ID: ${inv.callId}${CRLF}` +
      `CSeq: ${String(inv.cseq.seq)} CANCEL${CRLF}` +
      `Content-Length: 0${CRLF}${CRLF}`,
  );
}

/**
 * ACK for a non-2xx final response to a forwarded INVITE (RFC 3261 §17.1.1.3): same
 * Request-URI, the INVITE's top Via only, Route of the INVITE, From of the INVITE, To of the
 * response (with its tag), Call-ID, the CSeq number with method ACK.
 */
export function buildAckForNon2xx(forwardedInvite: SipRequest, response: SipResponse): Buffer {
  const inv = forwardedInvite;
  return text(
    `ACK ${inv.requestUri} SIP/2.0${CRLF}` +
      `Via: ${topViaValue(inv)}${CRLF}` +
      `Max-Forwards: 70${CRLF}` +
      routeLines(inv) +
      `From: ${headerValue(inv, HeaderName.from)}${CRLF}` +
      `To: ${headerValue(response, HeaderName.to)}${CRLF}` +
      `Call-ID: ${inv.callId}${CRLF}` +
      `CSeq: ${String(inv.cseq.seq)} ACK${CRLF}` +
      `Content-Length: 0${CRLF}${CRLF}`,
  );
}

export interface RequestSpec {
  readonly method: string;
  readonly uri: string;
  /** The Via value (without `Via:`), carrying this transaction's branch. */
  readonly via: string;
  /** From value, with its tag (RFC 3261 §8.1.1.3). */
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  /** Default 70 (RFC 3261 §8.1.1.6). */
  readonly maxForwards?: number;
  readonly contact?: string;
  /** Extra header lines, without CRLF. */
  readonly headers?: readonly string[];
  readonly body?: Buffer;
  readonly contentType?: string;
}

/** An out-of-dialog request the edge originates (RFC 3261 §8.1.1), e.g. an OPTIONS probe. */
export function buildRequest(spec: RequestSpec): Buffer {
  const body = spec.body ?? Buffer.alloc(0);
  let head =
    `${checkedLine(spec.method)} ${checkedLine(spec.uri)} SIP/2.0${CRLF}` +
    `Via: ${checkedLine(spec.via)}${CRLF}` +
    `Max-Forwards: ${String(spec.maxForwards ?? 70)}${CRLF}` +
    `From: ${checkedLine(spec.from)}${CRLF}` +
    `To: ${checkedLine(spec.to)}${CRLF}` +
    `Call-ID: ${checkedLine(spec.callId)}${CRLF}` +
    `CSeq: ${String(spec.cseq)} ${spec.method}${CRLF}`;
  if (spec.contact !== undefined) head += `Contact: ${checkedLine(spec.contact)}${CRLF}`;
  for (const line of spec.headers ?? []) head += checkedLine(line) + CRLF;
  if (spec.contentType !== undefined && body.length > 0) head += `Content-Type: ${checkedLine(spec.contentType)}${CRLF}`;
  head += `Content-Length: ${String(body.length)}${CRLF}${CRLF}`;
  return body.length === 0 ? text(head) : Buffer.concat([text(head), body]);
}
