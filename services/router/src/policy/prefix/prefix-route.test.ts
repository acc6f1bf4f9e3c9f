/** Kamailio's prefix_route table (book §8.4, TC-92). */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { PrefixRouteTable } from './prefix-route.js';

const NAMES = new Set(['BJ', 'GZ', 'SH', 'YT']);
const BOOK: Row[] = [
  { prefix: '010', route: 'BJ', comment: 'BeiJing' },
  { prefix: '020', route: 'GZ', comment: 'GuangZhou' },
  { prefix: '021', route: 'SH', comment: 'ShangHai' },
  { prefix: '0535', route: 'YT', comment: 'YanTai' },
];

function table(rows: Row[]): PrefixRouteTable {
  const built = PrefixRouteTable.fromRows(rows, NAMES);
  if (!built.ok) throw new Error(built.errors.join('\n'));
  return built.table;
}

describe('prefix_route table', () => {
  const book = table(BOOK);

  it("routes the book's numbers by their longest prefix", () => {
    expect(book.match('0101234567')).toEqual({ route: 'BJ', prefix: '010' });
    expect(book.match('0205551234')?.route).toBe('GZ');
    expect(book.match('0215551234')?.route).toBe('SH');
    expect(book.match('05356661234')?.route).toBe('YT');
    expect(book.match('0755123456')).toBeUndefined();
    expect(book.match('')).toBeUndefined();
  });

  it('skips characters that are not digits, in users and prefixes', () => {
    expect(book.match('+0101234')?.route).toBe('BJ');
    expect(book.match('alice')).toBeUndefined();
    expect(table([{ prefix: '+86-10', route: 'BJ' }]).match('008610')).toBeUndefined();
    expect(table([{ prefix: '+86-10', route: 'BJ' }]).match('861088')?.route).toBe('BJ');
  });

  it('matches a user equal to a prefix (Kamailio does not: its quirk is not kept)', () => {
    expect(book.match('010')?.route).toBe('BJ');
  });

  it('lets an empty prefix route every number no longer prefix takes', () => {
    const t = table([...BOOK, { prefix: '', route: 'SH' }]);
    expect(t.match('0755123456')).toEqual({ route: 'SH', prefix: '' });
    expect(t.match('0101')?.route).toBe('BJ');
  });

  it('refuses route names the step does not define, and one prefix routed two ways', () => {
    const built = PrefixRouteTable.fromRows([...BOOK, { prefix: '0571', route: 'HZ' }, { prefix: '010', route: 'GZ' }, { prefix: '010', route: 'BJ' }], NAMES, 'table prefix_route');
    expect(built.ok ? [] : built.errors).toEqual([
      'table prefix_route row 5: route HZ is not defined (known: BJ, GZ, SH, YT)',
      'table prefix_route row 6: prefix 010 is already routed to BJ',
    ]);
  });
});
