import { describe, expect, it } from 'vitest';
import type { DispatcherAlgorithm } from './algorithms.js';
import { Dispatcher, type Selection, type SelectionConfig } from './dispatcher.js';
import { compileHashTemplate, type HashTemplate } from './hash-key.js';
import { seededRandom } from './random-source.js';
import type { RequestFacts } from './request-facts.js';

function facts(over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: 'INVITE',
    ruri: 'sip:9196@example.com',
    ruri_parts: { scheme: 'sip', user: '9196', host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't1' },
    to: { uri: 'sip:9196@example.com', user: '9196', host: 'example.com' },
    call_id: 'call-1@192.0.2.4',
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    ...over,
  };
}

function load(text: string, seed = 1): Dispatcher {
  const r = Dispatcher.fromList(text, { random: seededRandom(seed) });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.dispatcher;
}

function template(source: string): HashTemplate {
  const t = compileHashTemplate(source);
  if (!t.ok) throw new Error(t.error);
  return t.template;
}

function uris(s: Selection): string[] | string {
  return s.ok ? s.destinations.map((d) => d.uri) : s.reason;
}

function first(d: Dispatcher, set: number, config: SelectionConfig | DispatcherAlgorithm, f: RequestFacts = facts()): string {
  const s = d.select(set, typeof config === 'string' ? { algorithm: config } : config, f);
  if (!s.ok) throw new Error(`no destination: ${s.reason}`);
  return s.destinations[0]!.uri;
}

/** Share of each destination over `n` selections, in percent. */
function shares(n: number, pick: (i: number) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const uri = pick(i);
    counts[uri] = (counts[uri] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([uri, c]) => [uri, (100 * c) / n]));
}

const BOOK_LIST = ['100 sip:kb-fs1:5080', '200 sip:rts.xswitch.cn:20003;transport=tcp', '300 sip:kb-fs1:5080', '300 sip:rts.xswitch.cn:20003;transport=tcp'].join('\n');

describe('TC-56 round-robin (alg 4) and the 404 cases', () => {
  it('a one-destination set always gets it; set 300 alternates between its two destinations', () => {
    const d = load(BOOK_LIST);
    expect([1, 2, 3].map(() => first(d, 100, 'round-robin'))).toEqual(['sip:kb-fs1:5080', 'sip:kb-fs1:5080', 'sip:kb-fs1:5080']);
    const calls = [1, 2, 3, 4].map(() => uris(d.select(300, { algorithm: 'round-robin' }, facts())));
    expect(calls[0]).not.toEqual(calls[1]);
    expect(calls[2]).toEqual(calls[0]);
    expect(calls[3]).toEqual(calls[1]);
    // Each answer carries the other destination as its failover route.
    expect(new Set(calls.map((c) => [...c].sort().join()))).toEqual(new Set(['sip:kb-fs1:5080,sip:rts.xswitch.cn:20003;transport=tcp']));
  });

  it('skips an inactive destination and shares evenly among the others', () => {
    const d = load('1 sip:a.example\n1 sip:b.example\n1 sip:c.example');
    d.setState(1, 'sip:b.example', { state: 'inactive', probing: false });
    expect(shares(1000, () => first(d, 1, 'round-robin'))).toEqual({ 'sip:a.example': 50, 'sip:c.example': 50 });
  });

  it('an unknown set, or one with no usable destination, is "none" for a 404 No destination', () => {
    const d = load(BOOK_LIST);
    expect(uris(d.select(999, { algorithm: 'round-robin' }, facts()))).toBe('unknown-set');
    d.setState(300, 'all', { state: 'inactive', probing: true });
    expect(uris(d.select(300, { algorithm: 'round-robin' }, facts()))).toBe('no-usable-destination');
    d.setState(300, 'sip:KB-FS1:5080', { state: 'trying', probing: true });
    // Trying still takes calls: only inactive and disabled are skipped.
    expect(uris(d.select(300, { algorithm: 'round-robin' }, facts()))).toEqual(['sip:kb-fs1:5080']);
  });
});

