/**
 * Least-cost routing over the book's tables (TC-89, TC-90) and Kamailio's selection rules:
 * stopper, enabled, instances, patterns, mt_tvalue, defunct gateways, weights, 100,000 rules.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { seededRandom, type RandomSource } from '../dispatcher/random-source.js';
import { LcrTable, type LcrChoice, type LcrRequest, type LcrRows, type LcrTableOptions } from './lcr.js';
import { BOOK_GATEWAYS, BOOK_RULES, BOOK_TARGETS } from './lcr-book.fixture.js';
import { MTree } from './mtree.js';

const NOW = 1_700_000_000;
const BOOK: LcrRows = { gateways: BOOK_GATEWAYS, rules: BOOK_RULES, targets: BOOK_TARGETS };

function table(rows: Partial<LcrRows> = {}, options: Partial<LcrTableOptions> = {}): LcrTable {
  const built = LcrTable.build({ ...BOOK, ...rows }, { lcrId: 1, ...options });
  if (!built.ok) throw new Error(built.errors.join('\n'));
  return built.table;
}

function lookup(t: LcrTable, user: string, request: Partial<LcrRequest> = {}, random: RandomSource = seededRandom(1), nowSec = NOW): LcrChoice[] {
  return t.lookup({ user, callerUri: 'sip:alice@example.com', requestUri: `sip:${user}@example.com`, ...request }, { random, nowSec });
}

/** The choices as `gw<id>/rule <id>`, the order the edge tries them in. */
const order = (choices: LcrChoice[]): string[] => choices.map((c) => `${c.gateway.name}/rule ${c.ruleId}`);

