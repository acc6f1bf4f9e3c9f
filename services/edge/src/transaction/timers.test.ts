import { describe, expect, it } from 'vitest';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers, nextCappedIntervalMs, nextTimerAMs } from './timers.js';
import type { TransactionTimerConfig, TransactionTimerProfiles } from './timers.js';

function derive(config: TransactionTimerConfig): TransactionTimerProfiles {
  const result = deriveTransactionTimers(config);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('deriveTransactionTimers (RFC 3261 Table 4)', () => {
  it('derives every timer from the RFC defaults for unreliable transports', () => {
    const { unreliable } = derive(RFC3261_TIMER_DEFAULTS);
    expect(unreliable).toEqual({
      reliable: false,
      t1Ms: 500,
      t2Ms: 4000,
      t4Ms: 5000,
      timerAMs: 500,
      timerBMs: 32_000,
      timerCMs: 181_000,
      timerDMs: 32_000,
      timerEMs: 500,
      timerFMs: 32_000,
      timerGMs: 500,
      timerHMs: 32_000,
      timerIMs: 5000,
      timerJMs: 32_000,
      timerKMs: 5000,
      timerLMs: 32_000,
      timerMMs: 32_000,
      cancelWaitMs: 32_000,
    });
  });

  it('zeroes D, I, J and K for reliable transports and keeps the rest', () => {
    const { reliable, unreliable } = derive(RFC3261_TIMER_DEFAULTS);
    expect(reliable).toEqual({ ...unreliable, reliable: true, timerDMs: 0, timerIMs: 0, timerJMs: 0, timerKMs: 0 });
  });

  it('follows the configured T1/T2/T4, Timer C and Timer D', () => {
    const { unreliable } = derive({ t1Ms: 250, t2Ms: 2000, t4Ms: 3000, timerCMs: 240_000, timerDMs: 40_000 });
    expect(unreliable.timerAMs).toBe(250);
    expect(unreliable.timerBMs).toBe(16_000);
    expect(unreliable.timerFMs).toBe(16_000);
    expect(unreliable.timerHMs).toBe(16_000);
    expect(unreliable.timerJMs).toBe(16_000);
    expect(unreliable.timerLMs).toBe(16_000);
    expect(unreliable.timerMMs).toBe(16_000);
    expect(unreliable.timerIMs).toBe(3000);
    expect(unreliable.timerKMs).toBe(3000);
    expect(unreliable.timerCMs).toBe(240_000);
    expect(unreliable.timerDMs).toBe(40_000);
  });

  it('returns frozen profiles', () => {
    const profiles = derive(RFC3261_TIMER_DEFAULTS);
    expect(Object.isFrozen(profiles)).toBe(true);
    expect(Object.isFrozen(profiles.reliable)).toBe(true);
    expect(Object.isFrozen(profiles.unreliable)).toBe(true);
  });

  it.each([
    [{ t1Ms: 0 }, 't1Ms must be a positive integer'],
    [{ t2Ms: 1.5 }, 't2Ms must be a positive integer'],
    [{ t1Ms: 5000, t2Ms: 4000 }, 't2Ms (4000) must not be below t1Ms (5000)'],
    [{ timerCMs: 180_000 }, 'timerCMs must be greater than 3 minutes'],
    [{ timerDMs: 31_999 }, 'timerDMs must be at least 32000'],
  ])('rejects %j with EDGE_ERR_TIMER_CONFIG', (override, message) => {
    const result = deriveTransactionTimers({ ...RFC3261_TIMER_DEFAULTS, ...override });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('EDGE_ERR_TIMER_CONFIG');
    expect(result.error.message).toContain(message);
  });
});

describe('retransmission intervals', () => {
  it('Timer A doubles without a cap (§17.1.1.2)', () => {
    const intervals = [500];
    for (let i = 0; i < 6; i++) intervals.push(nextTimerAMs(intervals[intervals.length - 1] ?? 0));
    expect(intervals).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 32_000]);
  });

  it('Timers E and G double up to T2 (§17.1.2.2, §17.2.1)', () => {
    const intervals = [500];
    for (let i = 0; i < 5; i++) intervals.push(nextCappedIntervalMs(intervals[intervals.length - 1] ?? 0, 4000));
    expect(intervals).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });
});
