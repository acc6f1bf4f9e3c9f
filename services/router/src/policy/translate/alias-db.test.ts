/** alias_db lookups (spec §8.7, TC-97): the book's alias 200 first. */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { AliasTable } from './alias-db.js';

function load(rows: Row[]): AliasTable {
  const r = AliasTable.fromRows(rows, 'table dbaliases');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.aliases;
}

describe('alias_db', () => {
  const aliases = load([
    { alias_username: '200', alias_domain: '', username: '10000200', domain: 'rts.xswitch.cn:20003;transport=tcp' },
    { alias_username: 'sales', alias_domain: 'example.com', username: 'alice', domain: 'example.com' },
    { alias_username: 'sales', alias_domain: 'other.example', username: 'bob', domain: 'other.example' },
    { alias_username: 'broken', alias_domain: '', username: 'carol', domain: '' },
  ]);

  it('gives the book alias 200 as sip:10000200@rts.xswitch.cn:20003;transport=tcp', () => {
    expect(aliases.lookup('200', 'proxy.example')).toEqual(['sip:10000200@rts.xswitch.cn:20003;transport=tcp']);
  });

  it('finds nothing for an unknown alias or an empty user', () => {
    expect(aliases.lookup('201', 'proxy.example')).toEqual([]);
    expect(aliases.lookup('', 'proxy.example')).toEqual([]);
  });

  it('gives every row in order without use_domain, only the host-matching ones with it', () => {
    expect(aliases.lookup('sales', 'example.com')).toEqual(['sip:alice@example.com', 'sip:bob@other.example']);
    expect(aliases.lookup('sales', 'Other.Example', { useDomain: true })).toEqual(['sip:bob@other.example']);
    expect(aliases.lookup('200', 'proxy.example', { useDomain: true })).toEqual([]);
  });

  it('takes domain_prefix off the host before matching domains', () => {
    expect(aliases.lookup('sales', 'sip.example.com', { useDomain: true, domainPrefix: 'sip.' })).toEqual(['sip:alice@example.com']);
    expect(aliases.lookup('sales', 'sip.example.com', { useDomain: true })).toEqual([]);
  });

  it('looks up the other way with reverse', () => {
    expect(aliases.lookup('alice', 'example.com', { reverse: true, useDomain: true })).toEqual(['sip:sales@example.com']);
    // the book's row has no alias_domain: a reverse lookup cannot build a URI from it
    expect(aliases.lookup('10000200', 'x', { reverse: true })).toEqual([]);
  });

  it('gives no URI for a row without a domain', () => {
    expect(aliases.lookup('broken', 'x')).toEqual([]);
  });

  it('names a row without alias_username', () => {
    const r = AliasTable.fromRows([{ username: 'x', domain: 'y' }], 'dbaliases.yaml');
    expect(r.ok ? [] : r.errors).toEqual(['dbaliases.yaml row 1: column alias_username is missing']);
  });
});
