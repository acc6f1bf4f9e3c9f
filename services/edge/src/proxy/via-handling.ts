/**
 * The Via work of a proxy: `received`/`rport` on the Via of the previous hop (RFC 3261 §18.2.1,
 * RFC 3581 §4), our own Via with a branch that is unique per branch and carries a loop-detection
 * hash (RFC 3261 §16.6 step 8, §16.3 step 4).
 */
import type { Via } from '../parser/via.js';
import type { SipRequest } from '../parser/sip-message.js';
import type { Listener } from '../transport/transport.js';
import type { OurAddresses } from './our-addresses.js';

const COOKIE = 'z9hG4bK';

/**
 * The top Via rewritten with `received` (when the sent-by host is not the source address) and the
 * `rport` value (when the client asked for it, or always with `forceRport`, Kamailio's
 * force_rport()). Undefined when nothing needs to change.
 */
export function fixTopVia(via: Via, sourceIp: string, sourcePort: number, forceRport: boolean): string | undefined {
  const wantsRport = via.rport === null || (forceRport && via.rport === undefined);
  const hostDiffers = stripBrackets(via.host) !== sourceIp;
  if (!wantsRport && !hostDiffers) return undefined;
  let out = `SIP/2.0/${via.transport} ${via.host}${via.port === undefined ? '' : `:${String(via.port)}`}`;
  let rportWritten = false;
  for (const [name, value] of via.params) {
    if (name === 'received') continue;
    if (name === 'rport') {
      out += wantsRport ? `;rport=${String(sourcePort)}` : value === null ? ';rport' : `;rport=${value}`;
      rportWritten = true;
      continue;
    }
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }
  if (wantsRport && !rportWritten) out += `;rport=${String(sourcePort)}`;
  // RFC 3581 §4: with rport, received is added even when the host matches.
  if (hostDiffers || wantsRport) out += `;received=${sourceIp}`;
  return out;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') ? host.slice(1, -1) : host;
}

/** Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4). */
export function responseAddress(via: Via, sourceIp: string, sourcePort: number, forceRport: boolean): { ip: string; port: number } {
  if (via.rport !== undefined || forceRport) return { ip: sourceIp, port: sourcePort };
  return { ip: sourceIp, port: via.port ?? 5060 };
}

/**
 * Loop-detection hash over the fields §16.6 step 8 lists (Request-URI, To tag, From tag, Call-ID,
 * CSeq number, Route and Proxy-Require/Proxy-Authorization are covered by the R-URI and top Route
 * here), as 8 hex digits. The same request looping back yields the same hash; a spiral (new R-URI)
 * does not.
 */
export function loopHash(req: SipRequest, routes?: readonly { uri: string }[]): string {
  let h = 0x811c9dc5;
  h = fnv(h, req.requestUri);
  h = fnv(h, req.from.tag ?? '');
  h = fnv(h, req.to.tag ?? '');
  h = fnv(h, req.callId);
  h = fnv(h, String(req.cseq.seq));
  // §16.6 step 8: what affects routing is the Route set left after our own entries are popped
  // (given by the caller); our own entry is gone when a looping request comes back.
  if (routes) {
    for (const r of routes) h = fnv(h, r.uri);
  } else {
    const route = req.header('route');
    if (route !== undefined) h = fnv(h, route);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** FNV-1a of `s` as 8 hex digits (stateless branch ids, RFC 3261 §16.11). */
export function fnv1aHex(s: string): string {
  return (fnv(0x811c9dc5, s) >>> 0).toString(16).padStart(8, '0');
}

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** `z9hG4bK<loop-hash>.<transaction serial>.<branch index>`: unique per branch of this edge instance. */
export function makeBranch(hash: string, serial: string, branchIndex: number): string {
  return `${COOKIE}${hash}.${serial}.${String(branchIndex)}`;
}

/** RFC 3261 §16.3 step 4: one of our Vias carries the same loop hash → the request looped. */
export function isLoop(req: SipRequest, hash: string, ours: OurAddresses): boolean {
  const prefix = `${COOKIE}${hash}.`;
  const vias = req.vias;
  for (let i = 0; i < vias.length; i++) {
    const v = vias[i];
    if (v?.branch !== undefined && v.branch.startsWith(prefix) && ours.isEdge(v.host, v.port, defaultPortFor(v.transport))) return true;
  }
  return false;
}

/** Our Via for a branch leaving through `listener`. */
export function ourVia(listener: Listener, branch: string): string {
  const transport = listener.transport.toUpperCase();
  return `SIP/2.0/${transport} ${listener.advertiseHost}:${String(listener.advertisePort)};branch=${branch}`;
}

export function defaultPortFor(transport: string): number {
  const t = transport.toLowerCase();
  return t === 'tls' || t === 'wss' ? 5061 : 5060;
}
