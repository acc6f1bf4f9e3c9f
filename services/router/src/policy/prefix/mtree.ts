/**
 * Kamailio's mtree: named trees of (tprefix, tvalue) rows, matched against a number with
 * `mt_match(tree, key, mode)` (book §8.1, TC-83..85).
 *
 * The match walks the key one character at a time while the tree has deeper prefixes, and
 * remembers the values it passes. Two rules of the module are kept because operators rely on them:
 * - A character outside the tree's alphabet (`char_list`, default "0123456789") met during the
 *   walk fails the whole match, even when a shorter prefix already had a value: `+4930` never
 *   matches a tree of digits, whatever its prefixes.
 * - The walk stops where the tree has nothing deeper, so characters after that are never looked at.
 * `walked` is the key cut to the characters walked, which the `mtree.match` command prints as
 * PREFIX (`91` against {9, 9196} walks "91" and answers the value of "9").
 *
 * Only string values (Kamailio tree type 0) are kept; integer trees (type 2) are string trees whose
 * user parses the value, and dstid:weight trees (type 1) are not supported.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { PrefixTrie, type TrieNode } from './prefix-trie.js';

/** How `mt_match` answers: the value of the longest prefix (Kamailio mode 0), or all values on the path (mode 2). */
export const MT_MATCH_MODES = ['longest', 'all'] as const;
export type MtMatchMode = (typeof MT_MATCH_MODES)[number];

/** Kamailio's mode argument: 2 is "all values", any other number "longest". */
export function mtMatchModeOf(kamailioMode: number): MtMatchMode {
  return kamailioMode === 2 ? 'all' : 'longest';
}

export const MT_DEFAULT_CHAR_LIST = '0123456789';
/** Longest tprefix the module accepts (and deepest walk): 63 characters. */
export const MT_MAX_PREFIX_LENGTH = 63;

export interface MtMatch {
  /** The key cut to the characters walked (Kamailio's PREFIX in `mtree.match`). */
  readonly walked: string;
  /** Values of the matching prefixes, longest prefix first; mode `longest` gives only the first. */
  readonly values: readonly string[];
}

export interface MTreeOptions {
  /** The tree's name; rows that have a `tname` column (table `mtrees`) belong to it when tname equals it. */
  readonly name: string;
  /** The tree's alphabet (Kamailio `char_list`). */
  readonly charList?: string;
}

export type MTreeBuild = { ok: true; tree: MTree } | { ok: false; errors: string[] };

export class MTree {
  private constructor(
    readonly name: string,
    private readonly alphabet: ReadonlySet<string>,
    private readonly trie: PrefixTrie<string>,
  ) {}

  /**
   * Builds a tree from rows with Kamailio's columns: `tprefix`, `tvalue` and, for a table holding
   * many trees, `tname`. A prefix outside the alphabet, longer than 63 characters, or given twice
   * refuses the load (Kamailio's defaults: mt_allow_duplicates=0, mt_ignore_duplicates=0).
   */
  static fromRows(rows: readonly Row[], options: MTreeOptions, origin = 'mtree'): MTreeBuild {
    return runAtOnce(MTree.buildRows(rows, options, origin));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], options: MTreeOptions, origin = 'mtree'): SlicedWork<MTreeBuild> {
    const charList = options.charList ?? MT_DEFAULT_CHAR_LIST;
    const alphabet = new Set(charList);
    const trie = new PrefixTrie<string>();
    const errors: string[] = [];
    if (charList === '') errors.push(`mtree ${options.name}: char_list is empty`);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      const where = `${origin} row ${i + 1}`;
      const r = new RowReader(row, where);
      try {
        if (row['tname'] !== undefined && r.str('tname', '') !== options.name) continue;
        const prefix = r.str('tprefix');
        const value = r.str('tvalue', '');
        if (prefix === '') throw new Error(`${where}: tprefix is empty`);
        if (prefix.length > MT_MAX_PREFIX_LENGTH) throw new Error(`${where}: tprefix ${prefix} is longer than ${MT_MAX_PREFIX_LENGTH} characters`);
        const bad = [...prefix].find((c) => !alphabet.has(c));
        if (bad !== undefined) throw new Error(`${where}: tprefix ${prefix} has "${bad}", which is not in char_list "${charList}"`);
        const existing = trie.get(prefix);
        if (existing !== undefined) throw new Error(`${where}: tprefix ${prefix} is already in tree ${options.name} (value ${existing})`);
        trie.set(prefix, value);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, tree: new MTree(options.name, alphabet, trie) };
  }

  /** Number of prefixes in the tree. */
  get size(): number {
    return this.trie.size;
  }

  /** Every (tprefix, tvalue) of the tree (`mtree.list`). */
  entries(): IterableIterator<[string, string]> {
    return this.trie.entries();
  }

  /** Kamailio's `mt_match`: undefined when no prefix matched or the walk met a character outside the alphabet. */
  match(key: string, mode: MtMatchMode = 'longest'): MtMatch | undefined {
    const values: string[] = [];
    let node: TrieNode<string> | undefined = this.trie.root;
    let walked = 0;
    while (node?.children && walked < key.length && walked < MT_MAX_PREFIX_LENGTH + 1) {
      const c = key[walked] as string; // walked < key.length
      if (!this.alphabet.has(c)) return undefined;
      node = node.children.get(c);
      if (node?.value !== undefined) values.push(node.value);
      walked++;
    }
    if (values.length === 0) return undefined;
    values.reverse();
    return { walked: key.slice(0, walked), values: mode === 'all' ? values : values.slice(0, 1) };
  }
}
