/**
 * `ds_is_from_list([group [, mode [, uri]]])`: does a request come from (or does a URI point at) a
 * destination of the dispatcher list? Used to tell a gateway's requests from a phone's, and to keep
 * a BYE from a media server from being dispatched back to it (the book's loop, [KD] 7).
 *
 * Matching is by IP address, then port and transport unless the mode ignores them (Kamailio
 * `ds_is_addr_from_set`): a destination URI without a port matches any port, and one without a
 * `transport` parameter has no transport, so in a mode that compares transports it only matches a
 * query URI without one either. That is why the default mode (no mode given) ignores the transport.
 *
 * DNS: Kamailio resolves destination host names when the list loads. This unit does no I/O, so a
 * destination whose host is a name only matches when the caller passes the addresses a resolver
 * returned for it. The same holds for a query URI with a host name. A destination flagged 16 (skip
 * DNS) never matches, even with a literal IP: Kamailio keeps no address for it.
 */
import { isIP } from 'node:net';
import type { Endpoint } from '@sipmesh/contracts';
import type { Destination, DispatcherSet } from './dispatcher-list.js';
import { parseSipUri } from './sip-uri.js';

export const FromListMode = {
  /** Compare address, port and transport. */
  all: 0,
  ignorePort: 1,
  ignoreTransport: 2,
  /** Only destinations that can take calls (Kamailio DS_MATCH_ACTIVE). */
  activeOnly: 4,
} as const;
const KNOWN_MODE_BITS = FromListMode.ignorePort | FromListMode.ignoreTransport | FromListMode.activeOnly;

export interface FromListQuery {
  /** Only this set; all sets when absent. */
  group?: number;
  /** Bits of FromListMode; absent means ignore the transport, Kamailio's default for the short forms. */
  mode?: number;
  /** Match this URI's host/port/transport instead of the request source. */
  uri?: string;
  /** The request source (route request `source`). */
  source?: Pick<Endpoint, 'ip' | 'port' | 'transport'>;
  /** Addresses a resolver returned for a host name; without it names never match. */
  resolved?: (host: string) => readonly string[] | undefined;
}

export interface FromListMatch {
  setId: number;
  destination: Destination;
  /** The destination's attrs as written (Kamailio `attrs_pvname`). */
  attrs: string;
}

export type FromListResult = { ok: true; match: FromListMatch | undefined } | { ok: false; error: string };

/** Sets are searched in ascending id order (Kamailio walks its tree in its own order), first match wins. */
export function isFromList(sets: ReadonlyMap<number, DispatcherSet>, isActive: (d: Destination) => boolean, query: FromListQuery): FromListResult {
  const mode = query.mode ?? FromListMode.ignoreTransport;
  if (!Number.isInteger(mode) || mode < 0 || (mode & ~KNOWN_MODE_BITS) !== 0) {
    return { ok: false, error: `mode ${mode} is not supported (bits: 1 ignore port, 2 ignore transport, 4 active only)` };
  }
  let target: { ips: readonly string[]; port: number | undefined; transport: string | undefined };
  if (query.uri !== undefined) {
    const uri = parseSipUri(query.uri);
    if (!uri) return { ok: false, error: `"${query.uri}" is not a sip/sips URI` };
    target = { ips: addresses(uri.host, query.resolved), port: uri.port, transport: uri.transport };
  } else if (query.source) {
    target = { ips: [normalizeIp(query.source.ip)], port: query.source.port, transport: query.source.transport };
  } else {
    return { ok: false, error: 'neither a source nor a URI to match' };
  }
  const candidates = query.group === undefined ? [...sets.values()] : [sets.get(query.group)].filter((s) => s !== undefined);
  for (const set of candidates) {
    for (const d of set.destinations) {
      if (mode & FromListMode.activeOnly && !isActive(d)) continue;
      const ips = d.skipDns ? [] : addresses(d.target.host, query.resolved);
      if (!ips.some((ip) => target.ips.includes(ip))) continue;
      if (!(mode & FromListMode.ignorePort) && d.target.port !== undefined && d.target.port !== target.port) continue;
      if (!(mode & FromListMode.ignoreTransport) && d.target.transport !== target.transport) continue;
      return { ok: true, match: { setId: set.id, destination: d, attrs: d.attrs.body } };
    }
  }
  return { ok: true, match: undefined };
}

function addresses(host: string, resolved: FromListQuery['resolved']): string[] {
  const literal = bare(host);
  if (isIP(literal) !== 0) return [normalizeIp(literal)];
  return (resolved?.(host) ?? []).map(normalizeIp);
}

function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** One spelling per address, so "::1" and "0:0:0:0:0:0:0:1" compare equal. */
export function normalizeIp(ip: string): string {
  const text = bare(ip);
  if (isIP(text) !== 6) return text;
  const lower = text.toLowerCase();
  // An embedded IPv4 tail becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(lower);
  const hex = v4 ? lower.slice(0, v4.index) + [((Number(v4[1]) << 8) | Number(v4[2])).toString(16), ((Number(v4[3]) << 8) | Number(v4[4])).toString(16)].join(':') : lower;
  const [head = '', tail] = hex.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}
