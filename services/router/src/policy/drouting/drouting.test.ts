/**
 * Dynamic routing over the book's tables (TC-93) and Kamailio's selection rules (TC-94): groups,
 * longest prefix, priority, time windows, gwlists and `#` lists, strip and pri_prefix, failover
 * order, and what a load skips or refuses.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { seededRandom } from '../dispatcher/random-source.js';
import { BOOK_DR_GATEWAYS, BOOK_DR_RULES } from './drouting-book.fixture.js';
import { DrTable, type DrEnvironment, type DrLookup, type DrRequest, type DrRows, type DrTableOptions } from './drouting.js';

/** 2024-06-03 10:00:00 local, a Monday. */
const MONDAY_10 = Date.UTC(2024, 5, 3, 10) / 1000;
const BOOK: DrRows = { gateways: BOOK_DR_GATEWAYS, rules: BOOK_DR_RULES };

function table(rows: Partial<DrRows> = {}, options: DrTableOptions = { defaultGroup: 0 }): DrTable {
  const built = DrTable.build({ ...BOOK, ...rows }, options);
  if (!built.ok) throw new Error(built.errors.join('\n'));
  return built.table;
}

function lookup(t: DrTable, user: string, request: Partial<DrRequest> = {}, env: Partial<DrEnvironment> = {}): DrLookup {
  return t.lookup(
    { user, requestUri: `sip:${user}@proxy.example.com`, callerUser: 'alice', callerHost: 'example.com', ...request },
    { random: seededRandom(1), wallNow: () => MONDAY_10, ...env },
  );
}

/** The route URIs in failover order, or why there are none. */
function uris(l: DrLookup): string[] | string {
  return l.ok ? l.routes.map((r) => r.uri) : l.reason;
}

function rule(ruleid: number, prefix: string, gwlist: string, more: Row = {}): Row {
  return { ruleid, groupid: '0', prefix, timerec: '', priority: 0, routeid: '0', gwlist, description: '', ...more };
}