describe('TC-57 weights (alg 9, 11) and random (alg 6), 10,000 selections, seeded', () => {
  it('weight 80/20 splits 80%/20%; the 100-slot table makes it exact for every 100 calls', () => {
    const d = load('1 sip:a.example 0 0 weight=80\n1 sip:b.example 0 0 weight=20');
    expect(shares(10_000, () => first(d, 1, 'weight'))).toEqual({ 'sip:a.example': 80, 'sip:b.example': 20 });
  });

  it('weights 20/20 give 20%/80%: the remainder goes to the last destination in set order (the first line, as Kamailio orders equal priorities)', () => {
    const d = load('1 sip:a.example 0 0 weight=20\n1 sip:b.example 0 0 weight=20');
    expect(d.sets.get(1)!.destinations.map((x) => x.uri)).toEqual(['sip:b.example', 'sip:a.example']);
    expect(shares(10_000, () => first(d, 1, 'weight'))).toEqual({ 'sip:b.example': 20, 'sip:a.example': 80 });
  });

  it('relative weight 1/4 gives 20%/80%, recomputed over the active destinations when one goes down and back', () => {
    const d = load('1 sip:a.example 0 3 rweight=1\n1 sip:b.example 0 2 rweight=4\n1 sip:c.example 0 1 rweight=5');
    expect(shares(10_000, () => first(d, 1, 'relative-weight'))).toEqual({ 'sip:a.example': 10, 'sip:b.example': 40, 'sip:c.example': 50 });
    d.setState(1, 'sip:c.example', { state: 'inactive', probing: true });
    expect(shares(10_000, () => first(d, 1, 'relative-weight'))).toEqual({ 'sip:a.example': 20, 'sip:b.example': 80 });
    d.setState(1, 'sip:c.example', { state: 'active', probing: true });
    expect(shares(10_000, () => first(d, 1, 'relative-weight'))).toEqual({ 'sip:a.example': 10, 'sip:b.example': 40, 'sip:c.example': 50 });
  });

  it('random is uniform within ±2 points when all are up, and hands a down destination\'s share to the next one', () => {
    const d = load('1 sip:a.example 0 4\n1 sip:b.example 0 3\n1 sip:c.example 0 2\n1 sip:d.example 0 1', 42);
    const up = shares(10_000, () => first(d, 1, 'random'));
    for (const uri of ['sip:a.example', 'sip:b.example', 'sip:c.example', 'sip:d.example']) expect(Math.abs((up[uri] ?? 0) - 25), uri).toBeLessThan(2);
    d.setState(1, 'sip:b.example', { state: 'disabled', probing: false });
    const down = shares(10_000, () => first(d, 1, 'random'));
    expect(down['sip:b.example']).toBeUndefined();
    expect(Math.abs((down['sip:c.example'] ?? 0) - 50)).toBeLessThan(2);
    expect(Math.abs((down['sip:a.example'] ?? 0) - 25)).toBeLessThan(2);
  });

  it('hashing the Call-ID spreads different calls within ±3 points of an even share', () => {
    const d = load('1 sip:a.example\n1 sip:b.example\n1 sip:c.example');
    const spread = shares(10_000, (i) => first(d, 1, 'hash-call-id', facts({ call_id: `${i}-a8f3@10.0.0.${i % 250}` })));
    for (const share of Object.values(spread)) expect(Math.abs(share - 100 / 3)).toBeLessThan(3);
    expect(Object.keys(spread)).toHaveLength(3);
  });
});

