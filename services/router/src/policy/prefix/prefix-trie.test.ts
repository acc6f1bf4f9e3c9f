import { describe, expect, it } from 'vitest';
import { PrefixTrie } from './prefix-trie.js';

describe('prefix trie', () => {
  const trie = new PrefixTrie<string>();
  trie.set('9', 'a');
  trie.set('9196', 'b');
  trie.set('', 'root');
  trie.set('91', 'c');
  trie.set('91', 'c2');

  it('finds every key that prefixes the input, shortest first, the empty key included', () => {
    expect(trie.prefixesOf('91967')).toEqual([
      { length: 0, value: 'root' },
      { length: 1, value: 'a' },
      { length: 2, value: 'c2' },
      { length: 4, value: 'b' },
    ]);
    expect(trie.prefixesOf('8')).toEqual([{ length: 0, value: 'root' }]);
    expect(trie.prefixesOf('')).toEqual([{ length: 0, value: 'root' }]);
  });

  it('finds the longest such key, and exact keys only with get', () => {
    expect(trie.longestPrefixOf('919')).toEqual({ length: 2, value: 'c2' });
    expect(trie.longestPrefixOf('9196')).toEqual({ length: 4, value: 'b' });
    expect(new PrefixTrie<string>().longestPrefixOf('9')).toBeUndefined();
    expect(trie.get('919')).toBeUndefined();
    expect(trie.get('91')).toBe('c2');
  });

  it('counts keys once when a value is replaced, and lists every entry', () => {
    expect(trie.size).toBe(4);
    expect(new Map(trie.entries())).toEqual(new Map([['', 'root'], ['9', 'a'], ['91', 'c2'], ['9196', 'b']]));
  });
});
