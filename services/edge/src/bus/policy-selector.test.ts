import { describe, expect, it } from 'vitest';
import { PolicySelector } from './policy-selector.js';

function selector(): { s: PolicySelector; rejected: string[]; canaries: () => number } {
  const rejected: string[] = [];
  let canaries = 0;
  const s = new PolicySelector('default', { rejected: (k, _v, reason) => rejected.push(`${k}: ${reason}`), canary: () => void canaries++ });
  return { s, rejected, canaries: () => canaries };
}

describe('PolicySelector', () => {
  it('serves the configured policy until the settings say otherwise, per domain first', () => {
    const { s } = selector();
    expect(s.select('example.com', 'c1')).toBe('default');
    s.apply('policy.default', 'v2');
    expect(s.select('example.com', 'c1')).toBe('v2');
    s.apply('policy.domain.Example.COM', 'tenant-a');
    expect(s.select('EXAMPLE.com', 'c1')).toBe('tenant-a');
    expect(s.select('other.net', 'c1')).toBe('v2');
    s.apply('policy.domain.example.com', undefined);
    s.apply('policy.default', undefined);
    expect(s.select('example.com', 'c1')).toBe('default');
  });

  it('sends the canary share of calls to the other policy, the same way for every request of a call', () => {
    const { s, canaries } = selector();
    s.apply('canary.default', JSON.stringify({ policy: 'next', weight: 20 }));
    let toNext = 0;
    for (let i = 0; i < 10_000; i++) {
      const id = `call-${i}@host`;
      const first = s.select('example.com', id);
      expect(s.select('example.com', id)).toBe(first);
      if (first === 'next') toNext++;
    }
    // 20 % within two points over 10,000 calls
    expect(toNext / 10_000).toBeGreaterThan(0.18);
    expect(toNext / 10_000).toBeLessThan(0.22);
    expect(canaries()).toBe(toNext * 2);
    s.apply('canary.default', JSON.stringify({ policy: 'next', weight: 100 }));
    expect(s.select(undefined, 'x')).toBe('next');
    s.apply('canary.default', undefined);
    expect(s.select(undefined, 'x')).toBe('default');
  });

  it('ignores values it cannot use, and says so', () => {
    const { s, rejected } = selector();
    s.apply('policy.default', 'not a name!');
    s.apply('canary.default', '{"policy":"x","weight":150}');
    s.apply('canary.default', 'nope');
    s.apply('unrelated.key', 'whatever');
    expect(s.select('example.com', 'c')).toBe('default');
    expect(rejected).toHaveLength(3);
  });
});
