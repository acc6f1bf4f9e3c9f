/**
 * The geoip2 step through the routes file (book §6.4.4, TC-65), over a database the test writes
 * with the MaxMind DB fixture writer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTINUE, type PolicyStep } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { GeoIpDatabase } from './geoip-database.js';
import { GEOIP_KINDS } from './kinds.js';
import { cityRecord, writeMmdb } from './mmdb-writer.fixture.js';

const validators = createValidators();
const kinds = [...STEP_KINDS, ...GEOIP_KINDS];
const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-geoip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shenzhen = cityRecord({ cc: 'CN', country: 'China', regc: 'GD', regn: 'Guangdong', city: 'Shenzhen', lat: 22.5431, lon: 114.0579, tz: 'Asia/Shanghai' });
writeFileSync(
  path.join(dir, 'city.mmdb'),
  writeMmdb([
    { network: '1.2.3.0/24', data: cityRecord({ cc: 'CN', country: 'China', regc: 'BJ', regn: 'Beijing', city: 'Beijing', lat: 39.9042, lon: 116.4074, tz: 'Asia/Shanghai' }) },
    { network: '113.116.0.0/16', data: shenzhen },
    { network: '146.88.240.0/24', data: cityRecord({ cc: 'US', country: 'United States', regc: 'MI', regn: 'Michigan', city: 'Southfield', lat: 42.4734, lon: -83.2219, tz: 'America/Detroit' }) },
    { network: '81.2.69.0/24', data: cityRecord({ cc: 'GB', country: 'United Kingdom', regc: 'ENG', regn: 'England', city: 'London', lat: 51.5142, lon: -0.0931, tz: 'Europe/London' }) },
    { network: '2001:db8::/32', data: cityRecord({ cc: 'DE', country: 'Germany' }) },
    // a record with only the registered country (as GeoLite2 has for some anycast ranges)
    { network: '198.51.100.0/24', data: { registered_country: { geoname_id: 1, iso_code: 'NL', names: { en: 'Netherlands' } } } },
  ]),
);

async function policy(steps: unknown[]): Promise<Policy> {
  const r = await compileRoutes({ policies: { p: { steps } } }, dir, validators, { kinds });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const p = r.policies.get('p');
  if (!p) throw new Error('no policy');
  return p;
}

async function loadErrors(steps: unknown[]): Promise<string[]> {
  const r = await compileRoutes({ policies: { p: { steps } } }, dir, validators, { kinds });
  return r.ok ? [] : r.errors;
}

const decide = async (p: Policy, spec: ParamsSpec): Promise<RouteAnswer> => p.decide(routeParams(spec));
const from = (ip: string): ParamsSpec => ({ source: { ip, port: 5060, transport: 'udp' } });
const routed = { rules: [{ routes: [{ dst_uri: 'sip:10.0.0.1' }] }] };

/** A step kind `spy` that records the variables the steps before it set, for each request. */
function varsSpy(): { kind: StepKind; seen: Record<string, string>[] } {
  const seen: Record<string, string>[] = [];
  const step: PolicyStep = {
    kind: 'spy',
    run(ctx) {
      seen.push(Object.fromEntries(ctx.vars));
      return CONTINUE;
    },
  };
  return { kind: { key: 'spy', schema: { type: 'object' }, build: () => ({ ok: true, step }) }, seen };
}

async function spiedPolicy(steps: unknown[]): Promise<{ p: Policy; seen: Record<string, string>[] }> {
  const spy = varsSpy();
  const r = await compileRoutes({ policies: { p: { steps } } }, dir, validators, { kinds: [...kinds, spy.kind] });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const p = r.policies.get('p');
  if (!p) throw new Error('no policy');
  return { p, seen: spy.seen };
}

