/**
 * Kamailio permissions address groups: entries `grp ip_addr mask port tag` from the `address` table
 * or an address file (`groupid address [netmask] [port] [tag]`, e.g. `1 127.0.0.1 32 0 tag1`,
 * `2 192.168.1.0 24 0 tag2`, `3 [1:5ee::900d:c0de]`). A source matches an entry when its IP is in
 * the entry's network and the entry's port is 0 or the source port. `allow_address_group` gives the
 * group of the first matching entry in load order; `allow_source_address(g)` asks about one group.
 */
import type { Row } from '../../data/table-rows.js';
import { RowReader } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { inNetwork, parseIp, parseNetwork, type Network } from './ip-match.js';

export interface AddressEntry {
  readonly group: number;
  readonly network: Network;
  /** 0 = any port. */
  readonly port: number;
  readonly tag: string | undefined;
}

export interface AddressMatch {
  readonly group: number;
  readonly tag: string | undefined;
}

export type AddressGroupsLoad = { ok: true; groups: AddressGroups } | { ok: false; errors: string[] };

export class AddressGroups {
  constructor(readonly entries: readonly AddressEntry[]) {}

  static fromRows(rows: readonly Row[]): AddressGroupsLoad {
    return runAtOnce(AddressGroups.buildRows(rows));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[]): SlicedWork<AddressGroupsLoad> {
    const errors: string[] = [];
    const entries: AddressEntry[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      const where = `address row ${i + 1}`;
      try {
        const r = new RowReader(row, where);
        const tag = row['tag'] === undefined || row['tag'] === null || row['tag'] === '' ? undefined : r.str('tag');
        entries.push(entry(r.int('grp'), r.str('ip_addr'), r.int('mask', -1), r.int('port', 0), tag, where));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, groups: new AddressGroups(entries) };
  }

  static fromFile(text: string): AddressGroupsLoad {
    return runAtOnce(AddressGroups.buildFile(text));
  }

  /** fromFile as sliced work (a reload builds it between route requests). */
  static *buildFile(text: string): SlicedWork<AddressGroupsLoad> {
    const errors: string[] = [];
    const entries: AddressEntry[] = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i] as string;
      if (atCheckpoint(i)) yield;
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') continue;
      const where = `address file line ${i + 1}`;
      const [grp, ip, mask, port, tag] = line.split(/\s+/);
      try {
        const int = (v: string | undefined, name: string, fallback: number): number => {
          if (v === undefined) return fallback;
          if (!/^\d+$/.test(v)) throw new Error(`${where}: ${name} "${v}" is not a number`);
          return Number(v);
        };
        entries.push(entry(int(grp, 'group', -1), ip ?? '', int(mask, 'netmask', -1), int(port, 'port', 0), tag, where));
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, groups: new AddressGroups(entries) };
  }

  /** Kamailio `allow_address_group(ip, port)`: the first matching entry's group and tag. */
  groupOf(ip: string, port: number, onlyGroup?: number): AddressMatch | undefined {
    const bytes = parseIp(ip);
    if (!bytes) return undefined;
    for (const e of this.entries) {
      if (onlyGroup !== undefined && e.group !== onlyGroup) continue;
      if ((e.port === 0 || e.port === port) && inNetwork(bytes, e.network)) return { group: e.group, tag: e.tag };
    }
    return undefined;
  }
}

function entry(group: number, ip: string, mask: number, port: number, tag: string | undefined, where: string): AddressEntry {
  if (!Number.isInteger(group) || group < 0) throw new Error(`${where}: group is missing or negative`);
  if (port < 0 || port > 65535) throw new Error(`${where}: port ${port} is out of range`);
  const network = parseNetwork(ip, mask < 0 ? undefined : mask);
  if (!network) throw new Error(`${where}: "${ip}${mask < 0 ? '' : `/${mask}`}" is not an IP address with a valid netmask`);
  return { group, network, port, tag };
}
