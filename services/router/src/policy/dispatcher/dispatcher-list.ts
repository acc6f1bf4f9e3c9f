/**
 * Parser of Kamailio's dispatcher.list file format: `setid destination [flags [priority [attrs]]]`,
 * one destination per line, `#` comments. Destination flags are Kamailio's numeric bits (1 inactive,
 * 2 trying, 4 admin-disabled, 8 probing, 16 skip DNS, 32 no ping), mapped to names here at the
 * boundary; attrs are `name=value` pairs separated by `;`.
 */

export const DestinationFlag = {
  inactive: 1,
  trying: 2,
  disabled: 4,
  probing: 8,
  skipDns: 16,
  noPing: 32,
} as const;

export interface Destination {
  setId: number;
  uri: string;
  flags: number;
  priority: number;
  attrs: ReadonlyMap<string, string>;
  /** Position in the file, for stable ordering among equal priorities. */
  order: number;
}

export interface DispatcherSet {
  id: number;
  /** Highest priority first (Kamailio orders a set by priority, descending). */
  destinations: readonly Destination[];
}

export type DispatcherListResult = { ok: true; sets: ReadonlyMap<number, DispatcherSet> } | { ok: false; errors: string[] };

export function parseDispatcherList(text: string): DispatcherListResult {
  const bySet = new Map<number, Destination[]>();
  const errors: string[] = [];
  let order = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    const fields = line.split(/\s+/);
    const [setField, uri, flagsField = '0', prioField = '0', attrsField = ''] = fields;
    const setId = Number(setField);
    const flags = Number(flagsField);
    const priority = Number(prioField);
    if (!Number.isInteger(setId) || setId < 0) errors.push(`line ${i + 1}: set id "${setField}" is not a non-negative integer`);
    else if (!uri || !/^sips?:/i.test(uri)) errors.push(`line ${i + 1}: destination "${uri ?? ''}" is not a sip/sips URI`);
    else if (!Number.isInteger(flags) || flags < 0) errors.push(`line ${i + 1}: flags "${flagsField}" is not a non-negative integer`);
    else if (!Number.isInteger(priority)) errors.push(`line ${i + 1}: priority "${prioField}" is not an integer`);
    else {
      const list = bySet.get(setId) ?? [];
      list.push({ setId, uri, flags, priority, attrs: parseAttrs(attrsField), order: order++ });
      bySet.set(setId, list);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const sets = new Map<number, DispatcherSet>();
  for (const [id, list] of bySet) {
    list.sort((a, b) => b.priority - a.priority || a.order - b.order);
    sets.set(id, { id, destinations: list });
  }
  return { ok: true, sets };
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash === -1 ? line : line.slice(0, hash);
}

function parseAttrs(field: string): ReadonlyMap<string, string> {
  const attrs = new Map<string, string>();
  for (const pair of field.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq === -1) attrs.set(pair, '');
    else attrs.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return attrs;
}

/** A destination takes new calls unless it is inactive or administratively disabled. */
export function isUsable(d: Destination): boolean {
  return (d.flags & (DestinationFlag.inactive | DestinationFlag.disabled)) === 0;
}
