/**
 * Subscription index for LocalBus: a token trie like the NATS server's sublist. A literal
 * token is a map lookup, `*` and `>` are one extra edge per level, so matching costs the
 * number of tokens in the subject rather than the number of subscriptions.
 */

export interface IndexedSubscription {
  readonly subject: string;
  readonly queue: string | undefined;
}

interface TrieNode<S> {
  literal: Map<string, TrieNode<S>> | undefined;
  star: TrieNode<S> | undefined;
  /** Subscriptions whose subject ends at this node. */
  subs: S[];
  /** Subscriptions whose subject ends with `>` after this node. */
  tail: S[];
}

function newNode<S>(): TrieNode<S> {
  return { literal: undefined, star: undefined, subs: [], tail: [] };
}

export class SubjectIndex<S extends IndexedSubscription> {
  private readonly root: TrieNode<S> = newNode();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** `sub.subject` must be a valid subscription subject. */
  add(sub: S): void {
    const tokens = sub.subject.split('.');
    let node = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      if (token === '>') {
        node.tail.push(sub);
        this.count++;
        return;
      }
      if (token === '*') {
        node.star ??= newNode();
        node = node.star;
        continue;
      }
      node.literal ??= new Map();
      let next = node.literal.get(token);
      if (next === undefined) {
        next = newNode();
        node.literal.set(token, next);
      }
      node = next;
    }
    node.subs.push(sub);
    this.count++;
  }

  /** Removes `sub`; returns false when it was not indexed. Empty branches are pruned. */
  remove(sub: S): boolean {
    const tokens = sub.subject.split('.');
    const removed = this.removeFrom(this.root, tokens, 0, sub);
    if (removed) this.count--;
    return removed;
  }

  /** Appends every subscription matching the literal `subject` to `out`. */
  match(subject: string, out: { push(item: S): unknown }): void {
    const tokens = subject.split('.');
    this.matchFrom(this.root, tokens, 0, out);
  }

  private matchFrom(node: TrieNode<S>, tokens: readonly string[], depth: number, out: { push(item: S): unknown }): void {
    // `a.>` needs at least one more token, which is why the tail is collected before descending.
    if (node.tail.length > 0 && depth < tokens.length) pushAll(out, node.tail);
    if (depth === tokens.length) {
      pushAll(out, node.subs);
      return;
    }
    const token = tokens[depth] as string;
    const next = node.literal?.get(token);
    if (next !== undefined) this.matchFrom(next, tokens, depth + 1, out);
    if (node.star !== undefined) this.matchFrom(node.star, tokens, depth + 1, out);
  }

  private removeFrom(node: TrieNode<S>, tokens: readonly string[], depth: number, sub: S): boolean {
    const token = tokens[depth];
    if (token === undefined) return removeItem(node.subs, sub);
    if (token === '>') return removeItem(node.tail, sub);
    const child = token === '*' ? node.star : node.literal?.get(token);
    if (child === undefined) return false;
    const removed = this.removeFrom(child, tokens, depth + 1, sub);
    if (removed && isEmpty(child)) {
      if (token === '*') node.star = undefined;
      else node.literal?.delete(token);
    }
    return removed;
  }
}

function pushAll<S>(out: { push(item: S): unknown }, items: readonly S[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i] as S);
}

function removeItem<S>(list: S[], item: S): boolean {
  const i = list.indexOf(item);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

function isEmpty<S>(node: TrieNode<S>): boolean {
  return node.subs.length === 0 && node.tail.length === 0 && node.star === undefined && (node.literal === undefined || node.literal.size === 0);
}
