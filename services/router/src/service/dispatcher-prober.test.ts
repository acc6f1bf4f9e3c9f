/**
 * The prober over the in-process bus with a stand-in edge answering the probe requests: state
 * changes, latency feed, what happens when no edge is there, and one probe per destination at a time.
 */
import { createValidators, JsonRpcErrorCode, subjects, type OptionsProbeResult } from '@sipmesh/contracts';
import { createLogger, LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../policy/dispatcher/dispatcher.js';
import { parseReplyCodes } from '../policy/dispatcher/probe-state.js';
import { DispatcherProber, type ProbeConfig } from './dispatcher-prober.js';

const A = 'sip:192.0.2.1:5060';
const B = 'sip:192.0.2.2:5060';

function setup(list = `1 ${A}\n1 ${B}\n`): { bus: LocalBus; dispatcher: Dispatcher; prober: DispatcherProber; counts: Map<string, number> } {
  const bus = new LocalBus();
  const loaded = Dispatcher.fromList(list);
  if (!loaded.ok) throw new Error(loaded.errors.join());
  const counts = new Map<string, number>();
  const inc = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
  const prober = new DispatcherProber(bus, 'r1', createValidators(), { probe: (o) => inc(`probe ${o}`), transition: (d) => inc(`transition ${d}`) }, createLogger({ service: 'router', level: 'silent' }));
  return { bus, dispatcher: loaded.dispatcher, prober, counts };
}

const codes = parseReplyCodes('code=403');
const config = (over: Partial<ProbeConfig['rules']> = {}): ProbeConfig => ({
  intervalMs: 0, // rounds driven by the test
  rules: { mode: 1, threshold: 1, inactiveThreshold: 1, upCodes: codes.ok ? codes.value : { codes: new Set(), classes: new Set() }, ...over },
  from: 'sip:dispatcher@localhost',
  timeoutMs: 1000,
});

/** A stand-in edge: answers each probe with what `answer(uri)` says. */
function fakeEdge(bus: LocalBus, answer: (uri: string) => Partial<OptionsProbeResult> | 'error'): { asked: { uri: string; from: string }[] } {
  const asked: { uri: string; from: string }[] = [];
  bus.subscribe(subjects.anyEdgeRpc('options'), (msg) => {
    const req = msg.json<{ id: string; params: { uri: string; from: string } }>();
    asked.push({ uri: req.params.uri, from: req.params.from });
    const a = answer(req.params.uri);
    const body = a === 'error' ? { jsonrpc: '2.0', id: req.id, error: { code: JsonRpcErrorCode.edgeActionFailed, message: 'no tls listener' } } : { jsonrpc: '2.0', id: req.id, result: { status: 200, reason: 'OK', local: false, rtt_ms: 12, edge: 'e1', ...a } };
    msg.respond(Buffer.from(JSON.stringify(body)));
  }, { queue: 'sipmesh-edge' });
  return { asked };
}

describe('DispatcherProber', () => {
  it('takes a failing destination down, brings it back, and feeds latency', async () => {
    const { bus, dispatcher, prober, counts } = setup();
    let bDown = true;
    const edge = fakeEdge(bus, (uri) => (uri === B && bDown ? { status: 408, reason: 'Request Timeout', local: true } : { status: 200 }));
    prober.use(dispatcher, config());
    await prober.probeAll();
    expect(edge.asked.map((a) => a.uri).sort()).toEqual([A, B]);
    expect(edge.asked[0]?.from).toBe('sip:dispatcher@localhost');
    expect(dispatcher.statusOf(1, B)).toEqual({ state: 'inactive', probing: true });
    expect(dispatcher.statusOf(1, A)).toEqual({ state: 'active', probing: true });
    expect(dispatcher.snapshot()[0]?.destinations.find((d) => d.destination.uri === A)?.latency?.average).toBe(12);
    bDown = false;
    await prober.probeAll();
    expect(dispatcher.statusOf(1, B)).toEqual({ state: 'active', probing: true });
    expect(counts.get('transition down')).toBe(1);
    expect(counts.get('transition up')).toBe(1);
    const events = bus.readEvents().filter((e) => e.subject === subjects.events.dispatcherState);
    expect(events).toHaveLength(2);
    for (const e of events) expect(createValidators().dispatcherState(JSON.parse(new TextDecoder().decode(e.data))).ok).toBe(true);
  });

  it('counts the configured reply codes as up and an edge that cannot send as down', async () => {
    const { bus, dispatcher, prober } = setup();
    fakeEdge(bus, (uri) => (uri === A ? { status: 403, reason: 'Forbidden' } : 'error'));
    prober.use(dispatcher, config());
    await prober.probeAll();
    expect(dispatcher.statusOf(1, A)?.state).toBe('active');
    expect(dispatcher.statusOf(1, B)?.state).toBe('inactive');
  });

  it('leaves every state alone when no edge can take the probe', async () => {
    const { dispatcher, prober, counts } = setup();
    prober.use(dispatcher, config());
    await prober.probeAll();
    expect(dispatcher.statusOf(1, A)?.state).toBe('active');
    expect(dispatcher.statusOf(1, B)?.state).toBe('active');
    expect(counts.get('probe unavailable')).toBe(2);
  });

  it('skips disabled and no-ping destinations, and uses a destination ping_from', async () => {
    const { bus, dispatcher, prober } = setup(`1 ${A} 4\n1 ${B} 32\n1 sip:192.0.2.3 0 0 ping_from=sip:probe@example.com\n`);
    const edge = fakeEdge(bus, () => ({ status: 200 }));
    prober.use(dispatcher, config());
    await prober.probeAll();
    expect(edge.asked).toEqual([{ uri: 'sip:192.0.2.3', from: 'sip:probe@example.com' }]);
  });

  it('has one probe per destination in flight at a time', async () => {
    const { bus, dispatcher, prober } = setup(`1 ${A}\n`);
    const asked: string[] = [];
    bus.subscribe(subjects.anyEdgeRpc('options'), (msg) => {
      asked.push('x');
      const req = msg.json<{ id: string }>();
      setTimeout(() => msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { status: 200, reason: 'OK', local: false, rtt_ms: 1, edge: 'e' } }))), 50);
    });
    prober.use(dispatcher, config());
    await Promise.all([prober.probeAll(), prober.probeAll(), prober.probeAll()]);
    expect(asked).toHaveLength(1);
  });
});