describe('geoip2 step', () => {
  it('lets only China through, as the book policy does (TC-65)', async () => {
    const p = await policy([{ geoip2: { path: 'city.mmdb', allow_countries: ['CN'] } }, routed]);
    expect((await decide(p, from('113.116.53.141'))).routes).toEqual([{ dst_uri: 'sip:10.0.0.1' }]);
    expect((await decide(p, from('1.2.3.4'))).routes).toHaveLength(1);
    expect((await decide(p, from('146.88.240.4'))).reply).toEqual({ code: 403, reason: 'Forbidden' });
    expect((await decide(p, from('81.2.69.160'))).reply?.code).toBe(403);
  });

  it('refuses listed countries with the configured reply', async () => {
    const p = await policy([{ geoip2: { path: 'city.mmdb', deny_countries: ['gb', 'US'], on_refused: { reply: { code: 488, reason: 'Not Here' } } } }, routed]);
    expect((await decide(p, from('81.2.69.160'))).reply).toEqual({ code: 488, reason: 'Not Here' });
    expect((await decide(p, from('146.88.240.4'))).reply?.code).toBe(488);
    expect((await decide(p, from('113.116.53.141'))).routes).toHaveLength(1);
  });

  it('leaves the classification in variables for the steps after it (TC-65 fields)', async () => {
    const { p, seen } = await spiedPolicy([{ geoip2: { path: 'city.mmdb' } }, { spy: {} }, routed]);
    expect((await decide(p, from('113.116.53.141'))).routes).toHaveLength(1);
    expect(seen[0]).toEqual({
      'geoip2.cc': 'CN',
      'geoip2.country': 'China',
      'geoip2.regc': 'GD',
      'geoip2.regn': 'Guangdong',
      'geoip2.city': 'Shenzhen',
      'geoip2.lat': '22.5431',
      'geoip2.lon': '114.0579',
      'geoip2.tz': 'Asia/Shanghai',
    });
    // without allow/deny lists every request goes on, classified or not
    expect((await decide(p, from('146.88.240.4'))).routes).toHaveLength(1);
    expect(seen[1]?.['geoip2.city']).toBe('Southfield');
    expect((await decide(p, from('10.1.2.3'))).routes).toHaveLength(1);
    expect(seen[2]).toEqual({});
    // a record with a registered country only: cc from it, no city fields
    await decide(p, from('198.51.100.7'));
    expect(seen[3]).toEqual({ 'geoip2.cc': 'NL', 'geoip2.country': 'Netherlands' });
  });

  it('clears what an earlier lookup set, so fields never mix two addresses', async () => {
    const { p, seen } = await spiedPolicy([{ geoip2: { path: 'city.mmdb' } }, { geoip2: { path: 'city.mmdb', address: 'ruri_host' } }, { spy: {} }, routed]);
    await decide(p, { ...from('1.2.3.4'), ruri: 'sip:9196@[2001:db8::10]' });
    expect(seen[0]).toEqual({ 'geoip2.cc': 'DE', 'geoip2.country': 'Germany' });
  });

  it('treats unknown addresses as on_unknown says', async () => {
    const open = await policy([{ geoip2: { path: 'city.mmdb', allow_countries: ['CN'] } }, routed]);
    expect((await decide(open, from('192.168.1.20'))).routes).toHaveLength(1);
    const closed = await policy([{ geoip2: { path: 'city.mmdb', allow_countries: ['CN'], on_unknown: 'reply' } }, routed]);
    expect((await decide(closed, from('192.168.1.20'))).reply).toEqual({ code: 403, reason: 'Forbidden' });
    expect((await decide(closed, from('1.2.3.4'))).routes).toHaveLength(1);
    const custom = await policy([{ geoip2: { path: 'city.mmdb', deny_countries: ['US'], on_unknown: { reply: { code: 404, reason: 'Unknown Origin' } } } }, routed]);
    expect((await decide(custom, from('203.0.113.9'))).reply).toEqual({ code: 404, reason: 'Unknown Origin' });
  });

  it('looks IPv6 sources up, and IPv4-mapped ones as IPv4', async () => {
    const p = await policy([{ geoip2: { path: 'city.mmdb', allow_countries: ['DE', 'CN'] } }, routed]);
    expect((await decide(p, from('2001:db8:85a3::8a2e:370:7334'))).routes).toHaveLength(1);
    expect((await decide(p, from('::ffff:1.2.3.4'))).routes).toHaveLength(1);
    expect((await decide(p, from('::ffff:81.2.69.160'))).reply?.code).toBe(403);
  });

  it('looks the From or Request-URI host up when asked, only when it is an IP literal', async () => {
    const byFrom = await policy([{ geoip2: { path: 'city.mmdb', address: 'from_host', deny_countries: ['GB'], on_unknown: 'reply' } }, routed]);
    expect((await decide(byFrom, { from: 'sip:alice@81.2.69.1' })).reply?.code).toBe(403);
    expect((await decide(byFrom, { from: 'sip:alice@1.2.3.9' })).routes).toHaveLength(1);
    expect((await decide(byFrom, { from: 'sip:alice@example.com' })).reply?.code).toBe(403);
    const byRuri = await policy([{ geoip2: { path: 'city.mmdb', address: 'ruri_host', allow_countries: ['DE'] } }, routed]);
    expect((await decide(byRuri, { ruri: 'sip:9196@[2001:db8::1]:5060' })).routes).toHaveLength(1);
    expect((await decide(byRuri, { ruri: 'sip:9196@81.2.69.1' })).reply?.code).toBe(403);
  });

  it('refuses a missing or broken database at load, naming the file', async () => {
    expect(await loadErrors([{ geoip2: { path: 'missing.mmdb' } }])).toEqual([expect.stringMatching(/p step 1.*missing\.mmdb.*ENOENT/) as unknown]);
    writeFileSync(path.join(dir, 'garbage.mmdb'), 'this is not a MaxMind database\n'.repeat(20));
    expect(await loadErrors([{ geoip2: { path: 'garbage.mmdb' } }])).toEqual([expect.stringMatching(/garbage\.mmdb: not a MaxMind DB file \(no metadata marker\)/) as unknown]);
    writeFileSync(path.join(dir, 'packed.mmdb'), gzipSync(writeMmdb([])));
    expect(await loadErrors([{ geoip2: { path: 'packed.mmdb' } }])).toEqual([expect.stringMatching(/packed\.mmdb: .*gzip/) as unknown]);
    // valid metadata, but the search tree cut short
    const whole = writeMmdb([{ network: '1.2.3.0/24', data: 'x' }, { network: '2001:db8::/32', data: 'y' }]);
    const marker = whole.indexOf(Buffer.from('MaxMind.com'));
    writeFileSync(path.join(dir, 'truncated.mmdb'), Buffer.concat([whole.subarray(0, 30), whole.subarray(marker - 3)]));
    expect(await loadErrors([{ geoip2: { path: 'truncated.mmdb' } }])).toEqual([expect.stringMatching(/truncated\.mmdb: not a MaxMind DB file \(a search tree of \d+ nodes does not fit/) as unknown]);
  });

  it('rejects settings the schema does not allow', async () => {
    expect(await loadErrors([{ geoip2: { path: 'city.mmdb', allow_countries: ['CN'], deny_countries: ['US'] } }])).toEqual(['p step 1 (geoip2): allow_countries and deny_countries exclude each other; use one']);
    expect(await loadErrors([{ geoip2: { path: 'city.mmdb', allow_countries: ['CHN'] } }])).not.toEqual([]);
    expect(await loadErrors([{ geoip2: { allow_countries: ['CN'] } }])).not.toEqual([]);
  });
});

describe('GeoIpDatabase', () => {
  it('answers nothing for an IPv6 address in an IPv4 database', () => {
    const opened = GeoIpDatabase.fromBuffer(writeMmdb([{ network: '32.1.0.0/16', data: shenzhen }], { ipVersion: 4 }), 'v4.mmdb');
    if (!opened.ok) throw new Error(opened.error);
    expect(opened.db.lookup('32.1.13.184')?.city).toBe('Shenzhen');
    // 2001:0db8:: starts with the bits of 32.1.13.184; the reader alone would answer Shenzhen
    expect(opened.db.lookup('2001:db8::1')).toBeUndefined();
    expect(opened.db.lookup('[::ffff:32.1.0.1]')?.cc).toBe('CN');
    expect(opened.db.lookup('not-an-ip')).toBeUndefined();
  });
});
