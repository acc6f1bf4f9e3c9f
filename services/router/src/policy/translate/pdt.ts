/**
 * Kamailio's pdt (prefix-domain translation) as a pure table: rows of the `pdt` table (sdomain,
 * prefix, domain) as one prefix tree per source domain, and `translate`, as `pd_translate` and
 * `prefix2domain` do it:
 *
 * - The R-URI user must be longer than the `prefix` parameter and start with it (case-insensitive);
 *   the rest is walked digit by digit in the source domain's tree and the longest prefix wins. A
 *   character outside char_list met during the walk makes the whole lookup fail.
 * - The source domain is looked up on its own; with `fallback` (prefix2domain's sd_mode 2) the
 *   `*` tree is tried next. `*` is an ordinary sdomain value otherwise.
 * - Modes: `strip` (0) removes the prefix parameter and the pdt prefix from the user,
 *   `strip_prefix_param` (1) only the prefix parameter, `keep` (2) neither. The domain then
 *   replaces host, port, parameters and headers of the R-URI (Kamailio's sethostall).
 *
 * Source domains compare case-insensitively (RFC 3261 §19.1.4); Kamailio compares them
 * byte-wise. Rows Kamailio skips with a log line (empty values; with check_domain, a prefix or
 * domain already present for the sdomain) are load errors here, so a reload never drops a row
 * silently.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';

export const PDT_MODES = ['strip', 'strip_prefix_param', 'keep'] as const;
export type PdtMode = (typeof PDT_MODES)[number];

export const PDT_DEFAULT_CHAR_LIST = '0123456789';
/** Kamailio's tree depth: prefixes are shorter than this. */
export const PDT_MAX_PREFIX = 31;
export const PDT_ANY_SDOMAIN = '*';

export interface PdtOptions {
  /** Characters prefixes are made of (Kamailio char_list). */
  readonly charList?: string;
  /** Refuse a prefix or domain that is already present for the same sdomain (Kamailio check_domain, default on). */
  readonly checkDomain?: boolean;
}

export interface PdtTranslateOptions {
  /** Source domain whose tree is used (usually the From host), or `*`. */
  readonly sdomain: string;
  /** Try the `*` tree when the source domain's has no prefix for the user. */
  readonly fallback?: boolean;
  /** Kamailio's `prefix` parameter: a leading code every translated user carries. */
  readonly prefix?: string;
  readonly mode?: PdtMode;
}

export interface PdtTranslation {
  /** The R-URI user after the mode's stripping. */
  readonly user: string;
  /** The new host[:port][;params] of the R-URI. */
  readonly domain: string;
  /** The pdt prefix that matched. */
  readonly prefix: string;
}

interface Node {
  readonly next: Map<string, Node>;
  domain: string | undefined;
}

export type PdtLoad = { ok: true; pdt: PdtTable } | { ok: false; errors: string[] };

export class PdtTable {
  private constructor(
    private readonly trees: ReadonlyMap<string, Map<string, Node>>,
    private readonly charList: string,
  ) {}

