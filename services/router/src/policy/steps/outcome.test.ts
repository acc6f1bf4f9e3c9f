import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { outcomeResult, outcomeSchema } from './outcome.js';

describe('on_* outcomes', () => {
  const lcr = { code: 503, reason: 'No available gateways' };

  it('goes on, answers the step default, or answers the given reply', () => {
    expect(outcomeResult(undefined, 'continue', lcr)).toEqual({ kind: 'continue' });
    expect(outcomeResult('continue', 'reply', lcr)).toEqual({ kind: 'continue' });
    expect(outcomeResult(undefined, 'reply', lcr)).toEqual({ kind: 'answer', answer: { version: '1.0', reply: lcr } });
    expect(outcomeResult('reply', 'continue', lcr)).toEqual({ kind: 'answer', answer: { version: '1.0', reply: lcr } });
    expect(outcomeResult({ reply: { code: 404, reason: 'Not Found' } }, 'continue', lcr)).toEqual({ kind: 'answer', answer: { version: '1.0', reply: { code: 404, reason: 'Not Found' } } });
  });

  it('accepts the three forms in a routes file and nothing else', () => {
    const validate = new Ajv2020({ strict: false }).compile(outcomeSchema('No gateway', 'continue', lcr));
    for (const ok of ['continue', 'reply', { reply: { code: 480, reason: 'Temporarily Unavailable' } }]) expect(validate(ok)).toBe(true);
    for (const bad of ['drop', { reply: { code: 200, reason: 'OK' } }, { reply: { code: 404 } }, { code: 404, reason: 'x' }]) expect(validate(bad)).toBe(false);
  });
});
