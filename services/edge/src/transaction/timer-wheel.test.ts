import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from './clock.js';
import { HashedTimerWheel } from './timer-wheel.js';
import type { TimerHandle, TimerTarget } from './timer-wheel.js';
import { ManualTimerWheel } from './manual-timer-wheel.js';

/** Records `<ms> <kind>` for every firing. */
class Recorder implements TimerTarget {
  readonly fired: string[] = [];
  constructor(private readonly clock: { now(): number }) {}
  onTimer(kind: string): void {
    this.fired.push(`${this.clock.now()} ${kind}`);
  }
}

describe('ManualTimerWheel', () => {
  it('fires a timer at its deadline, not before', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    const handle = wheel.schedule(500, target, 'A');
    expect(handle.pending).toBe(true);
    wheel.advance(499);
    expect(target.fired).toEqual([]);
    wheel.advance(1);
    expect(target.fired).toEqual(['500 A']);
    expect(handle.pending).toBe(false);
    expect(wheel.size).toBe(0);
  });

  it('fires due timers in deadline order, same-deadline timers in scheduling order', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    wheel.schedule(300, target, 'late');
    wheel.schedule(100, target, 'first');
    wheel.schedule(100, target, 'second');
    wheel.schedule(200, target, 'middle');
    wheel.advance(1000);
    expect(target.fired).toEqual(['100 first', '100 second', '200 middle', '300 late']);
  });

  it('measures a timer scheduled from a callback from the tick it was scheduled on', () => {
    const wheel = new ManualTimerWheel();
    const fired: number[] = [];
    let interval = 500;
    const doubling: TimerTarget<'A'> = {
      onTimer: () => {
        fired.push(wheel.now());
        interval *= 2;
        if (interval <= 16_000) wheel.schedule(interval, doubling, 'A');
      },
    };
    wheel.schedule(interval, doubling, 'A');
    wheel.advance(60_000); // one call: the chain still fires at exact offsets
    expect(fired).toEqual([500, 1500, 3500, 7500, 15500, 31500]);
  });

  it('does not fire a cancelled timer; cancelling twice or after firing is harmless', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    const cancelled = wheel.schedule(100, target, 'cancelled');
    const kept = wheel.schedule(100, target, 'kept');
    wheel.cancel(cancelled);
    wheel.cancel(cancelled);
    expect(cancelled.pending).toBe(false);
    expect(wheel.size).toBe(1);
    wheel.advance(200);
    wheel.cancel(kept);
    expect(target.fired).toEqual(['100 kept']);
    expect(wheel.size).toBe(0);
  });

  it('honours a cancel made by an earlier timer of the same tick', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    const fired: string[] = [];
    const handles: { victim?: TimerHandle } = {};
    const canceller: TimerTarget<'H'> = {
      onTimer: () => {
        fired.push('H');
        if (handles.victim !== undefined) wheel.cancel(handles.victim);
      },
    };
    wheel.schedule(50, canceller, 'H'); // scheduled first, so it fires first on tick 50
    handles.victim = wheel.schedule(50, target, 'G');
    wheel.advance(100);
    expect(fired).toEqual(['H']);
    expect(target.fired).toEqual([]);
    expect(wheel.size).toBe(0);
  });

  it('keeps timers more than one revolution away until their own revolution', () => {
    const wheel = new ManualTimerWheel({ slotCount: 8 });
    const target = new Recorder(wheel);
    wheel.schedule(100, target, 'far');
    wheel.schedule(4, target, 'near'); // same slot as 100 (100 % 8 === 4)
    wheel.advance(99);
    expect(target.fired).toEqual(['4 near']);
    wheel.advance(1);
    expect(target.fired).toEqual(['4 near', '100 far']);
  });

  it('fires a zero delay on the next tick', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    wheel.schedule(0, target, 'now');
    expect(target.fired).toEqual([]);
    wheel.advance(1);
    expect(target.fired).toEqual(['1 now']);
  });

  it('rejects negative, NaN and infinite delays', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    expect(() => wheel.schedule(-1, target, 'x')).toThrow(RangeError);
    expect(() => wheel.schedule(Number.NaN, target, 'x')).toThrow(RangeError);
    expect(() => wheel.schedule(Number.POSITIVE_INFINITY, target, 'x')).toThrow(RangeError);
    expect(wheel.size).toBe(0);
  });

  it('keeps firing other timers when one throws, then rethrows the first error', () => {
    const wheel = new ManualTimerWheel();
    const target = new Recorder(wheel);
    const thrower: TimerTarget<'boom'> = {
      onTimer: () => {
        throw new Error('boom');
      },
    };
    wheel.schedule(10, thrower, 'boom');
    wheel.schedule(10, target, 'after');
    expect(() => wheel.advance(10)).toThrow('boom');
    expect(target.fired).toEqual(['10 after']);
    expect(wheel.size).toBe(0);
  });
});

