/**
 * Kamailio's prefix_route: the longest prefix of the R-URI user names a route (book §8.4, TC-92).
 * As in the module, only digits count: other characters of prefixes and users are skipped, so
 * `+0101234` is matched as `0101234`.
 *
 * One difference, on purpose: Kamailio takes a prefix's route only when another digit follows it,
 * so a user exactly equal to a prefix (`010`) does not match there. Here the match is inclusive,
 * as the book's description of the module says it should be.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { PrefixTrie } from './prefix-trie.js';

export interface PrefixRouteMatch {
  /** The route name of the row (table column `route`). */
  readonly route: string;
  /** The matched prefix, digits only. */
  readonly prefix: string;
}

export type PrefixRouteBuild = { ok: true; table: PrefixRouteTable } | { ok: false; errors: string[] };

const digitsOf = (s: string): string => s.replace(/[^0-9]/g, '');

export class PrefixRouteTable {
  private constructor(private readonly trie: PrefixTrie<PrefixRouteMatch>) {}

  /**
   * Builds the table from rows with Kamailio's columns `prefix` and `route` (`comment` is ignored).
   * A route name not in `knownRoutes` refuses the load, as Kamailio refuses to start on a route
   * block that does not exist; so does one prefix given two different routes (Kamailio logs it and
   * keeps the last row, which depends on the table's row order).
   */
  static fromRows(rows: readonly Row[], knownRoutes: ReadonlySet<string>, origin = 'prefix_route'): PrefixRouteBuild {
    return runAtOnce(PrefixRouteTable.buildRows(rows, knownRoutes, origin));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], knownRoutes: ReadonlySet<string>, origin = 'prefix_route'): SlicedWork<PrefixRouteBuild> {
    const trie = new PrefixTrie<PrefixRouteMatch>();
    const errors: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      const where = `${origin} row ${i + 1}`;
      const r = new RowReader(row, where);
      try {
        const prefix = digitsOf(r.str('prefix', ''));
        const route = r.str('route').trim();
        if (!knownRoutes.has(route)) throw new Error(`${where}: route ${route} is not defined (known: ${[...knownRoutes].join(', ') || 'none'})`);
        const existing = trie.get(prefix);
        if (existing && existing.route !== route) throw new Error(`${where}: prefix ${prefix} is already routed to ${existing.route}`);
        trie.set(prefix, { route, prefix });
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, table: new PrefixRouteTable(trie) };
  }

  get size(): number {
    return this.trie.size;
  }

  /** Every prefix and its route, prefixes in order (`prefix_route.dump`). */
  entries(): PrefixRouteMatch[] {
    return [...this.trie.entries()].map(([, m]) => m).sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  /** The route of the longest prefix of `user`'s digits; undefined when none matches or `user` has no digit. */
  match(user: string): PrefixRouteMatch | undefined {
    const digits = digitsOf(user);
    if (digits === '') return undefined;
    return this.trie.longestPrefixOf(digits)?.value;
  }
}