describe('TC-58 latency-optimised (alg 13)', () => {
  const latencies = [21, 91, 61, 19, 32, 0, 201];
  const hosts = latencies.map((_, i) => `sip:gw${i + 1}.example`);

  it('priorities 30 with latencies 21,91,61,19,32,0,201: calls are shared 1/3 each by destinations 1, 4 and 6', () => {
    const d = load(hosts.map((h, i) => `1 ${h} 0 30 latency=${latencies[i]}`).join('\n'));
    const split = shares(3000, () => first(d, 1, 'latency'));
    expect(split).toEqual({ 'sip:gw1.example': 100 / 3, 'sip:gw4.example': 100 / 3, 'sip:gw6.example': 100 / 3 });
  });

  it('works from latencies the prober records, and fails over in adjusted-priority order', () => {
    const d = load(hosts.map((h) => `1 ${h} 8 30`).join('\n'));
    hosts.forEach((h, i) => {
      for (let k = 0; k < 20; k++) expect(d.recordLatency(h, latencies[i]!)).toBe(1);
    });
    const s = d.select(1, { algorithm: 'latency' }, facts());
    if (!s.ok) throw new Error(s.reason);
    const order = s.destinations.map((x) => x.uri);
    expect(new Set(order.slice(0, 3))).toEqual(new Set(['sip:gw1.example', 'sip:gw4.example', 'sip:gw6.example']));
    expect(order.slice(3)).toEqual(['sip:gw5.example', 'sip:gw3.example', 'sip:gw2.example', 'sip:gw7.example']);
  });

  it('cc=1 ranks by congestion: a slow but steady destination is not handicapped', () => {
    const d = load('1 sip:steady.example 0 10 cc=1;latency=300\n1 sip:spiking.example 0 10 cc=1;latency=20');
    for (let k = 0; k < 30; k++) d.recordLatency('sip:spiking.example', 200);
    expect(shares(100, () => first(d, 1, 'latency'))).toEqual({ 'sip:steady.example': 100 });
  });
});

describe('TC-59 hash stickiness (alg 0, 1, 2, 3, 5, 7)', () => {
  const LIST = '1 sip:a.example\n1 sip:b.example\n1 sip:c.example\n1 sip:d.example';
  const variants: [SelectionConfig, (i: number) => RequestFacts][] = [
    [{ algorithm: 'hash-call-id' }, (i) => facts({ call_id: `call-${i}@host` })],
    [{ algorithm: 'hash-from' }, (i) => facts({ from: { uri: `sip:u${i}@example.com`, user: `u${i}`, host: 'example.com', tag: `t${i % 7}` } })],
    [{ algorithm: 'hash-to' }, (i) => facts({ to: { uri: `sip:u${i}@example.com`, user: `u${i}`, host: 'example.com' } })],
    [{ algorithm: 'hash-ruri' }, (i) => facts({ ruri: `sip:${1000 + i}@example.com` })],
    [{ algorithm: 'hash-auth-user' }, (i) => facts({ headers: { authorization: [`Digest username="u${i}", realm="example.com"`] } })],
    [{ algorithm: 'hash-pvar', hashPvar: template('$fU') }, (i) => facts({ from: { uri: `sip:u${i}@example.com`, user: `u${i}`, host: 'example.com', tag: 'x' } })],
  ];

  for (const [config, request] of variants) {
    it(`${config.algorithm}: the same key always gets the same destination; a destination going down moves only its own callers, to the next one in set order`, () => {
      const d = load(LIST);
      const order = d.sets.get(1)!.destinations.map((x) => x.uri);
      const before = Array.from({ length: 200 }, (_, i) => first(d, 1, config, request(i)));
      expect(Array.from({ length: 200 }, (_, i) => first(d, 1, config, request(i)))).toEqual(before);
      expect(new Set(before).size).toBe(4);
      const down = order[1]!;
      d.setState(1, down, { state: 'inactive', probing: true });
      const after = Array.from({ length: 200 }, (_, i) => first(d, 1, config, request(i)));
      after.forEach((uri, i) => expect(uri).toBe(before[i] === down ? order[2] : before[i]));
    });
  }

  it('hash-auth-user without credentials is round-robin', () => {
    const d = load(LIST);
    const picks = [1, 2, 3, 4].map(() => first(d, 1, 'hash-auth-user'));
    expect(new Set(picks).size).toBe(4);
  });

  it('a URI hash ignores parameters and the default port; hash_user_only ignores the host', () => {
    const d = load(LIST);
    const from = (uri: string): RequestFacts => facts({ from: { uri, host: 'x', tag: 'y' } });
    expect(first(d, 1, 'hash-from', from('sip:alice@example.com:5060;transport=tcp'))).toBe(first(d, 1, 'hash-from', from('sip:alice@example.com')));
    const spread = new Set(Array.from({ length: 40 }, (_, i) => first(d, 1, { algorithm: 'hash-from', hashUserOnly: true }, from(`sip:alice@host${i}.example`))));
    expect(spread.size).toBe(1);
  });

  it('an empty hash_pvar value or an unparsable URI gives no destination rather than a guess', () => {
    const d = load(LIST);
    const anonymous = facts({ from: { uri: 'sip:example.com', host: 'example.com', tag: 'x' } });
    expect(uris(d.select(1, { algorithm: 'hash-pvar', hashPvar: template('$fU') }, anonymous))).toBe('no-hash-key');
    expect(uris(d.select(1, { algorithm: 'hash-ruri' }, facts({ ruri: 'tel:+123' })))).toBe('no-hash-key');
  });
});

