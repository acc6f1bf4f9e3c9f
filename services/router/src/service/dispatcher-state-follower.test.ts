/**
 * Routers share dispatcher destination states through the dispatcher-state events: what one
 * router's keepalives found, the others apply at once.
 */
import { createValidators, CONTRACT_VERSION, subjects, type DispatcherStateEvent } from '@sipmesh/contracts';
import { createLogger, LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../policy/dispatcher/dispatcher.js';
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
