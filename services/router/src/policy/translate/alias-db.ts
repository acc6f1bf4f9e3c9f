/**
 * Kamailio's alias_db lookup as a pure table: rows of `dbaliases` (alias_username, alias_domain,
 * username, domain). `lookup` finds the rows whose alias_username equals the R-URI user (and, with
 * use_domain, whose alias_domain equals the R-URI host, less domain_prefix), and gives for each
 * the URI Kamailio builds: literally `sip:<username>@<domain>`, so a domain column that carries
 * `host:port;transport=tcp` carries it into the URI. `reverse` looks the other way (username and
 * domain in, `sip:<alias_username>@<alias_domain>` out). Users compare exactly, as the database's
 * `=` does; domains case-insensitively (RFC 3261 §19.1.4).
 *
 * Kamailio queries the table on every call; the router reads it when routes load and reloads it
 * on a database NOTIFY, like every other table.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { stripDomainPrefix } from './request-uri.js';

export interface AliasLookupOptions {
  /** Match the host too (Kamailio use_domain=1, flag `u`). */
  readonly useDomain?: boolean;
  /** From user to alias (Kamailio flag `r`). */
  readonly reverse?: boolean;
  /** Leading part of the host ignored when matching domains (Kamailio domain_prefix, e.g. "sip."). */
  readonly domainPrefix?: string;
}

interface Alias {
  readonly aliasUser: string;
  readonly aliasDomain: string;
  readonly user: string;
  readonly domain: string;
}

export type AliasLoad = { ok: true; aliases: AliasTable } | { ok: false; errors: string[] };

export class AliasTable {
  private constructor(
    private readonly byAlias: ReadonlyMap<string, readonly Alias[]>,
    private readonly byUser: ReadonlyMap<string, readonly Alias[]>,
  ) {}

  static fromRows(rows: readonly Row[], origin: string): AliasLoad {
    return runAtOnce(AliasTable.buildRows(rows, origin));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], origin: string): SlicedWork<AliasLoad> {
    const errors: string[] = [];
    const byAlias = new Map<string, Alias[]>();
    const byUser = new Map<string, Alias[]>();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      try {
        const r = new RowReader(row, `${origin} row ${i + 1}`);
        const a: Alias = { aliasUser: r.str('alias_username'), aliasDomain: r.str('alias_domain', ''), user: r.str('username'), domain: r.str('domain', '') };
        push(byAlias, a.aliasUser, a);
        push(byUser, a.user, a);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, aliases: new AliasTable(byAlias, byUser) };
  }

  /**
   * The URIs `user@host` stands for, in row order (Kamailio rewrites the R-URI to the first and
   * makes the others branches). A row whose result has no user or domain gives no URI: Kamailio's
   * rewrite to `sip:user@` fails.
   */
  lookup(user: string, host: string, options: AliasLookupOptions = {}): string[] {
    if (user === '') return [];
    const reverse = options.reverse ?? false;
    const candidates = (reverse ? this.byUser : this.byAlias).get(user) ?? [];
    const domain = stripDomainPrefix(host, options.domainPrefix).toLowerCase();
    const uris: string[] = [];
    for (const a of candidates) {
      const [keyDomain, outUser, outDomain] = reverse ? [a.domain, a.aliasUser, a.aliasDomain] : [a.aliasDomain, a.user, a.domain];
      if (options.useDomain && keyDomain.toLowerCase() !== domain) continue;
      if (outUser !== '' && outDomain !== '') uris.push(`sip:${outUser}@${outDomain}`);
    }
    return uris;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
