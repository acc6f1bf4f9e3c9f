/**
 * JSON form of a binding as a store keeps it. Decoding checks every field, because a value read
 * back from Redis may have been written by another (older or newer) registrar or by hand; a value
 * that does not decode is dropped and reported, never trusted.
 */
import type { Binding } from './binding.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export function encodeBinding(b: Binding): string {
  // JSON.stringify drops undefined members, so optional fields cost nothing when absent.
  return JSON.stringify(b);
}

/** The binding in `json`, or undefined when it is not one. */
export function decodeBinding(json: string): Binding | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = new Map(Object.entries(v));
  const aor = o.get('aor');
  const contact = o.get('contact');
  const ruid = o.get('ruid');
  const callId = o.get('callId');
  const edge = o.get('edge');
  const expiresAtMs = o.get('expiresAtMs');
  const cseq = o.get('cseq');
  const lastModifiedMs = o.get('lastModifiedMs');
  const nat = o.get('nat');
  const q = o.get('q');
  if (!isString(aor) || !isString(contact) || !isString(ruid) || !isString(callId) || !isString(edge)) return undefined;
  if (!isNumber(expiresAtMs) || !isNumber(cseq) || !isNumber(lastModifiedMs) || typeof nat !== 'boolean') return undefined;
  if (q !== undefined && !(isNumber(q) && q >= 0 && q <= 1)) return undefined;
  const b: Writable<Binding> = { aor, contact, ruid, expiresAtMs, q, callId, cseq, edge, nat, lastModifiedMs };
  for (const [key, value] of o) {
    switch (key) {
      case 'received':
      case 'userAgent':
      case 'instance':
      case 'socket':
      case 'edgeUri':
        if (!isString(value)) return undefined;
        b[key] = value;
        break;
      case 'regId':
      case 'connectionId':
        if (!isNumber(value)) return undefined;
        b[key] = value;
        break;
      case 'path':
      case 'methods':
        if (!isStringArray(value)) return undefined;
        b[key] = value;
        break;
      default:
        // Required fields were taken above; unknown fields (a newer writer) are ignored.
        break;
    }
  }
  return b;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isString);
}
