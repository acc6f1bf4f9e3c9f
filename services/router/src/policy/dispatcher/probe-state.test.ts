import { describe, expect, it } from 'vitest';
import type { DestinationStatus } from './dispatcher-list.js';
import { countsAsUp, nextStatus, parseReplyCodes, shouldProbe, type ProbeRules, type ProbeStreak, type ProbingMode } from './probe-state.js';

const codes = (text: string): ProbeRules['upCodes'] => {
  const r = parseReplyCodes(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const rules = (over: Partial<ProbeRules> = {}): ProbeRules => ({ mode: 1, threshold: 3, inactiveThreshold: 2, upCodes: codes(''), ...over });
const active: DestinationStatus = { state: 'active', probing: false };

/** Feeds results (true = up) and returns every status on the way. */
function run(start: DestinationStatus, results: boolean[], r: ProbeRules): string[] {
  const streak: ProbeStreak = { failures: 0, successes: 0 };
  let s = start;
  return results.map((up) => {
    s = nextStatus(s, up, streak, r);
    return `${s.state}${s.probing ? '+P' : ''}`;
  });
}

describe('keepalive results', () => {
  it("parses Kamailio's ds_ping_reply_codes and refuses nonsense", () => {
    const c = codes('class=2;code=403;code=488;class=3');
    expect([...c.codes].sort()).toEqual([403, 488]);
    expect([...c.classes].sort()).toEqual([2, 3]);
    expect(parseReplyCodes('code=99').ok).toBe(false);
    expect(parseReplyCodes('class=7').ok).toBe(false);
    expect(parseReplyCodes('status=200').ok).toBe(false);
  });

  it('counts 2xx and the configured codes as up, never a local 408', () => {
    const c = codes('code=403;class=3;code=408');
    expect(countsAsUp(200, false, c)).toBe(true);
    expect(countsAsUp(403, false, c)).toBe(true);
    expect(countsAsUp(302, false, c)).toBe(true);
    expect(countsAsUp(404, false, c)).toBe(false);
    expect(countsAsUp(408, false, c)).toBe(true); // the peer said 408 and the operator listed it
    expect(countsAsUp(408, true, c)).toBe(false); // nobody answered
    expect(countsAsUp(503, true, c)).toBe(false);
  });

  it('takes a destination down after `threshold` failures in a row, through trying', () => {
    expect(run(active, [false, false, false], rules())).toEqual(['trying+P', 'trying+P', 'inactive+P']);
    // a success in between resets the count
    expect(run(active, [false, false, true, false, false, false], rules())).toEqual(['trying+P', 'trying+P', 'trying+P', 'trying+P', 'trying+P', 'inactive+P']);
    // Kamailio's default threshold 1: the first failure takes it down
    expect(run(active, [false], rules({ threshold: 1 }))).toEqual(['inactive+P']);
  });

  it('brings it back after `inactiveThreshold` successes in a row', () => {
    const down: DestinationStatus = { state: 'inactive', probing: true };
    expect(run(down, [true, true], rules())).toEqual(['inactive+P', 'active+P']);
    expect(run(down, [true, false, true, true], rules())).toEqual(['inactive+P', 'inactive+P', 'inactive+P', 'active+P']);
  });

  it('keeps or clears the probing flag on recovery by mode', () => {
    const down: DestinationStatus = { state: 'inactive', probing: true };
    const after = (mode: ProbingMode): string | undefined => run(down, [true], rules({ mode, inactiveThreshold: 1 }))[0];
    expect(after(0)).toBe('active');
    expect(after(1)).toBe('active+P');
    expect(after(2)).toBe('active');
    expect(after(3)).toBe('active+P');
  });

  it('never changes a disabled destination', () => {
    const disabled: DestinationStatus = { state: 'disabled', probing: false };
    expect(run(disabled, [false, false, false, true], rules({ threshold: 1 }))).toEqual(['disabled', 'disabled', 'disabled', 'disabled']);
  });

  it('chooses what to probe by mode', () => {
    const probingActive = { state: 'active', probing: true } as const;
    const probingInactive = { state: 'inactive', probing: true } as const;
    expect(shouldProbe(active, false, 1)).toBe(true);
    expect(shouldProbe(active, true, 1)).toBe(false); // no-ping flag
    expect(shouldProbe({ state: 'disabled', probing: true }, false, 1)).toBe(false);
    expect(shouldProbe(active, false, 0)).toBe(false);
    expect(shouldProbe(probingActive, false, 0)).toBe(true);
    expect(shouldProbe(probingActive, false, 3)).toBe(true);
    expect(shouldProbe(probingActive, false, 2)).toBe(false);
    expect(shouldProbe(probingInactive, false, 2)).toBe(true);
  });
});