  static fromRows(rows: readonly Row[], origin: string, options: PdtOptions = {}): PdtLoad {
    return runAtOnce(PdtTable.buildRows(rows, origin, options));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], origin: string, options: PdtOptions = {}): SlicedWork<PdtLoad> {
    const charList = options.charList ?? PDT_DEFAULT_CHAR_LIST;
    const checkDomain = options.checkDomain ?? true;
    const trees = new Map<string, Map<string, Node>>();
    /** Per sdomain, the row number of each prefix and of each domain, for the duplicate errors. */
    const prefixRows = new Map<string, Map<string, number>>();
    const domainRows = new Map<string, Map<string, number>>();
    const errors: string[] = [];

    const add = (row: Row, n: number): string | undefined => {
      const where = `${origin} row ${n}`;
      const r = new RowReader(row, where);
      const [sdomain, prefix, domain] = [r.str('sdomain').toLowerCase(), r.str('prefix'), r.str('domain')];
      if (sdomain === '' || prefix === '' || domain === '') return `${where}: sdomain, prefix and domain must not be empty`;
      if (prefix.length > PDT_MAX_PREFIX) return `${where}: prefix "${prefix}" is longer than ${PDT_MAX_PREFIX} characters`;
      if ([...prefix].some((c) => !charList.includes(c))) return `${where}: prefix "${prefix}" has characters outside char_list "${charList}"`;
      const prefixes = mapOf(prefixRows, sdomain);
      const domains = mapOf(domainRows, sdomain);
      const samePrefix = prefixes.get(prefix);
      if (samePrefix !== undefined) return `${where}: prefix "${prefix}" of sdomain ${sdomain} is already in row ${samePrefix}`;
      const sameDomain = domains.get(domain);
      if (checkDomain && sameDomain !== undefined) {
        return `${where}: domain ${domain} of sdomain ${sdomain} is already in row ${sameDomain} (check_domain: set it off to map several prefixes to one domain)`;
      }
      prefixes.set(prefix, n);
      if (sameDomain === undefined) domains.set(domain, n);
      let level = mapOf(trees, sdomain);
      let node: Node | undefined;
      for (const c of prefix) {
        node = level.get(c);
        if (!node) level.set(c, (node = { next: new Map(), domain: undefined }));
        level = node.next;
      }
      if (node) node.domain = domain;
      return undefined;
    };

    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      try {
        const error = add(row, i + 1);
        if (error !== undefined) errors.push(error);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, pdt: new PdtTable(trees, charList) };
  }

  /** Every (sdomain, prefix, domain) entry, by sdomain then prefix (admin `pdt.list`). */
  entries(): { sdomain: string; prefix: string; domain: string }[] {
    const out: { sdomain: string; prefix: string; domain: string }[] = [];
    const walk = (sdomain: string, level: ReadonlyMap<string, Node>, prefix: string): void => {
      for (const [c, node] of [...level].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (node.domain !== undefined) out.push({ sdomain, prefix: prefix + c, domain: node.domain });
        walk(sdomain, node.next, prefix + c);
      }
    };
    for (const sdomain of [...this.trees.keys()].sort()) walk(sdomain, this.trees.get(sdomain) as Map<string, Node>, '');
    return out;
  }

  /** The longest prefix of `digits` in the sdomain's tree and its domain. */
  lookup(sdomain: string, digits: string): { prefix: string; domain: string } | undefined {
    let level = this.trees.get(sdomain.toLowerCase());
    let found: { prefix: string; domain: string } | undefined;
    for (let i = 0; level && i < digits.length && i < PDT_MAX_PREFIX; i++) {
      const c = digits[i] as string;
      if (!this.charList.includes(c)) return undefined;
      const node: Node | undefined = level.get(c);
      if (node?.domain !== undefined) found = { prefix: digits.slice(0, i + 1), domain: node.domain };
      // Kamailio stops where the tree has no longer prefixes, before checking the next character.
      level = node && node.next.size > 0 ? node.next : undefined;
    }
    return found;
  }

  /** The translated user and domain for R-URI user `user`; undefined when there is none. */
  translate(user: string, options: PdtTranslateOptions): PdtTranslation | undefined {
    const param = options.prefix ?? '';
    if (user === '') return undefined;
    if (param !== '' && (user.length <= param.length || user.slice(0, param.length).toLowerCase() !== param.toLowerCase())) return undefined;
    const digits = user.slice(param.length);
    const hit = this.lookup(options.sdomain, digits) ?? (options.fallback ? this.lookup(PDT_ANY_SDOMAIN, digits) : undefined);
    if (!hit) return undefined;
    const mode = options.mode ?? 'strip';
    const strip = mode === 'strip' ? param.length + hit.prefix.length : mode === 'strip_prefix_param' ? param.length : 0;
    return { user: user.slice(strip), domain: hit.domain, prefix: hit.prefix };
  }
}

function mapOf<V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let m = maps.get(key);
  if (!m) maps.set(key, (m = new Map()));
  return m;
}
