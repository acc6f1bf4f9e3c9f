import { describe, expect, it } from 'vitest';
import { judgeRun, type RunCounts } from './clean-rule.mjs';

const good: RunCounts = {
  offered: 2000,
  count: 20000,
  uacExitCode: 0,
  uac: { successful: 20000, failed: 0, retransmissions: 0, achievedRate: 2000.4 },
  uas: { failed: 0, retransmissions: 0 },
};

describe('judgeRun (the harness rule)', () => {
  it('a complete run at the offered rate without retransmissions is strictly clean', () => {
    expect(judgeRun(good)).toEqual({ clean: true, strict: true, reasons: [] });
  });

  it('allows 0.01 % retransmissions (2 of 20000), clean but not strict', () => {
    expect(judgeRun({ ...good, uac: { ...good.uac!, retransmissions: 1 }, uas: { failed: 0, retransmissions: 1 } })).toEqual({ clean: true, strict: false, reasons: [] });
  });

  it('is dirty above 0.01 % retransmissions', () => {
    expect(judgeRun({ ...good, uas: { failed: 0, retransmissions: 3 } })).toEqual({ clean: false, strict: false, reasons: ['retransmissions 3'] });
  });

  it('is dirty when the steady rate falls below 97 % of offered', () => {
    expect(judgeRun({ ...good, uac: { ...good.uac!, achievedRate: 1939 } }).reasons).toEqual(['achieved 1939.0/s < 97 %']);
    expect(judgeRun({ ...good, uac: { ...good.uac!, achievedRate: 1940 } }).clean).toBe(true);
  });

  it('names every failure: exit code, missing and failed calls on both sides', () => {
    const r = judgeRun({ ...good, uacExitCode: 1, uac: { successful: 19990, failed: 10, retransmissions: 0, achievedRate: 2000 }, uas: { failed: 4, retransmissions: 0 } });
    expect(r).toEqual({ clean: false, strict: false, reasons: ['uac exit 1', 'successful 19990/20000', 'uac failed 10', 'uas failed 4'] });
  });

  it('is dirty without UAC statistics', () => {
    expect(judgeRun({ ...good, uac: null }).reasons).toEqual(['no uac statistics']);
  });
});