describe('TC-60 priority (alg 8) with serial failover, use_default, limit, parallel (alg 12)', () => {
  const LIST = '300 sip:kb-fs1:5080 0 10\n300 sip:rts.xswitch.cn:20003;transport=tcp 0 0';

  it('the priority-10 destination first, the other as the next one to try', () => {
    const d = load(LIST);
    expect(uris(d.select(300, { algorithm: 'priority' }, facts()))).toEqual(['sip:kb-fs1:5080', 'sip:rts.xswitch.cn:20003;transport=tcp']);
    expect(uris(d.select(300, { algorithm: 'priority', failover: false }, facts()))).toEqual(['sip:kb-fs1:5080']);
    d.setState(300, 'sip:kb-fs1:5080', { state: 'inactive', probing: true });
    expect(uris(d.select(300, { algorithm: 'priority' }, facts()))).toEqual(['sip:rts.xswitch.cn:20003;transport=tcp']);
  });

  it('failover order is after the selected one, then before it, usable ones only; limit caps the list', () => {
    const d = load('1 sip:a.example\n1 sip:b.example\n1 sip:c.example\n1 sip:d.example\n1 sip:e.example');
    // Set order is e, d, c, b, a (equal priorities, reverse file order); the round starts at e.
    expect(uris(d.select(1, { algorithm: 'round-robin' }, facts()))).toEqual(['sip:e.example', 'sip:d.example', 'sip:c.example', 'sip:b.example', 'sip:a.example']);
    d.setState(1, 'sip:b.example', { state: 'disabled', probing: false });
    expect(uris(d.select(1, { algorithm: 'round-robin' }, facts()))).toEqual(['sip:d.example', 'sip:c.example', 'sip:a.example', 'sip:e.example']);
    expect(uris(d.select(1, { algorithm: 'round-robin', limit: 2 }, facts()))).toEqual(['sip:c.example', 'sip:a.example']);
  });

  it('use_default: the last destination is never picked while another can take the call, and always comes last', () => {
    const d = load('1 sip:a.example 0 3\n1 sip:b.example 0 2\n1 sip:fallback.example 0 1');
    const config: SelectionConfig = { algorithm: 'round-robin', useDefault: true };
    const answers = [1, 2, 3, 4].map(() => uris(d.select(1, config, facts())));
    expect(answers).toEqual([
      ['sip:a.example', 'sip:b.example', 'sip:fallback.example'],
      ['sip:b.example', 'sip:a.example', 'sip:fallback.example'],
      ['sip:a.example', 'sip:b.example', 'sip:fallback.example'],
      ['sip:b.example', 'sip:a.example', 'sip:fallback.example'],
    ]);
    d.setState(1, 'sip:a.example', { state: 'inactive', probing: false });
    d.setState(1, 'sip:b.example', { state: 'inactive', probing: false });
    expect(uris(d.select(1, config, facts()))).toEqual(['sip:fallback.example']);
    d.setState(1, 'sip:fallback.example', { state: 'inactive', probing: false });
    expect(uris(d.select(1, config, facts()))).toBe('no-usable-destination');
  });

  it('parallel sends to every usable destination at once, even with failover off', () => {
    const d = load('1 sip:a.example 0 3\n1 sip:b.example 0 2\n1 sip:c.example 0 1');
    d.setState(1, 'sip:a.example', { state: 'inactive', probing: false });
    expect(uris(d.select(1, { algorithm: 'parallel', failover: false }, facts()))).toEqual(['sip:b.example', 'sip:c.example']);
  });
});

