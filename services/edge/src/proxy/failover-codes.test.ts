import { describe, expect, it } from 'vitest';
import { CodeSet } from './failover-codes.js';

describe('failover code sets', () => {
  it('matches single codes and classes', () => {
    const s = new CodeSet([408, '480', '5xx']);
    expect([408, 480, 500, 503, 599].every((c) => s.has(c))).toBe(true);
    expect([404, 486, 487, 600, 200].some((c) => s.has(c))).toBe(false);
  });

  it('never fails over on 486/600/603 through a class, only when listed by number', () => {
    expect(new CodeSet(['4xx', '6xx']).has(486)).toBe(false);
    expect(new CodeSet(['4xx', '6xx']).has(603)).toBe(false);
    expect(new CodeSet(['4xx', '6xx']).has(404)).toBe(true);
    expect(new CodeSet([486]).has(486)).toBe(true);
  });
});