describe('HashedTimerWheel', () => {
  it('with a 10 ms tick fires on the first tick at or after the deadline', () => {
    const clock = new ManualClock(3);
    const wheel = new HashedTimerWheel({ clock, tickMs: 10, autoRun: false });
    const target = new Recorder(clock);
    wheel.schedule(15, target, 'T'); // deadline 18 ms
    clock.set(19);
    wheel.runDue();
    expect(target.fired).toEqual([]);
    clock.set(20);
    wheel.runDue();
    expect(target.fired).toEqual(['20 T']);
  });

  it('catches up tick by tick after a stall, in order', () => {
    const clock = new ManualClock(0);
    const wheel = new HashedTimerWheel({ clock, tickMs: 10, slotCount: 16, autoRun: false });
    const target = new Recorder(clock);
    wheel.schedule(500, target, 'b');
    wheel.schedule(30, target, 'a');
    clock.set(10_000);
    wheel.runDue();
    expect(target.fired).toEqual(['10000 a', '10000 b']);
  });

  it('reports errors to onError and keeps going', () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const wheel = new HashedTimerWheel({ clock, autoRun: false, onError: (error) => errors.push(error) });
    const target = new Recorder(clock);
    wheel.schedule(10, { onTimer: () => { throw new Error('first'); } }, 'x');
    wheel.schedule(10, target, 'second');
    clock.set(10);
    wheel.runDue();
    expect(errors).toHaveLength(1);
    expect(target.fired).toEqual(['10 second']);
  });

  it('ignores handles from another wheel', () => {
    const clock = new ManualClock(0);
    const one = new HashedTimerWheel({ clock, autoRun: false });
    const other = new HashedTimerWheel({ clock, autoRun: false });
    const target = new Recorder(clock);
    const handle = one.schedule(10, target, 'x');
    other.cancel(handle);
    expect(handle.pending).toBe(true);
    clock.set(10);
    one.runDue();
    expect(target.fired).toEqual(['10 x']);
  });

  it('validates tick and slot count', () => {
    const clock = new ManualClock(0);
    expect(() => new HashedTimerWheel({ clock, tickMs: 0 })).toThrow(RangeError);
    expect(() => new HashedTimerWheel({ clock, slotCount: 1000 })).toThrow(RangeError);
  });

  describe('Node driver', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('arms one interval only while timers are pending', () => {
      vi.useFakeTimers();
      const clock = { now: () => Date.now() };
      const wheel = new HashedTimerWheel({ clock, tickMs: 10 });
      const target = new Recorder({ now: () => 0 });
      expect(vi.getTimerCount()).toBe(0);
      wheel.schedule(100, target, 'a');
      wheel.schedule(200, target, 'b');
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(150);
      expect(target.fired).toEqual(['0 a']);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(60);
      expect(target.fired).toEqual(['0 a', '0 b']);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('disarms when the last pending timer is cancelled, and close() releases everything', () => {
      vi.useFakeTimers();
      const clock = { now: () => Date.now() };
      const wheel = new HashedTimerWheel({ clock });
      const target = new Recorder(clock);
      const handle = wheel.schedule(1000, target, 'a');
      wheel.cancel(handle);
      expect(vi.getTimerCount()).toBe(0);
      const pending = wheel.schedule(1000, target, 'b');
      wheel.close();
      expect(pending.pending).toBe(false);
      expect(wheel.size).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(2000);
      expect(target.fired).toEqual([]);
    });
  });
});
