import { afterEach, describe, expect, test } from 'vitest';
import { parseRtpengineUrl, type RtpengineMember } from './config/media-config.js';
import { startFakeRtpengine, type FakeRtpengine } from './fake-rtpengine.fixture.js';
import { HealthInput, INITIAL_HEALTH, nextHealth, type HealthCounters, type HealthState } from './health.js';
import { InstancePool, type HealthChange } from './instances.js';
import { NgClient } from './ng/ng-client.js';

const T = { downAfterFailures: 2, upAfterSuccesses: 2 };

function run(inputs: HealthInput[], start: HealthCounters = INITIAL_HEALTH): HealthState[] {
  const states: HealthState[] = [];
  let h = start;
  for (const input of inputs) {
    h = nextHealth(h, input, T);
    states.push(h.state);
  }
  return states;
}

const { ok, fail } = HealthInput;

describe('health state machine', () => {
  test('the first answer or failure decides an unknown instance at once', () => {
    expect(run([ok])).toEqual(['up']);
    expect(run([fail])).toEqual(['down']);
  });

  test('up goes down after downAfterFailures in a row; an answer in between resets the count', () => {
    expect(run([ok, fail, fail])).toEqual(['up', 'up', 'down']);
    expect(run([ok, fail, ok, fail, ok, fail])).toEqual(['up', 'up', 'up', 'up', 'up', 'up']);
  });

  test('down comes back after upAfterSuccesses in a row; a failure in between resets the count', () => {
    expect(run([fail, ok, ok])).toEqual(['down', 'down', 'up']);
    expect(run([fail, ok, fail, ok, ok])).toEqual(['down', 'down', 'down', 'down', 'up']);
  });

  test('counters', () => {
    expect(nextHealth({ state: 'up', failures: 0, successes: 0 }, fail, T)).toEqual({ state: 'up', failures: 1, successes: 0 });
    expect(nextHealth({ state: 'down', failures: 5, successes: 0 }, ok, T)).toEqual({ state: 'down', failures: 5, successes: 1 });
    expect(nextHealth({ state: 'down', failures: 5, successes: 1 }, ok, T)).toEqual({ state: 'up', failures: 0, successes: 0 });
    expect(nextHealth({ state: 'up', failures: 1, successes: 0 }, fail, { downAfterFailures: 1, upAfterSuccesses: 1 }).state).toBe('down');
  });
});