describe('drouting', () => {
  const book = table();

  it("routes the book's numbers to the IVR and the fax server, and nothing else (TC-93)", () => {
    expect(uris(lookup(book, '1234999'))).toEqual(['sip:1234999@192.168.1.100:5080']);
    expect(uris(lookup(book, '5678001'))).toEqual(['sip:5678001@192.168.1.101:5080']);
    expect(uris(lookup(book, '9999'))).toBe('no_rule');
    expect(lookup(book, '1234999')).toMatchObject({ ok: true, group: 0, rule: { id: 1, routeId: '', description: 'route to ivr' } });
  });

  it('serves only the groups a rule lists (TC-93)', () => {
    expect(uris(lookup(table({}, { defaultGroup: 1 }), '1234999'))).toBe('no_rule');
    const rules = [rule(1, '1234', '1', { groupid: '0,1' }), rule(2, '1234', '3', { groupid: '2|3' })];
    expect(uris(lookup(table({ rules }, { defaultGroup: 1 }), '1234999'))).toEqual(['sip:1234999@192.168.1.100:5080']);
    expect(uris(lookup(table({ rules }, { defaultGroup: 3 }), '1234999'))).toEqual(['sip:1234999@192.168.1.102:5080']);
  });

  it('takes the longest prefix, and the higher priority among its rules, ties by rule id (TC-94)', () => {
    const rules = [rule(1, '1234', '1', { priority: 5 }), rule(2, '1234', '3', { priority: 10 }), rule(3, '12345', '2'), rule(4, '12', '1', { priority: 99 }), rule(5, '1234', '2', { priority: 10 })];
    const t = table({ rules });
    expect(lookup(t, '1234999')).toMatchObject({ rule: { id: 2 } });
    expect(lookup(t, '1234599')).toMatchObject({ rule: { id: 3 } });
    expect(lookup(t, '1299')).toMatchObject({ rule: { id: 4 } });
    expect(uris(lookup(t, '1399'))).toBe('no_rule');
  });

  it('falls back to a shorter prefix, then to the rules without prefix, when timerecs rule the longer out (TC-94)', () => {
    const rules = [
      rule(1, '12345', '2', { timerec: '20240101T110000|1H|daily' }),
      rule(2, '1234', '1', { timerec: '20240101T000000|P1D|weekly|||SA,SU' }),
      rule(3, '', '3'),
      rule(4, '', '2', { priority: 1, timerec: '20240101T000000|PT9H|daily' }),
    ];
    const t = table({ rules });
    expect(lookup(t, '1234599')).toMatchObject({ rule: { id: 3 } });
    expect(lookup(t, '1234599', {}, { wallNow: () => MONDAY_10 + 3600 + 1800 })).toMatchObject({ rule: { id: 1 } });
    // Saturday 2024-06-08 10:00: the weekend rule of 1234
    expect(lookup(t, '1234599', {}, { wallNow: () => MONDAY_10 + 5 * 86_400 })).toMatchObject({ rule: { id: 2 } });
    // Monday 08:00: the higher-priority rule without prefix is in its window
    expect(lookup(t, '999', {}, { wallNow: () => MONDAY_10 - 7200 })).toMatchObject({ rule: { id: 4 } });
  });

  it('reads the clock once per lookup, and only for a rule with a timerec', () => {
    let reads = 0;
    const wallNow = (): number => {
      reads++;
      return MONDAY_10;
    };
    lookup(book, '1234999', {}, { wallNow });
    expect(reads).toBe(0);
    const timed = table({ rules: [rule(1, '12345', '2', { timerec: '20240101T110000|1H|daily' }), rule(2, '1234', '1', { timerec: '20240101T000000|P1D|weekly|||SA,SU' }), rule(3, '', '3', { timerec: '20240101T000000' })] });
    lookup(timed, '1234599', {}, { wallNow });
    expect(reads).toBe(1);
  });

  it('walks only prefix characters: another one on the way fails the prefix search, after the deepest prefix it is not looked at', () => {
    const rules = [rule(1, '12', '1'), rule(2, '1234', '2'), rule(3, '', '3'), rule(4, '+49*#', '1')];
    const t = table({ rules });
    expect(lookup(t, '12a4')).toMatchObject({ rule: { id: 3 } });
    expect(lookup(t, '1234abc')).toMatchObject({ rule: { id: 2 } });
    expect(lookup(t, '12')).toMatchObject({ rule: { id: 1 } });
    expect(lookup(t, '+49*#1')).toMatchObject({ rule: { id: 4 } });
    expect(lookup(t, 'alice')).toMatchObject({ rule: { id: 3 } });
  });

  it('lists every gateway of the gwlist in order, the failover order of use_next_gw (TC-94)', () => {
    const t = table({ rules: [rule(1, '1234', '1,2;3')] });
    expect(uris(lookup(t, '1234999'))).toEqual(['sip:1234999@192.168.1.100:5080', 'sip:1234999@192.168.1.101:5080', 'sip:1234999@192.168.1.102:5080']);
  });

  it('expands #<id> from dr_gw_lists (TC-94)', () => {
    const gwLists = [
      { id: 5, gwlist: '3,1', description: 'conference first' },
      { id: 6, gwlist: '2;3' },
    ];
    const t = table({ rules: [rule(1, '1234', '#5'), rule(2, '5678', ' #6 ')], gwLists });
    expect(uris(lookup(t, '1234999'))).toEqual(['sip:1234999@192.168.1.102:5080', 'sip:1234999@192.168.1.100:5080']);
    expect(lookup(t, '5678')).toMatchObject({ rule: { gwlist: ' #6 ', gateways: [{ gateway: { id: 2 }, group: 0 }, { gateway: { id: 3 }, group: 1 }] } });
  });

  it('orders gateways as sort_order says', () => {
    const rows = { rules: [rule(1, '1234', '1,2;3')] };
    const firsts = new Set<string>();
    const t = table(rows, { defaultGroup: 0, sortOrder: 'one_per_group' });
    const random = seededRandom(3);
    for (let i = 0; i < 50; i++) {
      const got = uris(lookup(t, '1234999', {}, { random }));
      expect(got).toHaveLength(2);
      expect(got[1]).toBe('sip:1234999@192.168.1.102:5080');
      firsts.add(String(got[0]));
    }
    expect(firsts).toEqual(new Set(['sip:1234999@192.168.1.100:5080', 'sip:1234999@192.168.1.101:5080']));
  });

  it('keeps the first 32 gateways of a list, as Kamailio does', () => {
    const gateways = Array.from({ length: 40 }, (_, i) => ({ gwid: i + 1, address: `10.0.0.${i + 1}` }));
    const t = table({ gateways, rules: [rule(1, '1', gateways.map((g) => g.gwid).join(','))] });
    const got = uris(lookup(t, '1000'));
    expect(got).toHaveLength(32);
    expect(got[31]).toBe('sip:1000@10.0.0.32');
  });

  it("strips and prefixes the user per gateway, and fails the lookup when strip leaves no user (TC-94)", () => {
    const gateways = [...BOOK_DR_GATEWAYS, { gwid: 4, address: '10.0.0.4', strip: 2, pri_prefix: '00' }, { gwid: 5, address: '10.0.0.5', strip: 7, pri_prefix: null }];
    const t = table({ gateways, rules: [rule(1, '1234', '4,1'), rule(2, '5678', '1,5')] });
    expect(uris(lookup(t, '1234999'))).toEqual(['sip:0034999@10.0.0.4', 'sip:1234999@192.168.1.100:5080']);
    expect(uris(lookup(t, '56781234'))).toEqual(['sip:56781234@192.168.1.100:5080', 'sip:4@10.0.0.5']);
    // Kamailio's do_routing fails as a whole, even though the first gateway would do
    expect(uris(lookup(t, '5678123'))).toBe('user_too_short');
    expect(lookup(t, '5678123')).toMatchObject({ ok: false, group: 0, rule: { id: 2 } });
  });

  it("keeps the request URI's scheme, password, parameters and headers, and takes the address's scheme", () => {
    const gateways = [...BOOK_DR_GATEWAYS, { gwid: 4, address: 'sip:gw.example.net:5070;transport=tcp' }, { gwid: 5, address: 'SIPS:[2001:db8::5]' }];
    const t = table({ gateways, rules: [rule(1, '1234', '1,4,5')] });
    const requestUri = 'sips:1234999:secret@proxy.example.com:5071;user=phone?Subject=hi';
    expect(uris(lookup(t, '1234999', { requestUri }))).toEqual([
      'sips:1234999:secret@192.168.1.100:5080;user=phone?Subject=hi',
      'sip:1234999:secret@gw.example.net:5070;transport=tcp;user=phone?Subject=hi',
      'sips:1234999:secret@[2001:db8::5];user=phone?Subject=hi',
    ]);
  });

  it("finds the caller's group in dr_groups by user and domain, else uses the default group", () => {
    const groups = [
      { username: 'alice', domain: 'example.com', groupid: 1 },
      { username: 'bob', domain: 'Example.COM', groupid: 2 },
      { username: 'alice', domain: 'example.com', groupid: 3 },
    ];
    const rules = [rule(1, '1234', '1', { groupid: '1' }), rule(2, '1234', '2', { groupid: '2' }), rule(3, '1234', '3', { groupid: '0' })];
    const byDomain = table({ rules, groups }, {});
    expect(lookup(byDomain, '1234999')).toMatchObject({ group: 1, rule: { id: 1 } });
    expect(lookup(byDomain, '1234999', { callerUser: 'bob', callerHost: 'EXAMPLE.com' })).toMatchObject({ group: 2, rule: { id: 2 } });
    expect(uris(lookup(byDomain, '1234999', { callerHost: 'other.example' }))).toBe('no_group');
    expect(byDomain.skipped).toEqual(['dr_groups row 3: caller alice@example.com skipped: already in group 1']);
    const anyDomain = table({ rules, groups }, { useDomain: false, defaultGroup: 0 });
    expect(lookup(anyDomain, '1234999', { callerHost: 'other.example' })).toMatchObject({ group: 1 });
    expect(lookup(anyDomain, '1234999', { callerUser: 'carol' })).toMatchObject({ group: 0, rule: { id: 3 } });
  });

  it('skips what Kamailio skips, naming the row and the reason, and routes with the rest', () => {
    const built = DrTable.build(
      {
        gateways: [...BOOK_DR_GATEWAYS, { gwid: 4, address: 'not a host' }, { gwid: 5, address: 'gw.example.net:99999' }],
        rules: [
          ...BOOK_DR_RULES,
          rule(3, '1', '1', { timerec: '20220101T-114900|00H05M|daily' }),
          rule(4, '2', '4'),
          rule(5, '3', '#7'),
          rule(6, '4', '#5,1'),
          rule(7, '5x', '1'),
          rule(8, '6', '1', { groupid: 'a' }),
          rule(9, '7', '1,,2'),
        ],
        gwLists: [{ id: 5, gwlist: '1' }],
      },
      { defaultGroup: 0 },
    );
    if (!built.ok) throw new Error(built.errors.join('\n'));
    expect(built.table.skipped).toEqual([
      'dr_gateways row 4: gateway 4 skipped: address <not a host> is not host[:port][;params]',
      'dr_gateways row 5: gateway 5 skipped: address <gw.example.net:99999> is not host[:port][;params]',
      'dr_rules row 3: rule 3 skipped: bad time definition <20220101T-114900|00H05M|daily>: dtstart 20220101T-114900 is not YYYYMMDDThhmmss',
      'dr_rules row 4: rule 4 skipped: gateway 4 of gwlist <4> is not loaded',
      'dr_rules row 5: rule 5 skipped: invalid reference to a gateway list <#7>',
      'dr_rules row 6: rule 6 skipped: invalid reference to a gateway list <#5,1>',
      'dr_rules row 7: rule 7 skipped: prefix 5x has "x"; prefixes hold only 0-9, *, # and +',
      'dr_rules row 8: rule 8 skipped: bad group list <a>: groups are ids separated by , or |',
      'dr_rules row 9: rule 9 skipped: gwlist <1,,2>: "" is not a gateway id',
    ]);
    expect(built.table.rules.map((r) => r.id)).toEqual([1, 2]);
    expect(uris(lookup(built.table, '1234999'))).toEqual(['sip:1234999@192.168.1.100:5080']);
  });

  it('refuses the load on a missing or mistyped value, naming the row', () => {
    const built = DrTable.build(
      {
        gateways: [...BOOK_DR_GATEWAYS, { gwid: 1, address: '10.0.0.9' }, { address: '10.0.0.8' }, { gwid: 7, address: '10.0.0.7', strip: -1 }],
        rules: [...BOOK_DR_RULES, rule(1, '9', '1'), rule(3, '9', '1', { priority: 'high' }), { ruleid: 4, groupid: '0', prefix: '9' }],
        gwLists: [{ id: 1 }],
        groups: [{ username: 'alice', groupid: 'x' }],
      },
      {},
    );
    expect(built.ok ? [] : built.errors).toEqual([
      'dr_gateways row 4: gateway id 1 is given twice',
      'dr_gateways row 5: column gwid is missing',
      'dr_gateways row 6: strip -1 is negative',
      'dr_gw_lists row 1: column gwlist is missing',
      'dr_groups row 1: column groupid is not an integer (x)',
      'dr_rules row 3: rule id 1 is given twice',
      'dr_rules row 4: column priority is not an integer (high)',
      'dr_rules row 5: column gwlist is missing',
    ]);
  });
});
