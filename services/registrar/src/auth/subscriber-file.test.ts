import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialSource } from './file-credentials.js';
import { loadSubscriberFile, parseSubscriberCsv, SubscriberFileErrorCode, subscribersFromRecords } from './subscriber-file.js';

describe('subscriber CSV', () => {
  it('reads username,domain,password rows', () => {
    const r = parseSubscriberCsv('username,domain,password\n1001,example.com,secret1\r\n1002,example.com,secret2\n');
    expect(r).toEqual({
      ok: true,
      subscribers: [
        { username: '1001', domain: 'example.com', password: 'secret1' },
        { username: '1002', domain: 'example.com', password: 'secret2' },
      ],
    });
  });

  it('reads username,password rows into the default domain', () => {
    expect(parseSubscriberCsv('username,password\nalice,pw\n', { defaultDomain: 'example.com' })).toEqual({ ok: true, subscribers: [{ username: 'alice', domain: 'example.com', password: 'pw' }] });
    expect(parseSubscriberCsv('username,password\nalice,pw')).toEqual({ ok: true, subscribers: [{ username: 'alice', domain: '', password: 'pw' }] });
  });

  it('takes quoted fields, hash columns, comments and blank lines', () => {
    const r = parseSubscriberCsv('\uFEFF# subscribers\nUsername , domain,password,ha1\n\n"bob","example.com","p,""w""\nx",\ncarol,example.com,,AABB\n');
    expect(r).toEqual({
      ok: true,
      subscribers: [
        { username: 'bob', domain: 'example.com', password: 'p,"w"\nx' },
        { username: 'carol', domain: 'example.com', ha1: 'aabb' },
      ],
    });
  });

  it('says what is wrong', () => {
    const c = (text: string): string | undefined => {
      const r = parseSubscriberCsv(text);
      return r.ok ? undefined : `${r.error.code} ${r.error.reason}`;
    };
    expect(c('username,email\na,b')).toMatch(`${SubscriberFileErrorCode.syntax} line 1: unknown column "email"`);
    expect(c('domain,password\na,b')).toMatch(SubscriberFileErrorCode.syntax);
    expect(c('username,password\na,b,c')).toMatch(`${SubscriberFileErrorCode.badRow} line 2`);
    expect(c('username,password\na,')).toMatch(`${SubscriberFileErrorCode.badRow} line 2: a has no password`);
    expect(c('username,password\n,pw')).toMatch(SubscriberFileErrorCode.badRow);
    expect(c('username,password\na,"pw')).toMatch(SubscriberFileErrorCode.syntax);
    expect(c('username,domain,password\na,x.com,1\nb,x.com,2\na,X.COM,3')).toMatch(`${SubscriberFileErrorCode.duplicate} line 4`);
  });
});

describe('subscriber records (YAML / JSON)', () => {
  it('takes numbers as text and ha1_sha256 or ha1Sha256', () => {
    const r = subscribersFromRecords([
      { username: 1001, domain: 'example.com', password: 1234 },
      { username: 'x', ha1_sha256: 'AA' },
      { username: 'y', ha1Sha256: 'bb' },
    ]);
    expect(r).toEqual({
      ok: true,
      subscribers: [
        { username: '1001', domain: 'example.com', password: '1234' },
        { username: 'x', domain: '', ha1Sha256: 'aa' },
        { username: 'y', domain: '', ha1Sha256: 'bb' },
      ],
    });
  });

  it('refuses what is not a list of subscriber objects', () => {
    expect(subscribersFromRecords({ username: 'a' })).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.syntax } });
    expect(subscribersFromRecords(['a'])).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.badRow, reason: 'entry 1: not an object' } });
    expect(subscribersFromRecords([{ username: 'a', password: ['x'] }])).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.badRow, reason: 'entry 1: password is not text' } });
  });
});

describe('subscriber files and FileCredentialSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sipmesh-subscribers-'));
    await writeFile(join(dir, 'subs.csv'), 'username,domain,password\nalice,example.com,a1\nalice,other.org,a2\n');
    await writeFile(join(dir, 'subs.yaml'), '- username: 1001\n  domain: example.com\n  password: "1234"\n- { username: bob, domain: example.com, password: b }\n');
    await writeFile(join(dir, 'subs.json'), JSON.stringify([{ username: 'carol', domain: 'example.com', password: 'c' }]));
    await writeFile(join(dir, 'bad.yaml'), '- username: [unclosed\n');
    await writeFile(join(dir, 'subs.txt'), 'x');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads each format by extension', async () => {
    expect(await loadSubscriberFile(join(dir, 'subs.yaml'))).toMatchObject({ ok: true, subscribers: [{ username: '1001', password: '1234' }, { username: 'bob' }] });
    expect(await loadSubscriberFile(join(dir, 'subs.json'))).toMatchObject({ ok: true, subscribers: [{ username: 'carol' }] });
    expect(await loadSubscriberFile(join(dir, 'subs.csv'))).toMatchObject({ ok: true, subscribers: [{ domain: 'example.com' }, { domain: 'other.org' }] });
  });

  it('reports unreadable, unknown and broken files as values', async () => {
    expect(await loadSubscriberFile(join(dir, 'missing.csv'))).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.unreadable } });
    expect(await loadSubscriberFile(join(dir, 'subs.txt'))).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.unknownFormat } });
    expect(await loadSubscriberFile(join(dir, 'bad.yaml'))).toMatchObject({ ok: false, error: { code: SubscriberFileErrorCode.syntax } });
  });

  it('finds users by name and domain, or by name alone without use_domain', async () => {
    const withDomain = await FileCredentialSource.load(join(dir, 'subs.csv'), { useDomain: true });
    if (!withDomain.ok) throw new Error(withDomain.error.reason);
    expect(withDomain.source.size).toBe(2);
    expect(await withDomain.source.find('alice', 'OTHER.org')).toMatchObject({ password: 'a2' });
    expect(await withDomain.source.find('alice', 'nowhere.net')).toBeUndefined();
    expect(await withDomain.source.find('Alice', 'example.com')).toBeUndefined();

    const byName = await FileCredentialSource.load(join(dir, 'subs.csv'), { useDomain: false });
    if (!byName.ok) throw new Error(byName.error.reason);
    expect(await byName.source.find('alice', 'nowhere.net')).toMatchObject({ password: 'a1' });
  });
});