describe('parseRtpengineUrl', () => {
  test.each([
    ['udp:127.0.0.1:2223', '127.0.0.1:2223', 1],
    ['127.0.0.1:2223', '127.0.0.1:2223', 1],
    ['udp:10.0.0.1:2223=3', '10.0.0.1:2223', 3],
    ['UDP:10.0.0.1:2223=0', '10.0.0.1:2223', 0],
    ['udp:[::1]:2223', '[::1]:2223', 1],
    ['[2001:DB8::1]:2223=2', '[2001:db8::1]:2223', 2],
  ])('%s', (url, key, weight) => {
    expect(parseRtpengineUrl(url)).toMatchObject({ ok: true, value: { key, weight } });
  });

  test.each([
    ['tcp:127.0.0.1:2223', /only udp/],
    ['udp:rtpengine.local:2223', /not udp:host:port|IP address/],
    ['rtpengine:2223', /IP address/],
    ['127.0.0.1', /not udp:host:port/],
    ['127.0.0.1:70000', /port out of range/],
    ['127.0.0.1:2223=5000', /weight/],
    ['127.0.0.1:2223=x', /weight/],
  ])('%s is refused', (url, reason) => {
    const parsed = parseRtpengineUrl(url);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});

function member(key: string, weight: number): RtpengineMember {
  const parsed = parseRtpengineUrl(`${key}=${weight}`);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/** A pool over made-up addresses whose health is set by hand (no pings). */
function handPool(sets: Record<string, [string, number][]>): InstancePool {
  const pool = new InstancePool({
    sets: new Map(Object.entries(sets).map(([name, list]) => [name, list.map(([k, w]) => member(k, w))])),
    ping: () => Promise.resolve(),
    health: { pingIntervalMs: 1000, pingTimeoutMs: 100, downAfterFailures: 1, upAfterSuccesses: 1 },
  });
  for (const i of pool.all()) pool.report(i, ok);
  return pool;
}

function picks(pool: InstancePool, set: string, n: number): string[] {
  return Array.from({ length: n }, () => pool.candidates(set)[0]?.key ?? '-');
}

describe('selection: smooth weighted round robin', () => {
  test('weights 5:1:1 give nginx’s sequence a a b a c a a', () => {
    const pool = handPool({ default: [['10.0.0.1:1', 5], ['10.0.0.2:1', 1], ['10.0.0.3:1', 1]] });
    expect(picks(pool, 'default', 7).map((k) => k.slice(7, 8))).toEqual(['1', '1', '2', '1', '3', '1', '1']);
  });

  test('shares follow the weights exactly over a cycle; weight 0 never takes a new call', () => {
    const pool = handPool({ default: [['10.0.0.1:1', 2], ['10.0.0.2:1', 1], ['10.0.0.3:1', 0]] });
    const counts = new Map<string, number>();
    for (const k of picks(pool, 'default', 300)) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ '10.0.0.1:1': 200, '10.0.0.2:1': 100 });
  });

  test('candidates: the pick, then the other eligible instances by weight (failover order)', () => {
    const pool = handPool({ default: [['10.0.0.1:1', 1], ['10.0.0.2:1', 3], ['10.0.0.3:1', 2], ['10.0.0.4:1', 0]] });
    expect(pool.candidates('default').map((i) => i.key)).toEqual(['10.0.0.2:1', '10.0.0.3:1', '10.0.0.1:1']);
  });

  test('down and disabled instances are skipped; none left -> empty, described', () => {
    const pool = handPool({ default: [['10.0.0.1:1', 1], ['10.0.0.2:1', 1]], other: [['10.0.0.2:1', 1]] });
    const [a, b] = pool.all();
    pool.report(a!, fail);
    expect(picks(pool, 'default', 3)).toEqual(['10.0.0.2:1', '10.0.0.2:1', '10.0.0.2:1']);
    pool.setEnabled('10.0.0.2:1', false);
    expect(pool.candidates('default')).toEqual([]);
    expect(pool.hasCandidate('default')).toBe(false);
    expect(pool.candidates('other')).toEqual([]);
    expect(pool.describeSet('default')).toBe('10.0.0.1:1 down, 10.0.0.2:1 disabled');
    pool.setEnabled('10.0.0.2:1', true);
    expect(pool.hasCandidate('default')).toBe(true);
    expect(pool.candidates('other').map((i) => i.key)).toEqual([b!.key]);
    expect(pool.setEnabled('10.9.9.9:1', false)).toBe(false);
  });

  test('an instance in two sets is one instance (one health), with a weight per set', () => {
    const pool = handPool({ default: [['10.0.0.1:1', 1]], big: [['10.0.0.1:1', 7], ['10.0.0.2:1', 1]] });
    expect(pool.all()).toHaveLength(2);
    expect(pool.setsOf('10.0.0.1:1')).toEqual(['default', 'big']);
    expect(pool.snapshot()[0]).toMatchObject({ instance: '10.0.0.1:1', url: 'udp:10.0.0.1:1', sets: [{ set: 'default', weight: 1 }, { set: 'big', weight: 7 }], state: 'up' });
    expect(pool.candidates('unknown-set')).toEqual([]);
  });
});

describe('health by ping, against fake rtpengines', () => {
  const fakes: FakeRtpengine[] = [];
  const ng = new NgClient({ timeoutMs: 500, retransmitMs: 50 });
  let pool: InstancePool | undefined;
  afterEach(async () => {
    await pool?.stop();
    pool = undefined;
    await Promise.all(fakes.splice(0).map((f) => f.close()));
  });

  async function fakePool(n: number, health: Partial<{ downAfterFailures: number; upAfterSuccesses: number; pingIntervalMs: number }> = {}): Promise<{ pool: InstancePool; changes: HealthChange[] }> {
    for (let i = 0; i < n; i++) fakes.push(await startFakeRtpengine());
    const changes: HealthChange[] = [];
    pool = new InstancePool({
      sets: new Map([['default', fakes.map((f) => member(f.key, 1))]]),
      ping: (instance, o) => ng.ping(instance, o),
      health: { pingIntervalMs: health.pingIntervalMs ?? 60_000, pingTimeoutMs: 150, downAfterFailures: health.downAfterFailures ?? 2, upAfterSuccesses: health.upAfterSuccesses ?? 1 },
      onHealthChange: (c) => changes.push(c),
    });
    return { pool, changes };
  }

  test('the first round finds them up, with an RTT', async () => {
    const { pool, changes } = await fakePool(2);
    expect(await pool.pingAll()).toEqual({ up: 2, down: 0 });
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ['unknown', 'up'],
      ['unknown', 'up'],
    ]);
    for (const s of pool.snapshot()) {
      expect(s.state).toBe('up');
      expect(s.lastRttMs).toBeGreaterThanOrEqual(0);
      expect(s.since).toMatch(/^\d{4}-/);
    }
  });

  test('a silent instance goes down after downAfterFailures rounds and comes back when it answers', async () => {
    const { pool, changes } = await fakePool(2);
    const [a, b] = fakes as [FakeRtpengine, FakeRtpengine];
    await pool.pingAll();
    a.mode = { kind: 'silent' };
    await pool.pingAll();
    expect(pool.get(a.key)?.state).toBe('up');
    expect(pool.get(a.key)?.health.failures).toBe(1);
    await pool.pingAll();
    expect(pool.get(a.key)?.state).toBe('down');
    expect(pool.get(a.key)?.lastError).toMatch(/did not answer 'ping'/);
    expect(pool.candidates('default').map((i) => i.key)).toEqual([b.key]);
    a.mode = { kind: 'ok' };
    await pool.pingAll();
    expect(pool.get(a.key)?.state).toBe('up');
    expect(changes.filter((c) => c.instance.key === a.key).map((c) => c.to)).toEqual(['up', 'down', 'up']);
  });

  test('an error reply to ping (not pong) counts as a failure; load limit too (ping must say pong)', async () => {
    const { pool } = await fakePool(1, { downAfterFailures: 1 });
    const [a] = fakes as [FakeRtpengine];
    a.mode = { kind: 'error', reason: 'nope' };
    await pool.pingAll();
    expect(pool.get(a.key)?.state).toBe('down');
  });

  test('the timer pings periodically (start/stop)', async () => {
    const { pool } = await fakePool(1, { pingIntervalMs: 100 });
    pool.start();
    await new Promise((r) => setTimeout(r, 350));
    await pool.stop();
    const pings = fakes[0]!.commands.filter((c) => c.command === 'ping').length;
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(pool.get(fakes[0]!.key)?.state).toBe('up');
  });

  test('concurrent pingAll calls share one round', async () => {
    const { pool } = await fakePool(1);
    await Promise.all([pool.pingAll(), pool.pingAll(), pool.pingAll()]);
    expect(fakes[0]!.commands.filter((c) => c.command === 'ping')).toHaveLength(1);
  });
});
