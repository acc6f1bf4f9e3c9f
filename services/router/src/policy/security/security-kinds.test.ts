/**
 * The permissions and blocklist steps through the routes file (book TC-13, TC-64, TC-126).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';
import { PrefixSet } from './security-kinds.js';

const validators = createValidators();
const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function policy(steps: unknown[], extra: Record<string, unknown> = {}): Promise<Policy> {
  const r = await compileRoutes({ ...extra, policies: { p: { steps } } }, dir, validators);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const p = r.policies.get('p');
  if (!p) throw new Error('no policy');
  return p;
}

const decide = async (p: Policy, spec: ParamsSpec): Promise<RouteAnswer> => p.decide(routeParams(spec));
const from = (ip: string, port = 5060): ParamsSpec => ({ source: { ip, port, transport: 'udp' } });

describe('permissions step', () => {
  writeFileSync(path.join(dir, 'address.list'), '1 127.0.0.1 32 0 tag1\n2 192.168.1.0 24 0 tag2\n');
  const routeByGroup = { rules: [{ routes: [{ dst_uri: 'sip:10.0.0.1' }] }] };

  it('refuses unknown sources and lets known ones through (TC-64)', async () => {
    const p = await policy([{ permissions: { address_file: 'address.list', on_no_match: { reply: { code: 403, reason: 'Forbidden' } } } }, routeByGroup]);
    expect((await decide(p, from('203.0.113.5'))).reply).toEqual({ code: 403, reason: 'Forbidden' });
    expect((await decide(p, from('192.168.1.20'))).routes).toEqual([{ dst_uri: 'sip:10.0.0.1' }]);
  });

  it('answers for one group only when asked (allow_source_address(1), TC-13)', async () => {
    const trusted = await policy([{ permissions: { address_file: 'address.list', group: 1, on_match: { reply: { code: 299, reason: 'x' } } } }, routeByGroup]).catch((e: Error) => e);
    expect(trusted).toBeInstanceOf(Error); // 299 is not a final failure code the schema accepts
    const p = await policy([{ permissions: { source: { rows: [{ grp: 1, ip_addr: '10.1.0.0', mask: 16, port: 0, tag: 'pbx' }] }, group: 1, on_no_match: { reply: { code: 407, reason: 'Proxy Authentication Required' } } } }, routeByGroup]);
    expect((await decide(p, from('10.1.2.3'))).routes).toHaveLength(1);
    expect((await decide(p, from('10.2.0.1'))).reply?.code).toBe(407);
  });

  it('names a bad address line in the load errors', async () => {
    writeFileSync(path.join(dir, 'bad.list'), '1 not-an-ip\n');
    const r = await compileRoutes({ policies: { p: { steps: [{ permissions: { address_file: 'bad.list' } }] } } }, dir, validators);
    expect(r.ok ? [] : r.errors).toEqual([expect.stringContaining('address file line 1') as unknown]);
  });
});

describe('blocklist step (TC-126)', () => {
  const next = { rules: [{ reply: { code: 404, reason: 'Not Found' } }] };

  it('answers 503 Destination Blocked for numbers starting with a blocked prefix', async () => {
    const p = await policy([{ blocklist: { source: { rows: [{ tprefix: '1234', tvalue: 'bad number' }] } } }, next]);
    const status = async (user: string): Promise<number | undefined> => (await decide(p, { ruri: `sip:${user}@example.com` })).reply?.code;
    expect(await status('1234')).toBe(503);
    expect(await status('12345678')).toBe(503);
    expect(await status('5678')).toBe(404);
    expect(await status('123')).toBe(404);
    // the book's caveat: + is walked as a character, so +1234 is not the 1234 entry
    expect(await status('+1234')).toBe(404);
    expect((await decide(p, { ruri: 'sip:1234@example.com' })).reply).toEqual({ code: 503, reason: 'Destination Blocked' });
  });

  it('reads a CSV file and refuses prefixes outside the character set', async () => {
    writeFileSync(path.join(dir, 'pblock.csv'), 'tprefix,tvalue\n900,premium\n+44,uk\n');
    const r = await compileRoutes({ policies: { p: { steps: [{ blocklist: { source: { file: 'pblock.csv' } } }] } } }, dir, validators);
    expect(r.ok ? [] : r.errors).toEqual([expect.stringContaining('prefix "+44" has characters outside char_list') as unknown]);
    const p = await policy([{ blocklist: { source: { file: 'pblock.csv' }, char_list: '+0123456789' } }, next]);
    expect((await decide(p, { ruri: 'sip:+447700900123@example.com' })).reply?.code).toBe(503);
    expect((await decide(p, { ruri: 'sip:9001@example.com' })).reply?.code).toBe(503);
  });

  it('finds the longest prefix over the character set', () => {
    const s = new PrefixSet('0123456789');
    s.add('9', 'nine');
    s.add('9196', 'exact');
    expect(s.longest('91961')).toBe('exact');
    expect(s.longest('919')).toBe('nine');
    expect(s.longest('8')).toBeUndefined();
    expect(s.add('12a', 'x')).toBe(false);
  });
});

describe('rules matching the source network (ip_is_in_subnet, TC-63)', () => {
  it('matches source_ip written as a network', async () => {
    const p = await policy([{ rules: [{ match: { source_ip: '10.10.0.1/24' }, reply: { code: 403, reason: 'From the media servers' } }, { routes: [{ dst_uri: 'sip:10.0.0.1' }] }] }]);
    expect((await decide(p, from('10.10.0.77'))).reply?.code).toBe(403);
    expect((await decide(p, from('10.10.1.77'))).routes).toHaveLength(1);
  });
});
