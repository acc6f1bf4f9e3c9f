/**
 * Kamailio's speeddial lookup as a pure table: rows of `speed_dial` (username, domain: the owner;
 * sd_username, sd_domain: the short number; new_uri: the target). `lookup` is `sd_lookup`: the
 * first row of the owner (the caller, or a given owner URI) whose sd_username is the dialled user,
 * matching domains as use_domain says (none; the owner's; the owner's and the short number's).
 * A new_uri without a scheme gets `sip:` in front, as in Kamailio.
 *
 * Differences from Kamailio: domains compare case-insensitively (RFC 3261 §19.1.4); domain_prefix
 * is taken off the owner's domain too (Kamailio's code means to, but writes the shortened value
 * into the wrong query slot, so it never does); a new_uri starting `sips:` or `tel:` is kept as
 * it is (Kamailio only recognises `sip:` and would make it `sip:sips:…`); an empty new_uri is a load
 * error (Kamailio fails the call). The table is read when routes load, not on every call.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { stripDomainPrefix, uriUserHost, type UriUserHost } from './request-uri.js';

/** Kamailio use_domain 0, 1, 2. */
export const SPEED_DIAL_DOMAIN_MATCHES = ['none', 'owner', 'both'] as const;
export type SpeedDialDomainMatch = (typeof SPEED_DIAL_DOMAIN_MATCHES)[number];

export interface SpeedDialOptions {
  readonly useDomain?: SpeedDialDomainMatch;
  /** Leading part of hosts ignored when matching domains (Kamailio domain_prefix). */
  readonly domainPrefix?: string;
}

interface Entry {
  readonly domain: string;
  readonly sdUser: string;
  readonly sdDomain: string;
  readonly newUri: string;
}

export type SpeedDialLoad = { ok: true; speedDial: SpeedDialTable } | { ok: false; errors: string[] };

export class SpeedDialTable {
  /** Owner user -> that owner's entries in row order. */
  private constructor(private readonly byOwner: ReadonlyMap<string, readonly Entry[]>) {}

  static fromRows(rows: readonly Row[], origin: string): SpeedDialLoad {
    return runAtOnce(SpeedDialTable.buildRows(rows, origin));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], origin: string): SlicedWork<SpeedDialLoad> {
    const errors: string[] = [];
    const byOwner = new Map<string, Entry[]>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      const where = `${origin} row ${i + 1}`;
      try {
        const r = new RowReader(row, where);
        const newUri = withScheme(r.str('new_uri'));
        if (!uriUserHost(newUri)) {
          errors.push(`${where}: new_uri "${r.str('new_uri')}" is not a URI with a host`);
          continue;
        }
        const owner = r.str('username');
        const entry: Entry = { domain: r.str('domain', '').toLowerCase(), sdUser: r.str('sd_username'), sdDomain: r.str('sd_domain', '').toLowerCase(), newUri };
        const list = byOwner.get(owner);
        if (list) list.push(entry);
        else byOwner.set(owner, [entry]);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, speedDial: new SpeedDialTable(byOwner) };
  }

  /** The new_uri `owner` dialled as `dialled`; undefined when there is none. */
  lookup(owner: UriUserHost, dialled: UriUserHost, options: SpeedDialOptions = {}): string | undefined {
    if (owner.user === '' || dialled.user === '') return undefined;
    const useDomain = options.useDomain ?? 'none';
    const ownerDomain = stripDomainPrefix(owner.host, options.domainPrefix).toLowerCase();
    const sdDomain = stripDomainPrefix(dialled.host, options.domainPrefix).toLowerCase();
    const entry = (this.byOwner.get(owner.user) ?? []).find(
      (e) => e.sdUser === dialled.user && (useDomain === 'none' || e.domain === ownerDomain) && (useDomain !== 'both' || e.sdDomain === sdDomain),
    );
    return entry?.newUri;
  }
}

function withScheme(uri: string): string {
  return /^(sips?|tel):/i.test(uri) ? uri : `sip:${uri}`;
}
