/**
 * cr_route over the book's tables (TC-98) and Kamailio's selection rules: the 50/50 split,
 * hash stickiness, blocklisting, strip and rewrites, flags/mask groups without fallback to a
 * shorter prefix, probability normalisation, failed hosts avoided, and the load checks.
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { seededRandom, type RandomSource } from '../dispatcher/random-source.js';
import { CarrierRouteTables, type CarrierRouteOptions, type CarrierRouteRows, type CrCarrier } from './carrier-tables.js';
import { BLOCKED_139, BOOK_CARRIERS, BOOK_DOMAINS, BOOK_ROUTES } from './carrierroute-book.fixture.js';
import { crNextDomain, crRoute, CR_NO_ROUTE, type CrRequest, type CrRouteResult } from './cr-route.js';

const BOOK: CarrierRouteRows = { routes: [...BOOK_ROUTES, BLOCKED_139], carriers: BOOK_CARRIERS, domains: BOOK_DOMAINS };

function tables(rows: Partial<CarrierRouteRows> = {}, options: CarrierRouteOptions = {}): CarrierRouteTables {
  const built = CarrierRouteTables.build({ ...BOOK, ...rows }, options);
  if (!built.ok) throw new Error(built.errors.join('\n'));
  return built.tables;
}

function errorsOf(rows: Partial<CarrierRouteRows>, options: CarrierRouteOptions = {}): string[] {
  const built = CarrierRouteTables.build({ ...BOOK, ...rows }, options);
  return built.ok ? [] : built.errors;
}

function carrierOf(t: CarrierRouteTables, ref: string | number = 'mobile'): CrCarrier {
  const c = t.carrier(ref);
  if (!c) throw new Error(`no carrier ${ref}`);
  return c;
}

const book = tables();
const mobile = carrierOf(book);

function route(user: string, req: Partial<CrRequest> = {}, c: CrCarrier = mobile, domain = 1, random: RandomSource = seededRandom(1)): CrRouteResult {
  return crRoute(c, domain, { prefixUser: user, rewriteUser: user, scheme: 'sip', hashKey: 'call-1', flags: 0, tried: [], ...req }, random);
}

const uriOf = (r: CrRouteResult): string => (r.kind === 'routed' ? r.uri : r.kind);

/** A route per call for `calls` calls, counted by host. */
function spread(calls: number, req: (i: number) => Partial<CrRequest>, random: RandomSource, rows: Row[] = BOOK_ROUTES): Map<string, number> {
  const c = carrierOf(tables({ routes: rows }));
  const counts = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const r = route('13712345678', req(i), c, 1, random);
    const host = r.kind === 'routed' ? r.rule.host : r.kind;
    counts.set(host, (counts.get(host) ?? 0) + 1);
  }
  return counts;
}

describe('cr_route over the book tables (TC-98)', () => {
  it("routes the book's numbers: 137 to .120 or .121, others to .122, unicom's own pair", () => {
    expect(['sip:13712345678@192.168.1.120:9999', 'sip:13712345678@192.168.1.121:9999']).toContain(uriOf(route('13712345678')));
    expect(uriOf(route('13812345678'))).toBe('sip:13812345678@192.168.1.122:9999');
    const unicom = carrierOf(book, 'unicom');
    expect(uriOf(route('13300000000', {}, unicom))).toBe('sip:13300000000@192.168.2.100:5060');
    expect(uriOf(route('15000000000', {}, unicom))).toBe('sip:15000000000@192.168.2.101:5060');
  });

  it('splits 137 50/50 over 10,000 calls, within 2 points (4 standard deviations), hashed or random', () => {
    const ids = seededRandom(42);
    const callIds = Array.from({ length: 10_000 }, () => `${Math.floor(ids() * 2 ** 48).toString(16)}@pc33.example.com`);
    for (const counts of [spread(10_000, (i) => ({ hashKey: callIds[i] }), seededRandom(1)), spread(10_000, () => ({ hashKey: undefined }), seededRandom(7))]) {
      expect([...counts.keys()].sort()).toEqual(['192.168.1.120:9999', '192.168.1.121:9999']);
      for (const n of counts.values()) expect(Math.abs(n - 5_000)).toBeLessThanOrEqual(200);
    }
  });

  it('keeps a Call-ID on one host, the one Kamailio picks: CRC-32 mod 1000, the later 137 row holding 0-499', () => {
    // CRC-32 of the RFC 3261 Call-ID is 1786046826 (826 mod 1000); of the other, 858891383 (383).
    const rfc = 'a84b4c76e66710@pc33.atlanta.com';
    const other = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com';
    for (let i = 0; i < 10; i++) {
      expect(uriOf(route('13712345678', { hashKey: rfc }, mobile, 1, seededRandom(i)))).toBe('sip:13712345678@192.168.1.120:9999');
      expect(uriOf(route('13712345678', { hashKey: other }, mobile, 1, seededRandom(i)))).toBe('sip:13712345678@192.168.1.121:9999');
    }
  });

  it('refuses a blocklisted prefix (empty rewrite_host) and finds nothing in a domain without rules', () => {
    const blocked = route('13912345678');
    expect(blocked).toMatchObject({ kind: 'blocked', prefix: '139', rule: { description: 'blocklisted' } });
    expect(route('13712345678', {}, mobile, 2)).toEqual({ kind: 'none', reason: CR_NO_ROUTE.noDomain });
    expect(book.domainId('postpaid')).toBe(2);
    expect(book.domainId('nosuch')).toBeUndefined();
  });

  it('skips leading non-digits in digit mode; ascii mode matches them', () => {
    expect(uriOf(route('+13812345678'))).toBe('sip:+13812345678@192.168.1.122:9999');
    expect(route('+13912345678').kind).toBe('blocked');
    const ascii = carrierOf(tables({ routes: [...BOOK_ROUTES, { ...BLOCKED_139, scan_prefix: '+139' }] }, { matchMode: 'ascii' }));
    expect(route('+13912345678', {}, ascii).kind).toBe('blocked');
    expect(uriOf(route('13912345678', {}, ascii))).toBe('sip:13912345678@192.168.1.122:9999');
  });
});

