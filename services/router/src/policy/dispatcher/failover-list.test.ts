import { describe, expect, it } from 'vitest';
import { answerPositions, failoverOrder, firstUsable } from './failover-list.js';

const usableExcept =
  (...down: number[]) =>
  (i: number): boolean =>
    !down.includes(i);

describe('failover list', () => {
  it('walks from the picked position to the next usable one, wrapping, so hashing stays sticky', () => {
    expect(firstUsable(7, 4, usableExcept(), false)).toBe(3);
    expect(firstUsable(7, 4, usableExcept(3), false)).toBe(0);
    expect(firstUsable(6, 4, usableExcept(2), false)).toBe(3);
    // Destination 1 going down does not move callers hashed to 2.
    expect(firstUsable(2, 4, usableExcept(1), false)).toBe(2);
    expect(firstUsable(1, 4, usableExcept(0, 1, 2, 3), false)).toBeUndefined();
  });

  it('use_default: the last destination is not picked, only used when nothing else is usable', () => {
    expect(firstUsable(3, 4, usableExcept(), true)).toBe(0);
    expect(firstUsable(2, 4, usableExcept(2), true)).toBe(0);
    expect(firstUsable(0, 4, usableExcept(0, 1, 2), true)).toBe(3);
    expect(firstUsable(0, 4, usableExcept(0, 1, 2, 3), true)).toBeUndefined();
    expect(firstUsable(5, 1, usableExcept(), true)).toBe(0);
  });

  it('orders the rest after the chosen one, then before it', () => {
    expect(failoverOrder(2, 5)).toEqual([2, 3, 4, 0, 1]);
    expect(failoverOrder(0, 3)).toEqual([0, 1, 2]);
  });

  it('keeps usable destinations only, moves the default to the end, honours the limit', () => {
    const shape = { failover: true, useDefault: false };
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(4), shape)).toEqual([2, 3, 0, 1]);
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(4), { ...shape, limit: 2 })).toEqual([2, 3]);
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(), { ...shape, useDefault: true })).toEqual([2, 3, 0, 1, 4]);
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(), { ...shape, useDefault: true, limit: 4 })).toEqual([2, 3, 0, 1]);
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(4), { ...shape, useDefault: true })).toEqual([2, 3, 0, 1]);
    expect(answerPositions([4, 0, 1, 2, 3], 5, usableExcept(0, 1, 2, 3), { ...shape, useDefault: true })).toEqual([4]);
    expect(answerPositions([2, 3, 4, 0, 1], 5, usableExcept(), { ...shape, failover: false })).toEqual([2]);
  });
});
