/**
 * Failure routing as re-asks: the codes an answer asks again for, and the replay of the domain chain
 * from the branches the edge reports (Kamailio's documented failure_route with cr_next_domain).
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { CarrierRouteTables, type CrCarrier } from './carrier-tables.js';
import { codePatterns, failoverCodes, hostOfUri, replayFailures } from './failure-plan.js';
import { hashKeyOf, throwDice } from './hash-source.js';

/** Carrier 1: domain 1 routes to gw1 or gw2 (50/50), domain 2 to gw3, domain 3 to gw2 (shared) or gw4. */
const ROUTES: Row[] = [
  { id: 1, carrier: 1, domain: 1, scan_prefix: '49', prob: 0.5, rewrite_host: 'gw1' },
  { id: 2, carrier: 1, domain: 1, scan_prefix: '49', prob: 0.5, rewrite_host: 'gw2' },
  { id: 3, carrier: 1, domain: 2, scan_prefix: '', prob: 1, rewrite_host: 'gw3' },
  { id: 4, carrier: 1, domain: 3, scan_prefix: '', prob: 0.5, rewrite_host: 'gw2' },
  { id: 5, carrier: 1, domain: 3, scan_prefix: '', prob: 0.5, rewrite_host: 'gw4' },
];
const FAILURES: Row[] = [
  { id: 1, carrier: 1, domain: 1, scan_prefix: '', host_name: '', reply_code: '5..', next_domain: 2 },
  { id: 2, carrier: 1, domain: 1, scan_prefix: '', host_name: 'gw1', reply_code: '408', next_domain: 3 },
  { id: 3, carrier: 1, domain: 1, scan_prefix: '', host_name: '', reply_code: '503', next_domain: 9 },
  { id: 4, carrier: 1, domain: 2, scan_prefix: '', host_name: '', reply_code: '...', next_domain: 3 },
];

function carrier(failures: Row[] = FAILURES): CrCarrier {
  const built = CarrierRouteTables.build({
    routes: ROUTES,
    carriers: [{ id: 1, carrier: 'c' }],
    domains: [1, 2, 3, 9].map((id) => ({ id, domain: `d${id}` })),
    failureRoutes: failures,
  });
  if (!built.ok) throw new Error(built.errors.join('\n'));
  const c = built.tables.carrier(1);
  if (!c) throw new Error('no carrier');
  return c;
}

const branch = (uri: string, status: number): { uri: string; status: number } => ({ uri, status });

describe('failover codes', () => {
  it('lists the codes whose failure rule leads to a domain of the carrier, for the host tried', () => {
    const c = carrier();
    const gw2 = failoverCodes(c, 1, '4930', 'gw2', 0);
    // 5.. leads to domain 2; 503 leads to domain 9, which has no rows for the carrier.
    expect(gw2).toEqual(Array.from({ length: 100 }, (_, i) => 500 + i).filter((code) => code !== 503));
    expect(failoverCodes(c, 1, '4930', 'gw1', 0)).toEqual([408, ...gw2]);
    expect(failoverCodes(c, 2, '4930', 'gw3', 0)).toHaveLength(400);
    expect(failoverCodes(c, 3, '4930', 'gw4', 0)).toEqual([]);
  });

  it('writes whole classes as Nxx and the rest one by one', () => {
    expect(codePatterns([408, ...Array.from({ length: 100 }, (_, i) => 500 + i)])).toEqual([408, '5xx']);
    expect(codePatterns([500, 501, 502])).toEqual([500, 501, 502]);
  });
});

describe('replaying the chain on a re-ask', () => {
  it('follows each failed host to its next domain, avoiding the hosts tried', () => {
    const c = carrier();
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw1', 408)])).toEqual({ kind: 'next', domain: 3, tried: ['gw1'] });
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw2', 500)])).toEqual({ kind: 'next', domain: 2, tried: ['gw2'] });
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw2', 500), branch('sip:4930@gw3', 480)])).toEqual({ kind: 'next', domain: 3, tried: ['gw2', 'gw3'] });
  });

  it('matches branches by host, whatever order the edge lists them in', () => {
    const c = carrier();
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw3', 480), branch('sip:4930@gw1', 500)])).toEqual({ kind: 'next', domain: 3, tried: ['gw1', 'gw3'] });
  });

  it('ends where no rule gives a next domain, and leaves failures of other steps alone', () => {
    const c = carrier();
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw2', 486)])).toEqual({ kind: 'end' });
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@gw2', 503)])).toEqual({ kind: 'end' });
    expect(replayFailures(c, 1, '4930', 0, [branch('sip:4930@elsewhere', 503)])).toEqual({ kind: 'not-ours' });
    expect(replayFailures(c, 1, '4930', 0, [])).toEqual({ kind: 'not-ours' });
  });

  it("reads the rewrite_host from a branch's Request-URI", () => {
    expect(hostOfUri('sip:4930@gw1:5080;transport=tcp')).toBe('gw1:5080;transport=tcp');
    expect(hostOfUri('sips:gw1')).toBe('gw1');
  });
});

describe('hash source', () => {
  const facts = { call_id: '  abc def', from: { uri: 'sip:alice@a.example', user: 'alice', host: 'a.example' }, to: { uri: 'sip:4930@b.example', host: 'b.example' } };

  it('hashes the first token of the Call-ID, the URIs or their users', () => {
    expect(hashKeyOf('call_id', facts)).toBe('abc');
    expect(hashKeyOf('from_uri', facts)).toBe('sip:alice@a.example');
    expect(hashKeyOf('from_user', facts)).toBe('alice');
    expect(hashKeyOf('to_uri', facts)).toBe('sip:4930@b.example');
    expect(hashKeyOf('to_user', facts)).toBe('');
    expect(hashKeyOf('rand', facts)).toBeUndefined();
  });

  it("throws Kamailio's CRC-32 dice: IEEE CRC-32 mod the number of faces", () => {
    // CRC-32 of "123456789" is the check value cbf43926.
    expect(throwDice('123456789', 1000, () => 0)).toBe(0xcbf43926 % 1000);
    expect(throwDice(undefined, 1000, () => 0.4999)).toBe(499);
  });
});
