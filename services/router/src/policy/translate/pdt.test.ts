/** Prefix-domain translation (spec §8.9, TC-99): the book's rows first, then Kamailio's tree rules. */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { PdtTable, type PdtOptions, type PdtTranslateOptions } from './pdt.js';

const BOOK_ROWS: Row[] = [
  { sdomain: 'sip.xswitch.cn', prefix: '123', domain: 'rts.xswitch.cn' },
  { sdomain: 'sip.xswitch.cn', prefix: '124', domain: 'rts.xswitch.cn' },
];

function load(rows: Row[], options: PdtOptions = { checkDomain: false }): PdtTable {
  const r = PdtTable.fromRows(rows, 'table pdt', options);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.pdt;
}

describe('pdt: the book (TC-99, prefix "0", check_domain 0)', () => {
  const pdt = load(BOOK_ROWS);
  const book = (user: string, over: Partial<PdtTranslateOptions> = {}): string | undefined => {
    const t = pdt.translate(user, { sdomain: 'sip.xswitch.cn', prefix: '0', ...over });
    return t && `sip:${t.user}@${t.domain}`;
  };

  it('pd_translate($fd, 0): sip:01239001@sip.xswitch.cn -> sip:9001@rts.xswitch.cn', () => {
    expect(book('01239001')).toBe('sip:9001@rts.xswitch.cn');
    expect(pdt.translate('01239001', { sdomain: 'sip.xswitch.cn', prefix: '0' })?.prefix).toBe('123');
  });

  it('mode 1 strips only the prefix parameter, mode 2 keeps the user', () => {
    expect(book('01239001', { mode: 'strip_prefix_param' })).toBe('sip:1239001@rts.xswitch.cn');
    expect(book('01239001', { mode: 'keep' })).toBe('sip:01239001@rts.xswitch.cn');
    // the results the book prints for modes 1 and 2 belong to this input
    expect(book('012391001')).toBe('sip:91001@rts.xswitch.cn');
    expect(book('012391001', { mode: 'strip_prefix_param' })).toBe('sip:12391001@rts.xswitch.cn');
    expect(book('012391001', { mode: 'keep' })).toBe('sip:012391001@rts.xswitch.cn');
  });

  it('translates nothing without the leading 0, or for another source domain', () => {
    expect(book('1239001')).toBeUndefined();
    expect(book('01239001', { sdomain: 'other.cn' })).toBeUndefined();
    expect(book('0')).toBeUndefined(); // not longer than the prefix parameter
    expect(book('')).toBeUndefined();
  });

  it('refuses the two rows with check_domain on (two prefixes, one domain)', () => {
    const r = PdtTable.fromRows(BOOK_ROWS, 'table pdt');
    expect(r.ok ? [] : r.errors).toEqual([expect.stringContaining('table pdt row 2: domain rts.xswitch.cn of sdomain sip.xswitch.cn is already in row 1')]);
  });
});

describe('pdt: Kamailio tree rules', () => {
  const pdt = load([
    { sdomain: 'a.example', prefix: '1', domain: 'one.example' },
    { sdomain: 'a.example', prefix: '12', domain: 'twelve.example:5080;transport=tcp' },
    { sdomain: '*', prefix: '9', domain: 'any.example' },
    { sdomain: 'B.Example', prefix: '5', domain: 'b.example' },
  ]);

  it('takes the longest prefix', () => {
    expect(pdt.lookup('a.example', '1299')).toEqual({ prefix: '12', domain: 'twelve.example:5080;transport=tcp' });
    expect(pdt.lookup('a.example', '1399')).toEqual({ prefix: '1', domain: 'one.example' });
  });

  it('fails on a character outside char_list met while walking, not after the tree ends', () => {
    expect(pdt.lookup('a.example', '1x')).toBeUndefined(); // the tree goes on after 1
    expect(pdt.lookup('a.example', '12x')).toEqual({ prefix: '12', domain: 'twelve.example:5080;transport=tcp' });
    expect(pdt.lookup('a.example', '+12')).toBeUndefined();
  });

  it('tries * only with fallback, and compares source domains case-insensitively', () => {
    expect(pdt.translate('900', { sdomain: 'a.example' })).toBeUndefined();
    expect(pdt.translate('900', { sdomain: 'a.example', fallback: true })).toEqual({ user: '00', domain: 'any.example', prefix: '9' });
    expect(pdt.translate('900', { sdomain: '*' })?.domain).toBe('any.example');
    expect(pdt.translate('51', { sdomain: 'b.EXAMPLE' })?.domain).toBe('b.example');
  });

  it('strips nothing in mode strip_prefix_param when there is no prefix parameter', () => {
    expect(pdt.translate('123', { sdomain: 'a.example', mode: 'strip_prefix_param' })?.user).toBe('123');
    expect(pdt.translate('123', { sdomain: 'a.example' })?.user).toBe('3');
  });

  it('matches the prefix parameter case-insensitively', () => {
    expect(pdt.translate('x123', { sdomain: 'a.example', prefix: 'X' })?.user).toBe('3');
  });
});

describe('pdt: loading', () => {
  it('names rows with a duplicate prefix, a bad character, an empty value or a prefix too long', () => {
    const r = PdtTable.fromRows(
      [
        { sdomain: 'a', prefix: '12', domain: 'x' },
        { sdomain: 'A', prefix: '12', domain: 'y' },
        { sdomain: 'a', prefix: '+1', domain: 'z' },
        { sdomain: 'a', prefix: '3', domain: '' },
        { sdomain: 'a', prefix: '4'.repeat(32), domain: 'w' },
        { sdomain: 'a', prefix: '5' },
      ],
      'pdt.csv',
    );
    expect(r.ok ? [] : r.errors).toEqual([
      'pdt.csv row 2: prefix "12" of sdomain a is already in row 1',
      'pdt.csv row 3: prefix "+1" has characters outside char_list "0123456789"',
      'pdt.csv row 4: sdomain, prefix and domain must not be empty',
      `pdt.csv row 5: prefix "${'4'.repeat(32)}" is longer than 31 characters`,
      'pdt.csv row 6: column domain is missing',
    ]);
  });

  it('accepts other prefix characters with char_list', () => {
    const pdt = load([{ sdomain: '*', prefix: '+49', domain: 'de.example' }], { charList: '+0123456789' });
    expect(pdt.translate('+4930', { sdomain: '*' })).toEqual({ user: '30', domain: 'de.example', prefix: '+49' });
  });
});
