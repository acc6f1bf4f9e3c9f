/** speeddial lookups (spec §8.6, TC-96): the book's owner 1001 first. */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { SpeedDialTable } from './speed-dial.js';

function load(rows: Row[]): SpeedDialTable {
  const r = SpeedDialTable.fromRows(rows, 'table speed_dial');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.speedDial;
}

const BOOK_ROWS: Row[] = [
  { username: '1001', domain: 'sip.xswitch.cn', sd_username: '10', sd_domain: 'sip.xswitch.cn', new_uri: 'sip:666010@192.168.1.100' },
  { username: '1001', domain: 'sip.xswitch.cn', sd_username: '11', sd_domain: 'sip.xswitch.cn', new_uri: 'sip:888011@192.168.1.100' },
];

describe('speeddial', () => {
  const sd = load(BOOK_ROWS);
  const dialled = (user: string, host = 'sip.xswitch.cn'): { user: string; host: string } => ({ user, host });

  it("gives owner 1001's 10 and 11 (the book)", () => {
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled('10'))).toBe('sip:666010@192.168.1.100');
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled('11'))).toBe('sip:888011@192.168.1.100');
  });

  it('gives nothing to another owner, for an unknown short number, or without users', () => {
    expect(sd.lookup({ user: '1002', host: 'sip.xswitch.cn' }, dialled('10'))).toBeUndefined();
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled('12'))).toBeUndefined();
    expect(sd.lookup({ user: '', host: 'sip.xswitch.cn' }, dialled('10'))).toBeUndefined();
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled(''))).toBeUndefined();
  });

  it('ignores domains by default (use_domain 0), matches the owner domain (1) and both (2)', () => {
    expect(sd.lookup({ user: '1001', host: 'any' }, dialled('10', 'other'))).toBe('sip:666010@192.168.1.100');
    expect(sd.lookup({ user: '1001', host: 'any' }, dialled('10'), { useDomain: 'owner' })).toBeUndefined();
    expect(sd.lookup({ user: '1001', host: 'SIP.xswitch.cn' }, dialled('10', 'other'), { useDomain: 'owner' })).toBe('sip:666010@192.168.1.100');
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled('10', 'other'), { useDomain: 'both' })).toBeUndefined();
    expect(sd.lookup({ user: '1001', host: 'sip.xswitch.cn' }, dialled('10'), { useDomain: 'both' })).toBe('sip:666010@192.168.1.100');
  });

  it('takes domain_prefix off both domains', () => {
    const opts = { useDomain: 'both', domainPrefix: 'tel.' } as const;
    expect(sd.lookup({ user: '1001', host: 'tel.sip.xswitch.cn' }, dialled('10', 'tel.sip.xswitch.cn'), opts)).toBe('sip:666010@192.168.1.100');
  });

  it('puts sip: before a new_uri without a scheme, keeps sips: and tel:', () => {
    const t = load([
      { username: 'a', sd_username: '1', new_uri: '666010@192.168.1.100' },
      { username: 'a', sd_username: '2', new_uri: 'sips:bob@example.com' },
      { username: 'a', sd_username: '3', new_uri: 'tel:+4930123' },
    ]);
    expect(t.lookup({ user: 'a', host: 'h' }, dialled('1'))).toBe('sip:666010@192.168.1.100');
    expect(t.lookup({ user: 'a', host: 'h' }, dialled('2'))).toBe('sips:bob@example.com');
    expect(t.lookup({ user: 'a', host: 'h' }, dialled('3'))).toBe('tel:+4930123');
  });

  it('names rows with an empty new_uri or no sd_username', () => {
    const r = SpeedDialTable.fromRows([{ username: 'a', sd_username: '1', new_uri: '' }, { username: 'a', new_uri: 'sip:x@y' }], 'speed_dial.csv');
    expect(r.ok ? [] : r.errors).toEqual(['speed_dial.csv row 1: new_uri "" is not a URI with a host', 'speed_dial.csv row 2: column sd_username is missing']);
  });
});
