import { describe, expect, it } from 'vitest';
import { AddressGroups } from './address-groups.js';

const BOOK_FILE = `# groupid address [netmask] [port] [tag]
1 127.0.0.1 32 0 tag1
1 10.0.0.10
2 192.168.1.0 24 0 tag2
2 192.168.2.0 24 0 tag3
3 [1:5ee::900d:c0de]
4 10.20.0.0 16 5080 fs
`;

function groups(): AddressGroups {
  const r = AddressGroups.fromFile(BOOK_FILE);
  if (!r.ok) throw new Error(r.errors.join());
  return r.groups;
}

describe('permissions address groups (TC-64)', () => {
  it("classifies the book's sources by group and tag", () => {
    const g = groups();
    expect(g.groupOf('127.0.0.1', 5060)).toEqual({ group: 1, tag: 'tag1' });
    expect(g.groupOf('10.0.0.10', 40000)).toEqual({ group: 1, tag: undefined });
    expect(g.groupOf('192.168.1.77', 5060)).toEqual({ group: 2, tag: 'tag2' });
    expect(g.groupOf('192.168.2.1', 5060)).toEqual({ group: 2, tag: 'tag3' });
    expect(g.groupOf('1:5ee::900d:c0de', 5060)).toEqual({ group: 3, tag: undefined });
    expect(g.groupOf('203.0.113.9', 5060)).toBeUndefined();
  });

  it('matches the port only when the entry names one, and one group when asked', () => {
    const g = groups();
    expect(g.groupOf('10.20.3.4', 5080)).toEqual({ group: 4, tag: 'fs' });
    expect(g.groupOf('10.20.3.4', 5060)).toBeUndefined();
    expect(g.groupOf('127.0.0.1', 5060, 2)).toBeUndefined();
    expect(g.groupOf('192.168.1.5', 5060, 2)).toEqual({ group: 2, tag: 'tag2' });
  });

  it('reads the address table the same way, and names bad rows and lines', () => {
    const r = AddressGroups.fromRows([{ grp: 1, ip_addr: '10.1.0.0', mask: 16, port: 0, tag: 'pbx' }, { grp: '2', ip_addr: '2001:db8::', mask: '32', port: '0', tag: null }]);
    expect(r.ok && r.groups.groupOf('10.1.2.3', 1)).toEqual({ group: 1, tag: 'pbx' });
    expect(r.ok && r.groups.groupOf('2001:db8::7', 1)).toEqual({ group: 2, tag: undefined });
    const bad = AddressGroups.fromRows([{ grp: 1, ip_addr: 'gw.example.com', mask: 32 }]);
    expect(bad.ok ? [] : bad.errors).toEqual(['address row 1: "gw.example.com/32" is not an IP address with a valid netmask']);
    const badFile = AddressGroups.fromFile('1 10.0.0.1 40\nx 10.0.0.2\n');
    expect(badFile.ok ? [] : badFile.errors).toHaveLength(2);
  });
});
