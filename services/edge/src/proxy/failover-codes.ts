/**
 * Failover code sets ("408", 486, "5xx") compiled into a 700-entry lookup table once, so the check
 * on every branch failure is an array read.
 */
export type CodePattern = number | string;

/**
 * Codes a class pattern ("4xx", "6xx") never covers: the callee was reached and said no
 * (486 Busy Here, 600 Busy Everywhere, 603 Decline). Listing one of them by number still works.
 */
export const PROTECTED_CODES: readonly number[] = [486, 600, 603];

export class CodeSet {
  private readonly table = new Uint8Array(700);

  constructor(patterns: readonly CodePattern[]) {
    for (const p of patterns) {
      const s = String(p);
      if (s.endsWith('xx')) {
        const base = Number(s[0]) * 100;
        for (let c = base; c < base + 100; c++) if (!PROTECTED_CODES.includes(c)) this.table[c] = 1;
      } else {
        const c = Number(s);
        if (Number.isInteger(c) && c >= 100 && c < 700) this.table[c] = 1;
      }
    }
  }

  has(code: number): boolean {
    return this.table[code] === 1;
  }
}
