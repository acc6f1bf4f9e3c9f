/**
 * The record format of the event spool's segment files. A segment is records back to back, only
 * ever appended to:
 *
 *   record = u32le bodyLength | u32le crc32(body) | body
 *   body   = u8 version (1) | u32le metaLength | meta (UTF-8 JSON {s, id, h?}) | payload bytes
 *
 * Binary rather than JSON lines because the payload is bytes (base64 would add a third). The length
 * and checksum make a torn last record (the process died inside a write, or the file system kept a
 * zero-filled tail after a host crash) recognisable: reading stops there and keeps what came before.
 */
import { crc32 } from 'node:zlib';

const VERSION = 1;
const RECORD_HEADER_BYTES = 8;
const BODY_FIXED_BYTES = 5;

export interface SpoolRecord {
  readonly subject: string;
  readonly msgId: string;
  readonly headers: Record<string, string> | undefined;
  readonly data: Uint8Array;
}

interface RecordMeta {
  s: string;
  id: string;
  h?: Record<string, string>;
}

export function encodeSpoolRecord(record: SpoolRecord): Buffer {
  const meta: RecordMeta = record.headers === undefined ? { s: record.subject, id: record.msgId } : { s: record.subject, id: record.msgId, h: record.headers };
  const metaJson = Buffer.from(JSON.stringify(meta));
  const bodyLength = BODY_FIXED_BYTES + metaJson.length + record.data.byteLength;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyLength);
  const bodyStart = RECORD_HEADER_BYTES;
  out.writeUInt32LE(bodyLength, 0);
  out.writeUInt8(VERSION, bodyStart);
  out.writeUInt32LE(metaJson.length, bodyStart + 1);
  metaJson.copy(out, bodyStart + BODY_FIXED_BYTES);
  out.set(record.data, bodyStart + BODY_FIXED_BYTES + metaJson.length);
  out.writeUInt32LE(crc32(out.subarray(bodyStart)), 4);
  return out;
}

export interface ParsedSegment {
  readonly records: SpoolRecord[];
  /** Bytes holding whole, intact records; less than the file's length when its tail is torn. */
  readonly validBytes: number;
}

/** Reads records from the start of `file` up to the end or the first incomplete or damaged one. */
export function parseSpoolSegment(file: Buffer): ParsedSegment {
  const records: SpoolRecord[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= file.length) {
    const bodyLength = file.readUInt32LE(offset);
    const bodyStart = offset + RECORD_HEADER_BYTES;
    if (bodyLength < BODY_FIXED_BYTES || bodyStart + bodyLength > file.length) break;
    const body = file.subarray(bodyStart, bodyStart + bodyLength);
    if (crc32(body) !== file.readUInt32LE(offset + 4) || body.readUInt8(0) !== VERSION) break;
    const metaLength = body.readUInt32LE(1);
    if (BODY_FIXED_BYTES + metaLength > bodyLength) break;
    const meta = parseMeta(body.subarray(BODY_FIXED_BYTES, BODY_FIXED_BYTES + metaLength));
    if (meta === undefined) break;
    records.push({ subject: meta.s, msgId: meta.id, headers: meta.h, data: body.subarray(BODY_FIXED_BYTES + metaLength) });
    offset = bodyStart + bodyLength;
  }
  return { records, validBytes: offset };
}

function parseMeta(json: Buffer): RecordMeta | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof meta !== 'object' || meta === null) return undefined;
  // Only a shape to read the fields from: each one is checked before use.
  const { s, id, h } = meta as Partial<RecordMeta>;
  if (typeof s !== 'string' || typeof id !== 'string') return undefined;
  if (h !== undefined && (typeof h !== 'object' || h === null || Object.values(h).some((v) => typeof v !== 'string'))) return undefined;
  return h === undefined ? { s, id } : { s, id, h };
}
