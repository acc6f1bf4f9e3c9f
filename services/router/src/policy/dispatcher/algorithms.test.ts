import { describe, expect, it } from 'vitest';
import { dispatcherAlgorithmNames, kamailioAlgorithmNumbers, resolveAlgorithm } from './algorithms.js';

describe('dispatcher algorithm names', () => {
  it('maps every Kamailio number 0-13 to its algorithm', () => {
    expect(kamailioAlgorithmNumbers.map((_, n) => resolveAlgorithm(n))).toEqual([
      'hash-call-id',
      'hash-from',
      'hash-to',
      'hash-ruri',
      'round-robin',
      'hash-auth-user',
      'random',
      'hash-pvar',
      'priority',
      'weight',
      'call-load',
      'relative-weight',
      'parallel',
      'latency',
    ]);
    expect(new Set(kamailioAlgorithmNumbers)).toEqual(new Set(dispatcherAlgorithmNames));
  });

  it('accepts the names and rejects anything else', () => {
    expect(resolveAlgorithm('relative-weight')).toBe('relative-weight');
    expect([resolveAlgorithm(14), resolveAlgorithm(-1), resolveAlgorithm(1.5), resolveAlgorithm('weighted'), resolveAlgorithm('4')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

