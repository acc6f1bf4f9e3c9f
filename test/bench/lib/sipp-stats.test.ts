import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRttCsv, parseStatCsv, percentile, statTotals, steadyCallRate } from './sipp-stats.mjs';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('SIPp -trace_stat file', () => {
  // A real UAC file of a 4 s MESSAGE run at 1500/s (6000 calls), -fd 1: an initial row, one row
  // per second, and the final row SIPp writes at exit.
  const rows = parseStatCsv(fixture('uac-message-stat.csv'));

  it('reads every row with its columns by name', () => {
    expect(rows).toHaveLength(6);
    expect(rows[1]?.['OutgoingCall(P)']).toBe('1500');
    expect(rows[5]?.['SuccessfulCall(C)']).toBe('6000');
  });

  it('takes the totals from the last row', () => {
    expect(statTotals(rows)).toEqual({
      created: 6000,
      successful: 6000,
      failed: 0,
      retransmissions: 0,
      deadCallMsgs: 0,
      outOfCallMsgs: 0,
      achievedRate: 1500.75,
      achievedRateWholeRun: 1497.38,
    });
  });

  it('averages CallRate(P) over the periods that created calls, without the first and the last', () => {
    // periods with calls: 1495.51, 1500, 1501.5, 1496.98 -> mean of the middle two
    expect(steadyCallRate(rows)).toBe((1500 + 1501.5) / 2);
  });

  it('falls back to the whole-run rate with fewer than three creating periods', () => {
    expect(steadyCallRate(rows.slice(0, 3))).toBe(1497.01);
  });

  it('has no totals without rows', () => {
    expect(parseStatCsv('')).toEqual([]);
    expect(statTotals([])).toBeNull();
  });
});

describe('SIPp -trace_rtt file', () => {
  it('gives nearest-rank percentiles per rtd in whole ms', () => {
    expect(parseRttCsv(fixture('uac-call-rtt.csv'))).toEqual({
      rtd1: { n: 4, mean_ms: 50, p50_ms: 0, p90_ms: 196, p99_ms: 196, max_ms: 196 },
      rtd2: { n: 2, mean_ms: 4, p50_ms: 0, p90_ms: 8, p99_ms: 8, max_ms: 8 },
    });
  });

  it('ignores a header-only file', () => {
    expect(parseRttCsv('Date_ms;response_time_ms;rtd_no\n')).toEqual({});
  });

  it('percentile uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});
