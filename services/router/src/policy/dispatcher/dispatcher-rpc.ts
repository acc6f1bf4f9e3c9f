/**
 * The dispatcher's RPC faces in Kamailio's shapes, so tools and habits from `kamcmd` carry over:
 * `dispatcher.list` (NRSETS, RECORDS of SET{ID, TARGETS of DEST{URI, FLAGS, PRIORITY, ATTRS, ...}})
 * and `dispatcher.set_state <state> <group> <address|all>`.
 *
 * Differences from Kamailio: sets come in ascending id order (Kamailio prints its tree in its own
 * order, so nobody should rely on it); an empty list is NRSETS 0 rather than a 500 fault; ATTRS carries
 * BODY, DUID, MAXLOAD, WEIGHT, RWEIGHT and SOCKET (not Kamailio's overload-control fields); LATENCY
 * appears once a destination has latency stats and RUNTIME.DLGLOAD once it has a duid.
 */
import type { Dispatcher } from './dispatcher.js';
import type { DestinationStatus } from './dispatcher-list.js';

export interface RpcDestination {
  URI: string;
  /** Char 1: A active, I inactive, D disabled, T trying. Char 2: P probing, N no ping, X neither. */
  FLAGS: string;
  PRIORITY: number;
  ATTRS?: { BODY: string; DUID: string; MAXLOAD: number; WEIGHT: number; RWEIGHT: number; SOCKET: string };
  LATENCY?: { AVG: number; STD: number; EST: number; MAX: number };
  RUNTIME?: { DLGLOAD: number };
}

export interface RpcDispatcherList {
  NRSETS: number;
  RECORDS: { SET: { ID: number; TARGETS: { DEST: RpcDestination }[] } }[];
}

const STATE_LETTER = { active: 'A', inactive: 'I', disabled: 'D', trying: 'T' } as const;

export function rpcFlags(status: DestinationStatus, noPing: boolean): string {
  return STATE_LETTER[status.state] + (status.probing ? 'P' : noPing ? 'N' : 'X');
}

export function dispatcherListRpc(dispatcher: Dispatcher): RpcDispatcherList {
  const sets = dispatcher.snapshot();
  return {
    NRSETS: sets.length,
    RECORDS: sets.map((set) => ({
      SET: {
        ID: set.id,
        TARGETS: set.destinations.map(({ destination: d, status, load, latency }) => {
          const dest: RpcDestination = { URI: d.uri, FLAGS: rpcFlags(status, d.noPing), PRIORITY: d.priority };
          if (d.attrs.body !== '') {
            const a = d.attrs;
            dest.ATTRS = { BODY: a.body, DUID: a.duid ?? '', MAXLOAD: a.maxload, WEIGHT: a.weight, RWEIGHT: a.rweight, SOCKET: a.socket ?? '' };
          }
          if (latency) dest.LATENCY = { AVG: latency.average, STD: latency.stdev, EST: latency.estimate, MAX: latency.max };
          if (load !== undefined) dest.RUNTIME = { DLGLOAD: load };
          return { DEST: dest };
        }),
      },
    })),
  };
}

/**
 * A state as `dispatcher.set_state` takes it: first character 0/I inactive, 1/A active, 2/D disabled,
 * 3/T trying (either case); a second P sets probing (not for disabled).
 */
export function parseRpcState(text: string): DestinationStatus | undefined {
  const first = text.charAt(0).toUpperCase();
  const probing = text.charAt(1).toUpperCase() === 'P';
  switch (first) {
    case '0':
    case 'I':
      return { state: 'inactive', probing };
    case '1':
    case 'A':
      return { state: 'active', probing };
    case '2':
    case 'D':
      return { state: 'disabled', probing: false };
    case '3':
    case 'T':
      return { state: 'trying', probing };
    default:
      return undefined;
  }
}

/**
 * `dispatcher.set_state`, answered with Kamailio's messages (its faults are code 500). `setState`
 * applies it (Dispatcher.setState, or the router's announcing setter).
 */
export function dispatcherSetStateRpc(
  setState: (group: number, address: string, status: DestinationStatus) => boolean,
  state: string,
  group: number,
  address: string,
): { ok: true; message: string } | { ok: false; code: 500; message: string } {
  const status = parseRpcState(state);
  if (!status) return { ok: false, code: 500, message: 'Unknown State Value' };
  if (!setState(group, address, status)) return { ok: false, code: 500, message: 'State Update Failed' };
  return { ok: true, message: 'Ok. Dispatcher state updated.' };
}
