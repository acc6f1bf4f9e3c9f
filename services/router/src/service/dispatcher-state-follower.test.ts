/**
 * Routers share dispatcher destination states through the dispatcher-state events: what one
 * router's keepalives found, the others apply at once.
 */
import { createValidators, CONTRACT_VERSION, decodeEvents, subjects, type DispatcherStateEvent } from '@sipmesh/contracts';
import { createLogger, LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../policy/dispatcher/dispatcher.js';
import { DispatcherProber } from './dispatcher-prober.js';
import { DispatcherStateFollower } from './dispatcher-state-follower.js';

function dispatcher(): Dispatcher {
  const r = Dispatcher.fromList('1 sip:192.0.2.11:5060\n1 sip:192.0.2.12:5060\n');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.dispatcher;
}

function event(fields: Partial<DispatcherStateEvent>): DispatcherStateEvent {
  return {
    event_id: `r2.ds.${Math.random().toString(36).slice(2)}`,
    type: 'dispatcher.state',
    version: CONTRACT_VERSION,
    time: new Date().toISOString(),
    router: 'r2',
    set: 1,
    uri: 'sip:192.0.2.11:5060',
    state: 'inactive',
    previous: 'trying',
    probing: true,
    direction: 'down',
    status: 408,
    reason: 'Request Timeout',
    local: true,
    ...fields,
  };
}

async function setUp(): Promise<{ bus: LocalBus; d: Dispatcher; followed: number[] }> {
  const bus = new LocalBus();
  const d = dispatcher();
  const followed: number[] = [];
  new DispatcherStateFollower(bus, 'r1', createValidators(), () => d, createLogger({ service: 't', level: 'silent' }), () => followed.push(1)).start();
  return { bus, d, followed };
}

const publish = async (bus: LocalBus, e: unknown): Promise<void> => {
  await bus.publishEvent(subjects.events.dispatcherState, Buffer.from(JSON.stringify(e)), { msgId: (e as { event_id: string }).event_id });
  await bus.flush();
};

describe('dispatcher states shared by routers', () => {
  it("takes over another router's down and up transitions", async () => {
    const { bus, d, followed } = await setUp();
    await publish(bus, event({}));
    expect(d.statusOf(1, 'sip:192.0.2.11:5060')).toEqual({ state: 'inactive', probing: true });
    await publish(bus, event({ state: 'active', previous: 'inactive', direction: 'up', status: 200, reason: 'OK', local: false }));
    expect(d.statusOf(1, 'sip:192.0.2.11:5060')).toEqual({ state: 'active', probing: true });
    expect(followed).toHaveLength(2);
  });

  it('ignores its own announcements, unknown destinations and events out of contract', async () => {
    const { bus, d, followed } = await setUp();
    await publish(bus, event({ router: 'r1' }));
    await publish(bus, event({ uri: 'sip:198.51.100.9:5060' }));
    await publish(bus, { ...event({}), state: 'sleeping' });
    expect(d.statusOf(1, 'sip:192.0.2.11:5060')?.state).toBe('active');
    expect(followed).toEqual([]);
  });
});

describe('dispatcher.set_state shared by routers', () => {
  it("applies an operator's state set on another router, for one destination and for all", async () => {
    const bus = new LocalBus();
    const logger = createLogger({ service: 't', level: 'silent' });
    const [d1, d2] = [dispatcher(), dispatcher()];
    const counters = { probe: () => undefined, transition: () => undefined };
    const p1 = new DispatcherProber(bus, 'r1', createValidators(), counters, logger);
    p1.use(d1, undefined);
    new DispatcherStateFollower(bus, 'r2', createValidators(), () => d2, logger).start();

    expect(p1.setStateByAdmin(1, 'SIP:192.0.2.12:5060', { state: 'inactive', probing: false })).toBe(true);
    await bus.flush();
    expect(d1.statusOf(1, 'sip:192.0.2.12:5060')).toEqual({ state: 'inactive', probing: false });
    expect(d2.statusOf(1, 'sip:192.0.2.12:5060')).toEqual({ state: 'inactive', probing: false });
    expect(d2.statusOf(1, 'sip:192.0.2.11:5060')?.state).toBe('active');

    expect(p1.setStateByAdmin(1, 'all', { state: 'disabled', probing: false })).toBe(true);
    await bus.flush();
    expect([d2.statusOf(1, 'sip:192.0.2.11:5060')?.state, d2.statusOf(1, 'sip:192.0.2.12:5060')?.state]).toEqual(['disabled', 'disabled']);

    const announced = bus.readEvents().flatMap((e) => decodeEvents(e.data) as DispatcherStateEvent[]);
    expect(announced.map((e) => `${e.cause} ${e.uri} ${e.previous}->${e.state} ${e.direction}`).sort()).toEqual([
      'admin sip:192.0.2.11:5060 active->disabled down',
      'admin sip:192.0.2.12:5060 active->inactive down',
      'admin sip:192.0.2.12:5060 inactive->disabled down',
    ]);
    // unknown set or URI: nothing set, nothing announced
    expect(p1.setStateByAdmin(7, 'all', { state: 'active', probing: false })).toBe(false);
    expect(p1.setStateByAdmin(1, 'sip:198.51.100.1', { state: 'active', probing: false })).toBe(false);
    expect(bus.readEvents()).toHaveLength(3);
  });
});