describe('rewriting the Request-URI', () => {
  const rewrite = (rule: Row, user: string, scheme: 'sip' | 'sips' = 'sip'): string => {
    const c = carrierOf(tables({ routes: [{ id: 1, carrier: 1, domain: 1, scan_prefix: '', prob: 1, rewrite_host: 'gw.example.net', ...rule }] }));
    return uriOf(route(user, { scheme }, c));
  };

  it('strips, then adds rewrite_prefix and rewrite_suffix to the user', () => {
    expect(rewrite({ strip: 3, rewrite_prefix: '0086' }, '13712345678')).toBe('sip:008612345678@gw.example.net');
    expect(rewrite({ rewrite_suffix: ';npdi' }, '4930')).toBe('sip:4930;npdi@gw.example.net');
    expect(rewrite({ strip: 10, rewrite_prefix: '00' }, '4930')).toBe('sip:00@gw.example.net');
  });

  it('keeps sips, takes port and parameters from rewrite_host, and drops the user part when there is no user', () => {
    expect(rewrite({ rewrite_host: 'gw.example.net:5061;transport=tls' }, '4930', 'sips')).toBe('sips:4930@gw.example.net:5061;transport=tls');
    expect(rewrite({ rewrite_prefix: '00' }, '')).toBe('sip:gw.example.net');
  });
});

describe('rule groups, probabilities and failed hosts', () => {
  const rule = (id: number, scan_prefix: string, rewrite_host: string, more: Row = {}): Row => ({ id, carrier: 1, domain: 1, scan_prefix, prob: 1, rewrite_host, ...more });

  it('takes the first (flags, mask) group the message flags match, largest mask first (TC-98)', () => {
    const c = carrierOf(tables({ routes: [rule(1, '137', 'any'), rule(2, '137', 'flagged', { flags: 16, mask: 16 })] }));
    expect(uriOf(route('1371', { flags: 16 }, c))).toBe('sip:1371@flagged');
    expect(uriOf(route('1371', { flags: 16 | 2 }, c))).toBe('sip:1371@flagged');
    expect(uriOf(route('1371', { flags: 2 }, c))).toBe('sip:1371@any');
  });

  it('never falls back to a shorter prefix when no group of the longest one matches', () => {
    const c = carrierOf(tables({ routes: [rule(1, '13', 'short'), rule(2, '137', 'flagged', { flags: 16, mask: 16 })] }));
    expect(route('1371', { flags: 0 }, c)).toEqual({ kind: 'none', reason: CR_NO_ROUTE.noFlags });
    expect(uriOf(route('1381', { flags: 0 }, c))).toBe('sip:1381@short');
    expect(route('2000', {}, c)).toEqual({ kind: 'none', reason: CR_NO_ROUTE.noPrefix });
  });

  it('normalises probabilities to their sum; prob 0 never wins; all prob 0 routes nowhere', () => {
    const counts = spread(10_000, () => ({ hashKey: undefined }), seededRandom(3), [rule(1, '137', 'a', { prob: 0.2 }), rule(2, '137', 'b', { prob: 0.6 }), rule(3, '137', 'off', { prob: 0 })]);
    expect(counts.get('off')).toBeUndefined();
    expect(Math.abs((counts.get('a') ?? 0) - 2_500)).toBeLessThanOrEqual(200);
    const zero = carrierOf(tables({ routes: [rule(1, '137', 'a', { prob: 0 })] }));
    expect(route('1371', {}, zero)).toEqual({ kind: 'none', reason: CR_NO_ROUTE.zeroProbability });
  });

  it('keeps prob 0 rules first, then the others in reverse load order, as Kamailio lists them', () => {
    const t = tables({ routes: [rule(1, '137', 'a', { prob: 0.5 }), rule(2, '137', 'off', { prob: 0 }), rule(3, '137', 'b', { prob: 0.5 })] });
    const group = t.dump()[0]?.domains[0]?.prefixes.find((p) => p.prefix === '137')?.groups[0];
    expect(group?.rules.map((r) => [r.host, r.diceTo])).toEqual([
      ['off', 0],
      ['b', 500],
      ['a', 1000],
    ]);
  });

  it('avoids hosts already tried: another of the group, at random, or none when all were tried', () => {
    const tried = ['192.168.1.120:9999'];
    const rfc = 'a84b4c76e66710@pc33.atlanta.com'; // hashes to .120
    expect(uriOf(route('13712345678', { hashKey: rfc, tried }))).toBe('sip:13712345678@192.168.1.121:9999');
    expect(route('13712345678', { tried: [...tried, '192.168.1.121:9999'] })).toEqual({ kind: 'none', reason: CR_NO_ROUTE.allTried });
  });
});