describe('lcr', () => {
  const book = table();

  it("answers the book's dialled numbers with the gateway and URIs next_gw gives first (TC-89)", () => {
    const first = (user: string): [number, string, string | undefined] | undefined => {
      const c = lookup(book, user)[0];
      return c && [c.ruleId, c.ruri, c.dstUri];
    };
    expect(first('441000')).toEqual([1, 'sip:441000@10.1.1.101:5060', undefined]);
    expect(first('442000')).toEqual([2, 'sip:442000@gw.com', 'sip:10.1.1.102:5070']);
    expect(first('49800123')).toEqual([5, 'sip:49800123@10.1.1.101:5060', undefined]);
    expect(first('443500')).toEqual([3, 'sip:443500@gw.com', 'sip:10.1.1.102:5070']);
    expect(first('4917')).toEqual([6, 'sip:4917@10.1.1.101:5060', undefined]);
    expect(first('4970')).toEqual([4, 'sip:4970@gw.com', 'sip:10.1.1.102:5070']);
    expect(lookup(book, '45000')).toEqual([]);
  });

  it('lists every gateway in failover order: longer prefix first, then lower priority (TC-90)', () => {
    expect(order(lookup(book, '442000'))).toEqual(['gw2/rule 2', 'gw1/rule 1']);
    expect(order(lookup(book, '49800123'))).toEqual(['gw1/rule 5', 'gw3/rule 5', 'gw2/rule 4']);
    expect(lookup(book, '49800123')[1]?.ruri).toBe('sip:49800123@10.1.1.103:5060');
    expect(order(lookup(book, '441000'))).toEqual(['gw1/rule 1']);
  });

  it('stops at a matching stopper rule, whose own targets count (TC-90)', () => {
    const rules = BOOK_RULES.map((r) => (r['id'] === 2 ? { ...r, stopper: 1 } : r));
    expect(order(lookup(table({ rules }), '442000'))).toEqual(['gw2/rule 2']);
    // the stopper only stops when it matches
    expect(order(lookup(table({ rules }), '441000'))).toEqual(['gw1/rule 1']);
  });

  it('does not load disabled rules (TC-90)', () => {
    const rules = BOOK_RULES.map((r) => (r['id'] === 5 ? { ...r, enabled: 0 } : r));
    expect(order(lookup(table({ rules }), '49800123'))).toEqual(['gw2/rule 4']);
  });

  it('keeps a gateway reached through several rules once, at its best place', () => {
    const targets = [...BOOK_TARGETS, { lcr_id: 1, rule_id: 1, gw_id: 2, priority: 0, weight: 1 }];
    expect(order(lookup(table({ targets }), '442000'))).toEqual(['gw2/rule 2', 'gw1/rule 1']);
    expect(order(lookup(table({ targets }), '441000'))).toEqual(['gw2/rule 1', 'gw1/rule 1']);
  });

  it('orders by priority before prefix length with priority_ordering', () => {
    const targets = BOOK_TARGETS.map((t) => (t['rule_id'] === 1 ? { ...t, priority: 5 } : t));
    expect(order(lookup(table({ targets }), '442000'))).toEqual(['gw2/rule 2', 'gw1/rule 1']);
    expect(order(lookup(table({ targets }, { priorityOrdering: true }), '442000'))).toEqual(['gw1/rule 1', 'gw2/rule 2']);
  });

  it('uses only its own instance, and gateways of instance 0 in every instance', () => {
    const gateways = [...BOOK_GATEWAYS, { id: 9, lcr_id: 0, gw_name: 'shared', ip_addr: '10.1.1.109' }, { id: 8, lcr_id: 2, gw_name: 'two', ip_addr: '10.1.1.108' }];
    const rules = [...BOOK_RULES, { id: 7, lcr_id: 2, prefix: '44', stopper: 0, enabled: 1 }];
    const targets = [
      ...BOOK_TARGETS,
      { lcr_id: 1, rule_id: 1, gw_id: 9, priority: 20, weight: 1 },
      { lcr_id: 1, rule_id: 1, gw_id: 8, priority: 20, weight: 1 },
      { lcr_id: 2, rule_id: 7, gw_id: 8, priority: 1, weight: 1 },
      { lcr_id: 2, rule_id: 7, gw_id: 9, priority: 2, weight: 1 },
    ];
    expect(order(lookup(table({ gateways, rules, targets }), '441000'))).toEqual(['gw1/rule 1', 'shared/rule 1']);
    expect(order(lookup(table({ gateways, rules, targets }, { lcrId: 2 }), '441000'))).toEqual(['two/rule 7', 'shared/rule 7']);
  });

  it('matches from_uri against the caller URI and request_uri against the whole Request-URI', () => {
    const rules = [
      ...BOOK_RULES,
      { id: 7, lcr_id: 1, prefix: '4420', from_uri: '^sip:alice@', stopper: 0, enabled: 1 },
      { id: 8, lcr_id: 1, prefix: '4420', from_uri: '^sip:bob@', request_uri: ';user=phone', stopper: 0, enabled: 1 },
    ];
    const targets = [...BOOK_TARGETS, { lcr_id: 1, rule_id: 7, gw_id: 3, priority: 10, weight: 1 }, { lcr_id: 1, rule_id: 8, gw_id: 1, priority: 10, weight: 1 }];
    const t = table({ rules, targets });
    expect(order(lookup(t, '442000'))).toEqual(['gw3/rule 7', 'gw2/rule 2', 'gw1/rule 1']);
    expect(order(lookup(t, '442000', { callerUri: 'sip:bob@example.com' }))).toEqual(['gw2/rule 2', 'gw1/rule 1']);
    expect(order(lookup(t, '442000', { callerUri: 'sip:bob@example.com', requestUri: 'sip:442000@example.com;user=phone' }))).toEqual(['gw1/rule 8', 'gw2/rule 2']);
  });

  it("matches mt_tvalue among the caller tree's values for the caller's user", () => {
    const tree = MTree.fromRows([{ tname: 'lcr', tprefix: '1', tvalue: 'vip' }, { tname: 'lcr', tprefix: '10', tvalue: 'staff' }], { name: 'lcr' });
    if (!tree.ok) throw new Error(tree.errors.join());
    const rules = [...BOOK_RULES, { id: 7, lcr_id: 1, prefix: '4420', mt_tvalue: 'vip', stopper: 0, enabled: 1 }];
    const targets = [...BOOK_TARGETS, { lcr_id: 1, rule_id: 7, gw_id: 3, priority: 10, weight: 1 }];
    const t = table({ rules, targets }, { callerTree: tree.tree });
    expect(lookup(t, '442000', { callerUser: '1001' })[0]?.ruleId).toBe(7);
    expect(lookup(t, '442000', { callerUser: '2001' })[0]?.ruleId).toBe(2);
    expect(lookup(t, '442000')[0]?.ruleId).toBe(2);
    const noTree = LcrTable.build({ ...BOOK, rules, targets }, { lcrId: 1 });
    expect(noTree.ok ? [] : noTree.errors).toEqual(['lcr_rule row 7: mt_tvalue vip needs a caller tree (setting caller_tree)']);
  });

  it('skips a defunct gateway until its time has passed', () => {
    const gateways = BOOK_GATEWAYS.map((g) => (g['id'] === 1 ? { ...g, defunct: NOW + 60 } : g));
    const t = table({ gateways });
    expect(order(lookup(t, '49800123'))).toEqual(['gw3/rule 5', 'gw2/rule 4']);
    expect(order(lookup(t, '49800123', {}, seededRandom(1), NOW + 59))).toEqual(['gw3/rule 5', 'gw2/rule 4']);
    // defunct holds the first second the gateway is back
    expect(order(lookup(t, '49800123', {}, seededRandom(1), NOW + 60))).toEqual(['gw1/rule 5', 'gw3/rule 5', 'gw2/rule 4']);
  });

  it('puts equal-priority gateways first by weight x random: weights 1 and 2 give the lighter one 1/4, not 1/3', () => {
    const share = (w1: number, w2: number): number => {
      const targets: Row[] = [
        { lcr_id: 1, rule_id: 1, gw_id: 1, priority: 10, weight: w1 },
        { lcr_id: 1, rule_id: 1, gw_id: 3, priority: 10, weight: w2 },
      ];
      const t = table({ targets });
      const random = seededRandom(90);
      const runs = 20_000;
      let lightFirst = 0;
      for (let i = 0; i < runs; i++) if (lookup(t, '441000', {}, random)[0]?.gateway.id === 1) lightFirst++;
      return lightFirst / runs;
    };
    // P(w1·U1 > w2·U2) = w1 / (2·w2) for w1 <= w2. Over 20,000 runs one standard deviation is at
    // most 0.0036, so a tolerance of 0.015 is over 4 of them, and far from 1/3 (a fair weighting).
    expect(Math.abs(share(1, 2) - 0.25)).toBeLessThan(0.015);
    expect(Math.abs(share(1, 3) - 1 / 6)).toBeLessThan(0.015);
    expect(Math.abs(share(5, 5) - 0.5)).toBeLessThan(0.015);
  });

  it('refuses wrong rows with their place, and skips targets of rules or gateways it did not load', () => {
    const built = LcrTable.build(
      {
        gateways: [...BOOK_GATEWAYS, { id: 4, lcr_id: 1, ip_addr: '10.1.1.104', defunct: 4294967295 }],
        rules: [...BOOK_RULES, { id: 7, lcr_id: 1, prefix: '1', from_uri: '(', stopper: 0, enabled: 1 }, { id: 8, lcr_id: 1, prefix: '2', stopper: 2, enabled: 1 }],
        targets: [...BOOK_TARGETS, { lcr_id: 1, rule_id: 1, gw_id: 1, priority: 300, weight: 1 }, { lcr_id: 1, rule_id: 1, gw_id: 3, priority: 1, weight: 0 }],
      },
      { lcrId: 1 },
    );
    expect(built.ok ? [] : built.errors).toEqual([
      expect.stringMatching(/^lcr_rule row 7: from_uri \( does not compile: /) as unknown,
      'lcr_rule row 8: stopper 2 is neither 0 nor 1',
      'lcr_rule_target row 8: priority 300 is not 0-255',
      'lcr_rule_target row 9: weight 0 is not 1-254',
    ]);
    const skipped = table({
      gateways: [...BOOK_GATEWAYS, { id: 4, lcr_id: 1, ip_addr: '10.1.1.104', defunct: 4294967295 }],
      targets: [...BOOK_TARGETS, { lcr_id: 1, rule_id: 1, gw_id: 4, priority: 1, weight: 1 }, { lcr_id: 1, rule_id: 99, gw_id: 3, priority: 1, weight: 1 }],
    });
    expect(order(lookup(skipped, '441000'))).toEqual(['gw1/rule 1']);
  });

  it('finds the gateways of 100,000 rules as a scan of every rule would', () => {
    const random = seededRandom(89);
    const gateways = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, lcr_id: 1, gw_name: `gw${i + 1}`, ip_addr: `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 5060 }));
    const prefixes = new Set<string>();
    while (prefixes.size < 100_000) {
      const length = 2 + Math.floor(random() * 9);
      let p = '';
      for (let i = 0; i < length; i++) p += String(Math.floor(random() * 10));
      prefixes.add(p);
    }
    const rules = [...prefixes].map((prefix, i) => ({ id: i + 1, lcr_id: 1, prefix, stopper: 0, enabled: 1 }));
    const targets = rules.map((r) => ({ lcr_id: 1, rule_id: r.id, gw_id: 1 + Math.floor(random() * 100), priority: Math.floor(random() * 256), weight: 1 }));
    const built = LcrTable.build({ gateways, rules, targets }, { lcrId: 1 });
    if (!built.ok) throw new Error(built.errors.slice(0, 3).join('\n'));
    expect(built.table.ruleCount).toBe(100_000);

    let multi = 0;
    for (let n = 0; n < 100; n++) {
      const rule = rules[Math.floor(random() * rules.length)] as (typeof rules)[number];
      const user = rule.prefix + String(Math.floor(random() * 1e5));
      // one target per rule, and one rule per prefix length: the order is by prefix length alone
      const expected: string[] = [];
      const seen = new Set<number>();
      for (const r of rules.filter((x) => user.startsWith(x.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)) {
        const gw = (targets[r.id - 1] as (typeof targets)[number]).gw_id;
        if (seen.has(gw)) continue;
        seen.add(gw);
        expected.push(`gw${gw}/rule ${r.id}`);
      }
      expect(order(lookup(built.table, user))).toEqual(expected);
      if (expected.length > 1) multi++;
    }
    expect(multi).toBeGreaterThan(0);
  });
});