describe('call-load (alg 10)', () => {
  const LIST = '1 sip:a.example 0 2 duid=a;maxload=2\n1 sip:b.example 0 1 duid=b;maxload=1';

  it('sends each INVITE to the least loaded destination, skips those at maxload, 404 when all are full', () => {
    const d = load(LIST);
    let n = 0;
    const invite = (): string[] | string => uris(d.select(1, { algorithm: 'call-load' }, facts({ call_id: `call-${++n}` })));
    expect(invite()).toEqual(['sip:a.example', 'sip:b.example']);
    expect(invite()).toEqual(['sip:b.example', 'sip:a.example']);
    // b is at its maxload of 1: neither selected nor offered as failover.
    expect(invite()).toEqual(['sip:a.example']);
    expect([d.loadOf('a'), d.loadOf('b')]).toEqual([2, 1]);
    expect(invite()).toBe('no-usable-destination');
    d.callEnded('b');
    expect(invite()).toEqual(['sip:b.example']);
    d.callFailed('a');
    d.callFailed('a');
    d.callFailed('a');
    expect(d.loadOf('a')).toBe(0);
  });

  it('other methods take the first usable destination and are not counted', () => {
    const d = load(LIST);
    expect(uris(d.select(1, { algorithm: 'call-load' }, facts({ method: 'MESSAGE' })))).toEqual(['sip:a.example', 'sip:b.example']);
    expect([d.loadOf('a'), d.loadOf('b')]).toEqual([0, 0]);
  });

  it('maxload=0 means no limit', () => {
    const d = load('1 sip:only.example 0 0 duid=only;maxload=0');
    for (let i = 0; i < 500; i++) expect(first(d, 1, 'call-load', facts({ call_id: `c${i}` }))).toBe('sip:only.example');
    expect(d.loadOf('only')).toBe(500);
  });

  it('gives a call its load back by Call-ID when it fails or ends, moves it on a re-ask, and forgets it after the expiry', () => {
    let now = 0;
    const loaded = Dispatcher.fromList(LIST, { now: () => now, callLoadExpireMs: 60_000 });
    if (!loaded.ok) throw new Error(loaded.errors.join());
    const d = loaded.dispatcher;
    const call = (id: string): string => first(d, 1, 'call-load', facts({ call_id: id }));
    expect(call('x')).toBe('sip:a.example');
    expect(call('y')).toBe('sip:b.example');
    expect([d.loadOf('a'), d.loadOf('b'), d.countedCalls]).toEqual([1, 1, 2]);
    expect(d.callFailedById('x')).toBe(true);
    expect(d.callFailedById('x')).toBe(false); // once only
    expect(d.callEndedById('unknown')).toBe(false);
    expect([d.loadOf('a'), d.loadOf('b')]).toEqual([0, 1]);
    // the same call asked about again (a re-ask): its load moves, it is not counted twice
    call('y');
    expect(d.loadOf('a') + d.loadOf('b')).toBe(1);
    expect(d.callEndedById('y')).toBe(true);
    expect([d.loadOf('a'), d.loadOf('b'), d.countedCalls]).toEqual([0, 0, 0]);
    // a call whose end never comes is forgotten after the expiry, when the next call is counted
    call('lost');
    now = 61_000;
    call('next');
    expect(d.countedCalls).toBe(1);
    expect(d.loadOf('a') + d.loadOf('b')).toBe(1);
  });
});

describe('TC-61 reload', () => {
  it('a new list builds a new dispatcher with the new destinations and fresh state; the old one is untouched', () => {
    const old = load('1 sip:a.example 0 0 duid=a\n1 sip:b.example 0 0 duid=b');
    first(old, 1, 'call-load');
    old.setState(1, 'sip:a.example', { state: 'disabled', probing: false });
    const reloaded = load('1 sip:a.example 0 0 duid=a\n1 sip:b.example 0 0 duid=b\n1 sip:c.example 0 0 duid=c');
    expect(reloaded.sets.get(1)!.destinations.map((x) => x.uri)).toContain('sip:c.example');
    expect(reloaded.statusOf(1, 'sip:a.example')).toEqual({ state: 'active', probing: false });
    expect(reloaded.loadOf('b')).toBe(0);
    expect(old.statusOf(1, 'sip:a.example')).toEqual({ state: 'disabled', probing: false });
    expect(old.loadOf('b')).toBe(1);
  });
});
