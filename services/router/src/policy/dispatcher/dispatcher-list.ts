/**
 * Parser of Kamailio's dispatcher.list file format: `setid destination [flags [priority [attrs]]]`,
 * one destination per line, `#` comments. Destination flags are Kamailio's numeric bits, mapped to
 * named states here at the boundary; attrs are typed by destination-attrs.ts.
 *
 * Order inside a set follows Kamailio exactly, because hashing, round-robin, weight tables and the
 * failover list all work on positions: highest priority first and, among equal priorities, the
 * line written LAST comes first (Kamailio inserts each line after its equals and then copies the list
 * backwards; `kamcmd dispatcher.list` shows it in reverse file order for that reason).
 */
import { parseDestinationAttrs, type DestinationAttrs } from './destination-attrs.js';
import { parseSipUri, type SipUri } from './sip-uri.js';

/** Kamailio's destination flag bits, as written in the file's flags column. */
export const DestinationFlag = {
  inactive: 1,
  trying: 2,
  disabled: 4,
  probing: 8,
  skipDns: 16,
  noPing: 32,
} as const;
const ALL_FLAGS = 63;

export const DestinationState = {
  active: 'active',
  inactive: 'inactive',
  disabled: 'disabled',
  /** Keepalives failing but under the threshold: still takes calls (Kamailio skips only inactive and disabled). */
  trying: 'trying',
} as const;
export type DestinationState = (typeof DestinationState)[keyof typeof DestinationState];

/** The part of a destination that changes at run time (probing, `dispatcher.set_state`). */
export interface DestinationStatus {
  state: DestinationState;
  /** Keepalives are sent to it (Kamailio flag 8, FLAGS "P"). */
  probing: boolean;
}

export interface Destination {
  setId: number;
  uri: string;
  target: SipUri;
  /** State and probing flag as loaded from the file. */
  initial: DestinationStatus;
  /** Flag 16: no DNS lookup of the host, so it can never match a source address. */
  skipDns: boolean;
  /** Flag 32: never pinged (FLAGS "N"). */
  noPing: boolean;
  priority: number;
  attrs: DestinationAttrs;
  /** 1-based line in the list, for messages. */
  line: number;
}

export interface DispatcherSet {
  id: number;
  /** In Kamailio's order: priority descending, then reverse file order. */
  destinations: readonly Destination[];
}

export type DispatcherListResult = { ok: true; sets: ReadonlyMap<number, DispatcherSet> } | { ok: false; errors: string[] };

export function parseDispatcherList(text: string): DispatcherListResult {
  const bySet = new Map<number, Destination[]>();
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    const [setField, uri, flagsField = '0', prioField = '0', attrsField = '', ...extra] = line.split(/\s+/);
    const setId = Number(setField);
    const flags = Number(flagsField);
    const priority = Number(prioField);
    const target = uri === undefined ? undefined : parseSipUri(uri);
    if (!Number.isInteger(setId) || setId < 0) errors.push(`${where}: set id "${setField}" is not a non-negative integer`);
    else if (!uri || !/^sips?:/i.test(uri)) errors.push(`${where}: destination "${uri ?? ''}" is not a sip/sips URI`);
    else if (!target) errors.push(`${where}: destination "${uri}" has no valid host or port`);
    else if (!Number.isInteger(flags) || flags < 0) errors.push(`${where}: flags "${flagsField}" is not a non-negative integer`);
    else if ((flags & ~ALL_FLAGS) !== 0) errors.push(`${where}: flags ${flags} has bits other than 1 inactive, 2 trying, 4 disabled, 8 probing, 16 skip DNS, 32 no ping`);
    else if (!Number.isInteger(priority)) errors.push(`${where}: priority "${prioField}" is not an integer`);
    else if (extra.length > 0) errors.push(`${where}: unexpected "${extra.join(' ')}" after the attrs (attrs contain no spaces)`);
    else {
      const attrs = parseDestinationAttrs(attrsField);
      if (!attrs.ok) {
        errors.push(...attrs.errors.map((e) => `${where}: ${e}`));
        continue;
      }
      const list = bySet.get(setId) ?? [];
      list.push({
        setId,
        uri,
        target,
        initial: statusFromFlags(flags),
        skipDns: (flags & DestinationFlag.skipDns) !== 0,
        noPing: (flags & DestinationFlag.noPing) !== 0,
        priority,
        attrs: attrs.attrs,
        line: i + 1,
      });
      bySet.set(setId, list);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const sets = new Map<number, DispatcherSet>();
  for (const id of [...bySet.keys()].sort((a, b) => a - b)) {
    const list = bySet.get(id) ?? [];
    list.sort((a, b) => b.priority - a.priority || b.line - a.line);
    sets.set(id, { id, destinations: list });
  }
  return { ok: true, sets };
}

/**
 * One state from the flag bits. When the file sets several, the order is Kamailio's `dispatcher.list`
 * output: inactive, then disabled, then trying.
 */
export function statusFromFlags(flags: number): DestinationStatus {
  const probing = (flags & DestinationFlag.probing) !== 0;
  if (flags & DestinationFlag.inactive) return { state: 'inactive', probing };
  if (flags & DestinationFlag.disabled) return { state: 'disabled', probing };
  if (flags & DestinationFlag.trying) return { state: 'trying', probing };
  return { state: 'active', probing };
}

/** A destination takes new calls unless it is inactive or administratively disabled (Kamailio `ds_skip_dst`). */
export function isUsable(status: DestinationStatus): boolean {
  return status.state !== 'inactive' && status.state !== 'disabled';
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash === -1 ? line : line.slice(0, hash);
}
