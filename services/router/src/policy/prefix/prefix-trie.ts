/**
 * A character trie from string keys to values: the index of every prefix routing module (lcr rule
 * prefixes, mtree tprefixes, prefix_route prefixes). It is built once when rows are loaded; a
 * lookup walks the input once, so its cost depends on the input's length, not on the number of
 * keys (100,000 prefixes answer as fast as ten).
 *
 * Children are kept in a Map created on first use: leaves (most nodes of a large number plan)
 * carry none, which keeps a 100k-prefix tree in tens of megabytes.
 */

export interface TrieNode<T> {
  value: T | undefined;
  children: Map<string, TrieNode<T>> | undefined;
}

/** An entry whose key is a prefix of the input: the key's length and its value. */
export interface PrefixMatch<T> {
  readonly length: number;
  readonly value: T;
}

export class PrefixTrie<T> {
  readonly root: TrieNode<T> = { value: undefined, children: undefined };
  private count = 0;

  /** Number of keys with a value. */
  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    let node: TrieNode<T> | undefined = this.root;
    for (let i = 0; i < key.length && node; i++) node = node.children?.get(key[i] as string);
    return node?.value;
  }

  set(key: string, value: T): void {
    let node = this.root;
    for (let i = 0; i < key.length; i++) {
      const c = key[i] as string; // i < key.length
      node.children ??= new Map();
      let next = node.children.get(c);
      if (!next) {
        next = { value: undefined, children: undefined };
        node.children.set(c, next);
      }
      node = next;
    }
    if (node.value === undefined) this.count++;
    node.value = value;
  }

  /** Every entry whose key is a prefix of `input` (the empty key included), shortest first. */
  prefixesOf(input: string): PrefixMatch<T>[] {
    const found: PrefixMatch<T>[] = [];
    let node: TrieNode<T> | undefined = this.root;
    for (let i = 0; node; i++) {
      if (node.value !== undefined) found.push({ length: i, value: node.value });
      if (i === input.length) break;
      node = node.children?.get(input[i] as string);
    }
    return found;
  }

  /** The entry with the longest key that is a prefix of `input`. */
  longestPrefixOf(input: string): PrefixMatch<T> | undefined {
    let best: PrefixMatch<T> | undefined;
    let node: TrieNode<T> | undefined = this.root;
    for (let i = 0; node; i++) {
      if (node.value !== undefined) best = { length: i, value: node.value };
      if (i === input.length) break;
      node = node.children?.get(input[i] as string);
    }
    return best;
  }

  /** Every key with its value, depth first, children in insertion order. */
  *entries(): IterableIterator<[string, T]> {
    const stack: [string, TrieNode<T>][] = [['', this.root]];
    while (stack.length > 0) {
      const [key, node] = stack.pop() as [string, TrieNode<T>]; // the stack is not empty
      if (node.value !== undefined) yield [key, node.value];
      if (node.children) for (const [c, child] of [...node.children].reverse()) stack.push([key + c, child]);
    }
  }
}
