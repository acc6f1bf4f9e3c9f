/**
 * Writes a received message back to bytes with a set of recorded edits applied in one pass:
 * untouched runs of the original are referenced (not copied) and the result is assembled with a
 * single copy. With no edits and a consistent Content-Length the original bytes are returned as
 * a view of `msg.raw`, without copying at all.
 */
import { parseDigits } from './basic-rules.js';
import { HeaderName } from './header-names.js';
import { decodeHeaderValue, splitListRanges } from './header-value.js';
import type { MessageEdits } from './message-edits.js';
import type { SipMessageBase, SipRequest, SipResponse } from './sip-message.js';

export interface SerializeOptions {
  /**
   * Add a Content-Length when the message has none: required on streams (RFC 3261 §18.3,
   * §20.14), where the receiver frames messages by it.
   */
  readonly withContentLength?: boolean;
}

export function serializeRequest(msg: SipRequest, edits?: MessageEdits, opts?: SerializeOptions): Buffer {
  const uri = edits?.requestUri;
  return serialize(msg, edits, opts, uri === undefined ? undefined : { start: msg.requestUriStart, end: msg.requestUriEnd, uri });
}

/** Serializes a response; typical edits remove the top Via value (RFC 3261 §16.7 step 3). */
export function serializeResponse(msg: SipResponse, edits?: MessageEdits, opts?: SerializeOptions): Buffer {
  return serialize(msg, edits, opts, undefined);
}

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'utf8');
}

interface UriEdit {
  readonly start: number;
  readonly end: number;
  readonly uri: string;
}

function serialize(msg: SipMessageBase, edits: MessageEdits | undefined, opts: SerializeOptions | undefined, uriEdit: UriEdit | undefined): Buffer {
  const raw = msg.raw;
  const headers = msg.headers;
  const body = edits?.body ?? msg.body;
  const bodyChanged = edits?.body !== undefined;
  const newContentType = edits?.contentType;
  const dropContentType = bodyChanged && body.length === 0 && newContentType === undefined;
  const lengthText = String(body.length);
  let hasContentLength = false;
  let hasContentType = false;
  for (const h of headers) {
    if (h.name === HeaderName.contentLength) hasContentLength = true;
    else if (h.name === HeaderName.contentType) hasContentType = true;
  }
  const addContentLength = !hasContentLength && (bodyChanged || opts?.withContentLength === true);

  if ((edits === undefined || edits.isEmpty) && !addContentLength && contentLengthsMatch(msg, body.length)) {
    return raw.subarray(msg.messageStart, msg.bodyStart + body.length);
  }

  const chunks: Buffer[] = [];
  const firstHeaderStart = headers[0]?.lineStart ?? msg.headerBlockEnd;
  if (uriEdit !== undefined) {
    chunks.push(raw.subarray(msg.messageStart, uriEdit.start), Buffer.from(uriEdit.uri, 'utf8'), raw.subarray(uriEdit.end, firstHeaderStart));
  } else {
    chunks.push(raw.subarray(msg.messageStart, firstHeaderStart));
  }
  for (const text of edits?.prependedLines ?? []) chunks.push(line(text));

  let runStart = firstHeaderStart;
  let contentTypeWritten = false;
  for (let k = 0; k < headers.length; k++) {
    const h = headers[k];
    if (h === undefined) break;
    const next = headers[k + 1]?.lineStart ?? msg.headerBlockEnd;
    let drop = edits?.isRemoved(h) ?? false;
    let value = edits?.replacement(h);
    const popped = edits?.poppedCount(h) ?? 0;
    if (!drop && h.name === HeaderName.contentLength) {
      if (parseDigits(decodeHeaderValue(raw, h.valueStart, h.valueEnd)) !== body.length) value = lengthText;
    } else if (!drop && h.name === HeaderName.contentType) {
      if (dropContentType || (newContentType !== undefined && contentTypeWritten)) drop = true;
      else if (newContentType !== undefined) value = newContentType;
      contentTypeWritten = true;
    }
    let keepFrom = -1;
    if (!drop && value === undefined && popped > 0) {
      const ranges = splitListRanges(raw, h.valueStart, h.valueEnd);
      if (popped * 2 >= ranges.length) drop = true;
      else keepFrom = ranges[popped * 2] ?? h.valueStart;
    }
    if (!drop && value === undefined && keepFrom < 0) continue;
    if (runStart < h.lineStart) chunks.push(raw.subarray(runStart, h.lineStart));
    runStart = next;
    if (drop) continue;
    if (value !== undefined) {
      chunks.push(raw.subarray(h.lineStart, h.valueStart), Buffer.from(value, 'utf8'), raw.subarray(h.valueEnd, next));
    } else {
      chunks.push(raw.subarray(h.lineStart, h.valueStart), raw.subarray(keepFrom, next));
    }
  }
  if (runStart < msg.headerBlockEnd) chunks.push(raw.subarray(runStart, msg.headerBlockEnd));

  for (const text of edits?.appendedLines ?? []) chunks.push(line(text));
  if (newContentType !== undefined && !hasContentType) chunks.push(line(`Content-Type: ${newContentType}`));
  if (addContentLength) chunks.push(line(`Content-Length: ${lengthText}`));
  chunks.push(raw.subarray(msg.headerBlockEnd, msg.bodyStart), body);
  return Buffer.concat(chunks);
}

/** Every Content-Length line already states the body length. */
function contentLengthsMatch(msg: SipMessageBase, length: number): boolean {
  for (const h of msg.headers) {
    if (h.name === HeaderName.contentLength && parseDigits(decodeHeaderValue(msg.raw, h.valueStart, h.valueEnd)) !== length) return false;
  }
  return true;
}
