/**
 * Record-Route (RFC 3261 §16.6 step 4) and the recognition of our own Route entries (§16.4). When a
 * request enters on one transport and leaves on another, two entries are written (Kamailio
 * "double Record-Route", `r2=on`): the UA on each side then reaches the edge over the transport it
 * knows.
 */
import type { Listener } from '../transport/transport.js';
import { defaultPortFor } from './via-handling.js';

/** `params` (`;name=value…`) follow `lr` / `r2=on`, e.g. the dialog CSeq offset (dialog-cseq.ts). */
export function recordRouteUri(listener: Listener, double: boolean, params = ''): string {
  const port = listener.advertisePort === defaultPortFor(listener.transport) && listener.transport === 'udp' ? '' : `:${String(listener.advertisePort)}`;
  const transport = listener.transport === 'udp' ? '' : `;transport=${listener.transport}`;
  return `sip:${listener.advertiseHost}${port}${transport};lr${double ? ';r2=on' : ''}${params}`;
}

/**
 * Record-Route header lines for a branch, topmost first. The entry facing the next hop goes on top:
 * the UAS uses the list as is and the UAC reversed (§12.1.1, §12.1.2).
 */
export function recordRouteLines(inbound: Listener, outbound: Listener, params = ''): string[] {
  if (inbound === outbound || (inbound.transport === outbound.transport && inbound.advertiseHost === outbound.advertiseHost && inbound.advertisePort === outbound.advertisePort)) {
    return [`Record-Route: <${recordRouteUri(inbound, false, params)}>`];
  }
  return [`Record-Route: <${recordRouteUri(outbound, true, params)}>`, `Record-Route: <${recordRouteUri(inbound, true, params)}>`];
}
