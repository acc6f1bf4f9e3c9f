import { describe, expect, it } from 'vitest';
import { bestResponseIndex } from './response-selection.js';

const r = (status: number, received = true): { status: number; received: boolean } => ({ status, received });

describe('best response (RFC 3261 §16.7 step 6)', () => {
  it('prefers a 6xx over anything else', () => {
    expect(bestResponseIndex([r(404), r(603), r(302)])).toBe(1);
  });
  it('otherwise takes the lowest class', () => {
    expect(bestResponseIndex([r(503), r(486), r(302)])).toBe(2);
    expect(bestResponseIndex([r(503), r(404)])).toBe(1);
  });
  it('keeps the earliest of a class, but a received response beats a local timeout', () => {
    expect(bestResponseIndex([r(404), r(486)])).toBe(0);
    expect(bestResponseIndex([r(408, false), r(404)])).toBe(1);
  });
  it('has no answer without final failures', () => {
    expect(bestResponseIndex([])).toBeUndefined();
    expect(bestResponseIndex([r(200)])).toBeUndefined();
  });
});