describe('carrierfailureroute', () => {
  const failure = (id: number, host_name: string, reply_code: string, next_domain: number | null, more: Row = {}): Row => ({ id, carrier: 1, domain: 1, scan_prefix: '', host_name, reply_code, flags: 0, mask: 0, next_domain, ...more });
  const next = (rows: Row[], host: string, status: number, flags = 0): number | undefined =>
    crNextDomain(carrierOf(tables({ failureRoutes: rows })), 1, '13712345678', host, status, flags)?.nextDomain;

  it('orders rules by host, then fewer wildcards, then larger mask; of equal ones the later row first', () => {
    const rows = [failure(1, '', '5..', 10), failure(2, '', '503', 11), failure(3, 'gw1', '...', 12), failure(4, '', '503', 13, { flags: 4, mask: 4 }), failure(5, '', '503', 14)];
    expect(next(rows, 'gw1', 503)).toBe(12);
    expect(next(rows, 'gw2', 503, 4)).toBe(13);
    expect(next(rows, 'gw2', 503)).toBe(14);
    expect(next(rows, 'gw2', 502)).toBe(10);
    expect(next(rows, 'gw2', 486)).toBeUndefined();
  });

  it('takes the longest failure prefix without falling back; a NULL next_domain ends failure routing', () => {
    const rows = [failure(1, '', '...', 2), failure(2, '', '408', null, { scan_prefix: '137' })];
    expect(next(rows, 'gw', 408)).toBeUndefined();
    expect(next(rows, 'gw', 503)).toBeUndefined();
    expect(crNextDomain(carrierOf(tables({ failureRoutes: rows })), 1, '13812345678', 'gw', 503, 0)?.nextDomain).toBe(2);
  });
});

describe('loading', () => {
  it('refuses rows naming unknown carriers or domains, bad prefixes and reply codes, with the row', () => {
    expect(errorsOf({ routes: [{ id: 7, carrier: 3, domain: 1, scan_prefix: '1', prob: 1, rewrite_host: 'h' }] })).toEqual(['carrierroute row 1: carrier 3 is not in carrier_name']);
    expect(errorsOf({ routes: [{ id: 7, carrier: 1, domain: 9, scan_prefix: '1', prob: 1, rewrite_host: 'h' }] })).toEqual(['carrierroute row 1: domain 9 is not in domain_name']);
    expect(errorsOf({ routes: [{ carrier: 1, domain: 1, scan_prefix: '+1', prob: 1, rewrite_host: 'h' }] })).toEqual(['carrierroute row 1: scan_prefix +1 has "+", which match mode digits cannot match']);
    expect(errorsOf({ routes: [{ carrier: 1, domain: 1, scan_prefix: '1', prob: -1, rewrite_host: 'h' }] })).toEqual(['carrierroute row 1: prob -1 is negative']);
    expect(errorsOf({ failureRoutes: [{ carrier: 1, domain: 1, host_name: '', reply_code: '5xx', next_domain: 2 }] })).toEqual([
      'carrierfailureroute row 1: reply_code "5xx" is not three digits or "." wildcards',
    ]);
    expect(errorsOf({ carriers: [...BOOK_CARRIERS, { id: 1, carrier: 'again' }] })).toEqual(['carrier_name row 3: id 1 is given twice']);
  });

  it('takes rows in id order whatever order the source gives them in', () => {
    const reversed = carrierOf(tables({ routes: [...BOOK_ROUTES].reverse() }));
    expect(uriOf(route('13712345678', { hashKey: 'a84b4c76e66710@pc33.atlanta.com' }, reversed))).toBe('sip:13712345678@192.168.1.120:9999');
  });

  it('finds carriers and domains by name or id', () => {
    expect(book.carrier('unicom')?.id).toBe(2);
    expect(book.carrier('2')?.name).toBe('unicom');
    expect(book.carrier(1)?.name).toBe('mobile');
    expect(book.carrier('nosuch')).toBeUndefined();
    expect(book.domainId('1')).toBe(1);
    expect(book.ruleCount).toBe(6);
  });
});
