/**
 * Bindings as the outside sees them: the location-lookup contract's contacts (what the router
 * forks to) and the admin's `ul.dump` / `ul.lookup` records (Kamailio's field names).
 */
import type { LocationContact } from '@sipmesh/contracts';
import { remainingSeconds, type Binding } from '../location/index.js';

export function locationContact(b: Binding, nowMs: number): LocationContact {
  return {
    uri: b.contact,
    ...(b.q !== undefined ? { q: b.q } : {}),
    expires: remainingSeconds(b, nowMs),
    ...(b.received !== undefined ? { received: b.received } : {}),
    ...(b.path !== undefined && b.path.length > 0 ? { path: [...b.path] } : {}),
    edge: b.edge,
    ...(b.edgeUri !== undefined ? { edge_uri: b.edgeUri } : {}),
    ...(b.socket !== undefined ? { socket: b.socket } : {}),
    ...(b.instance !== undefined ? { instance: b.instance } : {}),
    ...(b.regId !== undefined ? { reg_id: b.regId } : {}),
    ...(b.userAgent !== undefined ? { user_agent: b.userAgent } : {}),
    ruid: b.ruid,
  };
}

/** One contact of `ul.dump` / `ul.lookup`, named as Kamailio's usrloc RPCs name them. */
export function adminContact(b: Binding, nowMs: number): Record<string, unknown> {
  return {
    Address: b.contact,
    Expires: remainingSeconds(b, nowMs),
    Q: b.q ?? -1,
    'Call-ID': b.callId,
    CSeq: b.cseq,
    'User-Agent': b.userAgent ?? '',
    Received: b.received ?? '',
    Path: b.path?.join(',') ?? '',
    Socket: b.socket ?? '',
    Edge: b.edge,
    Methods: b.methods?.join(',') ?? '',
    Ruid: b.ruid,
    Instance: b.instance ?? '',
    'Reg-Id': b.regId ?? 0,
    NAT: b.nat,
    'Last-Modified': Math.floor(b.lastModifiedMs / 1000),
  };
}
