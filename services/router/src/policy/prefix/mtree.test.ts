/** Kamailio's mtree matching (book §8.1, TC-83 and TC-85), and a tree of 100,000 prefixes. */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { seededRandom } from '../dispatcher/random-source.js';
import { MTree, mtMatchModeOf, type MTreeOptions } from './mtree.js';

function tree(rows: Row[], options: MTreeOptions = { name: 'mytree' }): MTree {
  const built = MTree.fromRows(rows, options);
  if (!built.ok) throw new Error(built.errors.join('\n'));
  return built.tree;
}

// The book's rows, in table mtrees (tname, tprefix, tvalue).
const book = tree([
  { tname: 'mytree', tprefix: '9', tvalue: 'sip:1.2.3.4:5060' },
  { tname: 'mytree', tprefix: '9196', tvalue: 'sip:5.6.7.8:5060' },
  { tname: 'other', tprefix: '8', tvalue: 'sip:other' },
]);

describe('mtree', () => {
  it("answers the book's mtree.match examples with the walked prefix and the longest value (TC-83)", () => {
    expect(book.match('9')).toEqual({ walked: '9', values: ['sip:1.2.3.4:5060'] });
    expect(book.match('91')).toEqual({ walked: '91', values: ['sip:1.2.3.4:5060'] });
    expect(book.match('9196')).toEqual({ walked: '9196', values: ['sip:5.6.7.8:5060'] });
    expect(book.match('919')).toEqual({ walked: '919', values: ['sip:1.2.3.4:5060'] });
    expect(book.match('91967')).toEqual({ walked: '9196', values: ['sip:5.6.7.8:5060'] });
    expect(book.match('9123')?.values).toEqual(['sip:1.2.3.4:5060']);
    // tname other is another tree of the same table
    expect(book.match('8')).toBeUndefined();
    expect(book.match('8000')).toBeUndefined();
    expect(book.match('')).toBeUndefined();
  });

  it('gives every value on the path, longest first, in mode all (TC-85)', () => {
    expect(book.match('9196', 'all')?.values).toEqual(['sip:5.6.7.8:5060', 'sip:1.2.3.4:5060']);
    expect(book.match('9196', mtMatchModeOf(2))?.values).toHaveLength(2);
    expect(book.match('9196', mtMatchModeOf(0))?.values).toEqual(['sip:5.6.7.8:5060']);
  });

  it('fails on a character outside char_list met while walking, even after a shorter match (TC-85)', () => {
    expect(book.match('+9196')).toBeUndefined();
    // "91" has deeper prefixes, so the walk reaches the "a" and fails although "9" matched
    expect(book.match('91a6')).toBeUndefined();
    expect(book.match('91a6', 'all')).toBeUndefined();
    // under "9196" there is nothing deeper: the walk stops before the "a"
    expect(book.match('9196a')?.values).toEqual(['sip:5.6.7.8:5060']);
    const plus = tree([{ tprefix: '+49', tvalue: 'X' }], { name: 'intl', charList: '0123456789*+' });
    expect(plus.match('+4930123')).toEqual({ walked: '+49', values: ['X'] });
    // with "+" in the alphabet, "+1234" walks "+" and does not meet prefix "1234" (book §10.2.2)
    const pblock = tree([{ tprefix: '1234', tvalue: 'bad number' }], { name: 'pblock', charList: '+0123456789' });
    expect(pblock.match('+1234567')).toBeUndefined();
    expect(pblock.match('1234567')?.values).toEqual(['bad number']);
  });

  it('takes every row as its own when the rows have no tname column (table mtree)', () => {
    const t = tree([{ id: 1, tprefix: '9', tvalue: '300' }], { name: 'didmap' });
    expect(t.match('95')?.values).toEqual(['300']);
    expect([...t.entries()]).toEqual([['9', '300']]);
  });

  it('refuses rows Kamailio refuses: characters outside char_list, duplicates, empty or too long prefixes', () => {
    const built = MTree.fromRows(
      [
        { tprefix: '9', tvalue: 'a' },
        { tprefix: '9', tvalue: 'b' },
        { tprefix: '+9', tvalue: 'c' },
        { tprefix: '', tvalue: 'd' },
        { tprefix: '1'.repeat(64), tvalue: 'e' },
        { tvalue: 'f' },
      ],
      { name: 't' },
      'table mtree',
    );
    expect(built.ok ? [] : built.errors).toEqual([
      'table mtree row 2: tprefix 9 is already in tree t (value a)',
      'table mtree row 3: tprefix +9 has "+", which is not in char_list "0123456789"',
      'table mtree row 4: tprefix is empty',
      `table mtree row 5: tprefix ${'1'.repeat(64)} is longer than 63 characters`,
      'table mtree row 6: column tprefix is missing',
    ]);
  });

  it('matches in a tree of 100,000 prefixes as a scan of all of them would', () => {
    const random = seededRandom(83);
    const values = new Map<string, string>();
    while (values.size < 100_000) {
      const length = 3 + Math.floor(random() * 8);
      let prefix = '';
      for (let i = 0; i < length; i++) prefix += String(Math.floor(random() * 10));
      values.set(prefix, `sip:gw${values.size}.example.com`);
    }
    const big = tree([...values].map(([tprefix, tvalue]) => ({ tprefix, tvalue })), { name: 'big' });
    expect(big.size).toBe(100_000);
    const prefixes = [...values.keys()];
    let matched = 0;
    for (let n = 0; n < 500; n++) {
      const base = prefixes[Math.floor(random() * prefixes.length)] as string;
      const key = base + String(Math.floor(random() * 1e6));
      const expected: string[] = [];
      for (let l = key.length; l > 0; l--) {
        const v = values.get(key.slice(0, l));
        if (v !== undefined) expected.push(v);
      }
      expect(big.match(key, 'all')?.values).toEqual(expected);
      expect(big.match(key)?.values).toEqual(expected.slice(0, 1));
      if (expected.length > 1) matched++;
    }
    // the sample also reached keys with more than one matching prefix
    expect(matched).toBeGreaterThan(0);
  });
});
