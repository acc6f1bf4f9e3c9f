import { describe, expect, it } from 'vitest';
import { MemoryLocationStore, type Binding } from '../location/index.js';
import { forkTarget, lookupTargets, orderForForking } from './lookup.js';

const T0 = 1_900_000_000_000;

function b(ruid: string, q: number | undefined, lastModifiedMs: number, over: Partial<Binding> = {}): Binding {
  return { aor: 'alice@example.com', contact: `sip:alice@${ruid}.example.com`, ruid, expiresAtMs: T0 + 60_000, q, callId: ruid, cseq: 1, edge: 'edge1', nat: false, lastModifiedMs, ...over };
}

describe('orderForForking', () => {
  it('groups equal q, highest first, counting a missing q as 1.0, newest registration first within a group', () => {
    const groups = orderForForking([b('low', 0.1, 5), b('none-old', undefined, 1), b('half-old', 0.5, 1), b('one-new', 1, 9), b('half-new', 0.5, 3), b('none-new', undefined, 4)]);
    expect(groups.map((g) => g.map((x) => x.ruid))).toEqual([['one-new', 'none-new', 'none-old'], ['half-new', 'half-old'], ['low']]);
  });

  it('treats q values equal to three decimals as one group, and is empty for no bindings', () => {
    expect(orderForForking([b('a', 0.3, 1), b('b', 0.1 + 0.2, 2)]).map((g) => g.length)).toEqual([2]);
    expect(orderForForking([])).toEqual([]);
  });
});

describe('forkTarget', () => {
  it('routes a NATed contact via its received address and its stored Path', () => {
    const t = forkTarget(b('nat', undefined, 1, { received: 'sip:198.51.100.7:40001;transport=tcp', path: ['<sip:10.0.0.1;lr>'] }));
    expect(t).toMatchObject({ uri: 'sip:alice@nat.example.com', destination: 'sip:198.51.100.7:40001;transport=tcp', path: ['<sip:10.0.0.1;lr>'] });
    const plain = forkTarget(b('plain', undefined, 1));
    expect(plain.destination).toBeUndefined();
    expect(plain.path).toEqual([]);
  });
});

describe('lookupTargets', () => {
  it('reads the canonical AoR from the store, and finds nothing for an unknown or malformed one', async () => {
    const store = new MemoryLocationStore({ clock: { now: () => T0 } });
    await store.replace('alice@example.com', { version: 0 }, [b('x', 0.5, 1), b('y', undefined, 2)]);
    const groups = await lookupTargets(store, 'sip:alice@EXAMPLE.com', true);
    expect(groups.map((g) => g.map((t) => t.uri))).toEqual([['sip:alice@y.example.com'], ['sip:alice@x.example.com']]);
    expect(await lookupTargets(store, 'bob@example.com', true)).toEqual([]);
    expect(await lookupTargets(store, 'example.com', true)).toEqual([]);
  });
});
