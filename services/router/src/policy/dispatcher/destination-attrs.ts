/**
 * The attrs column of a dispatcher.list line: `name=value` pairs separated by `;`, names
 * case-insensitive (Kamailio dispatcher `ds_set_attrs`). The attributes the selection algorithms
 * read are typed and checked here, so a wrong value fails the load instead of quietly changing the
 * traffic split.
 *
 * Deliberate differences from Kamailio, which logs a bad value and carries on with 0 or ignores it:
 * an out-of-range `weight`/`rweight`, a non-numeric `maxload`/`latency`/`cc`, a malformed `socket`
 * or `ping_from`, an empty `duid` or a repeated name is a load error. Whether `socket` names a
 * socket the edge really listens on is the edge's check; the router cannot see its sockets.
 */
import { parseSipUri } from './sip-uri.js';

export interface DestinationAttrs {
  /** The field as written, without a trailing `;` (Kamailio's BODY, handed to ds_is_from_list callers). */
  body: string;
  /** Unique id of the destination, needed by the call-load algorithm. */
  duid?: string;
  /** Percentage for the weight algorithm, 0 (none) to 100. */
  weight: number;
  /** Relative weight, 1 to 100, or 0 when not given. */
  rweight: number;
  /** Most concurrent calls for the call-load algorithm; 0 means no limit ([KD] the book's "disabled" is wrong). */
  maxload: number;
  /** Sending socket `[proto:]host[:port]`, passed to the edge as the route's socket. */
  socket?: string;
  /** From URI of OPTIONS keepalives to this destination. */
  pingFrom?: string;
  /** `cc=1`: the latency algorithm uses congestion (estimate minus average) instead of the estimate. */
  congestionControl: boolean;
  /** `latency=ms`: starting latency estimate before the prober has measured any. */
  latencyMs?: number;
  /** Attributes not interpreted here (e.g. sockname, obproxy), kept as written. */
  others: ReadonlyMap<string, string>;
}

export type DestinationAttrsResult = { ok: true; attrs: DestinationAttrs } | { ok: false; errors: string[] };

const SOCKET = /^(?:(?:udp|tcp|tls|sctp|ws|wss):)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/i;

export function parseDestinationAttrs(field: string): DestinationAttrsResult {
  const body = field.endsWith(';') ? field.slice(0, -1) : field;
  const attrs: DestinationAttrs = { body, weight: 0, rweight: 0, maxload: 0, congestionControl: false, others: new Map() };
  const others = new Map<string, string>();
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const pair of body.split(';')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    const value = unquote(eq === -1 ? '' : pair.slice(eq + 1).trim());
    if (seen.has(name)) {
      errors.push(`attribute ${name} is given twice`);
      continue;
    }
    seen.add(name);
    switch (name) {
      case 'duid':
        if (value === '') errors.push('duid is empty');
        else attrs.duid = value;
        break;
      case 'weight': {
        const n = integerIn(value, 0, 100);
        if (n === undefined) errors.push(`weight "${value}" is not an integer from 0 to 100`);
        else attrs.weight = n;
        break;
      }
      case 'rweight': {
        const n = integerIn(value, 1, 100);
        if (n === undefined) errors.push(`rweight "${value}" is not an integer from 1 to 100`);
        else attrs.rweight = n;
        break;
      }
      case 'maxload': {
        const n = integerIn(value, 0, Number.MAX_SAFE_INTEGER);
        if (n === undefined) errors.push(`maxload "${value}" is not a non-negative integer (0 means no limit)`);
        else attrs.maxload = n;
        break;
      }
      case 'latency': {
        const n = integerIn(value, 0, Number.MAX_SAFE_INTEGER);
        if (n === undefined) errors.push(`latency "${value}" is not a non-negative number of milliseconds`);
        else attrs.latencyMs = n;
        break;
      }
      case 'cc': {
        const n = integerIn(value, 0, 1);
        if (n === undefined) errors.push(`cc "${value}" is not 0 or 1`);
        else attrs.congestionControl = n === 1;
        break;
      }
      case 'socket': {
        const m = SOCKET.exec(value);
        const port = m?.[1] === undefined ? 1 : Number(m[1]);
        if (!m || port < 1 || port > 65535) errors.push(`socket "${value}" is not [proto:]host[:port]`);
        else attrs.socket = value;
        break;
      }
      case 'ping_from':
        if (!parseSipUri(value)) errors.push(`ping_from "${value}" is not a sip/sips URI`);
        else attrs.pingFrom = value;
        break;
      default:
        others.set(name, value);
    }
  }
  attrs.others = others;
  return errors.length > 0 ? { ok: false, errors } : { ok: true, attrs };
}

function integerIn(text: string, min: number, max: number): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}
