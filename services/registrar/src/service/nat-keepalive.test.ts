/**
 * NAT keep-alive rounds against an edge on the in-process bus that records what it was asked:
 * UDP bindings get an OPTIONS, TCP bindings a CRLF keep-alive on their connection (or an OPTIONS
 * when configured so), and a binding whose connection is gone is removed after maxFailures rounds.
 */
import { createValidators, subjects, type OptionsProbeParams, type OptionsProbeResult } from '@sipmesh/contracts';
import { createLogger, LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import type { Binding } from '../location/index.js';
import { MemoryLocationStore } from '../location/memory-location-store.js';
import { NatKeepalive, type NatKeepaliveConfig } from './nat-keepalive.js';

const NOW = Date.now();

function binding(aor: string, received: string): Binding {
  return { aor, contact: `sip:${aor}@10.0.0.9:5060`, ruid: `ruid-${aor}`, expiresAtMs: NOW + 600_000, q: undefined, callId: `c-${aor}`, cseq: 1, received, edge: 'e1', nat: true, lastModifiedMs: NOW };
}

async function setUp(config: Partial<NatKeepaliveConfig>, answer: (p: OptionsProbeParams) => OptionsProbeResult) {
  const bus = new LocalBus();
  const asked: OptionsProbeParams[] = [];
  bus.subscribe(subjects.edgeRpc('e1', 'options'), (msg) => {
    const req = msg.json<{ id: string; params: OptionsProbeParams }>();
    asked.push(req.params);
    msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: answer(req.params) })));
  });
  const store = new MemoryLocationStore();
  for (const b of [binding('udp', 'sip:198.51.100.1:40000'), binding('tcp', 'sip:198.51.100.2:40001;transport=tcp')]) {
    const snap = await store.read(b.aor);
    await store.replace(b.aor, snap, [b]);
  }
  const removed: string[] = [];
  const keepalive = new NatKeepalive(
    { enabled: true, intervalSec: 30, maxFailures: 2, timeoutMs: 500, from: '', concurrency: 4, ...config },
    {
      bus,
      store,
      validators: createValidators(),
      logger: createLogger({ service: 't', level: 'silent' }),
      remove: async (b) => {
        removed.push(b.aor);
        await store.remove(b.aor);
      },
    },
  );
  return { keepalive, asked, removed };
}

const ok = (p: OptionsProbeParams): OptionsProbeResult =>
  p.keepalive === 'crlf' ? { status: 200, reason: 'Keep-alive Sent', local: true, rtt_ms: 0, edge: 'e1' } : { status: 200, reason: 'OK', local: false, rtt_ms: 3, edge: 'e1' };

describe('NAT keep-alive', () => {
  it('sends an OPTIONS to UDP bindings and a CRLF keep-alive to TCP ones, both alive', async () => {
    const { keepalive, asked, removed } = await setUp({}, ok);
    expect(await keepalive.round()).toMatchObject({ pinged: 2, answered: 2, failed: 0, removed: 0 });
    const byDst = Object.fromEntries(asked.map((p) => [p.dst_uri, p.keepalive ?? 'options']));
    expect(byDst).toEqual({ 'sip:198.51.100.1:40000': 'options', 'sip:198.51.100.2:40001;transport=tcp': 'crlf' });
    expect(removed).toEqual([]);
  });

  it('removes a TCP binding whose connection is gone after maxFailures rounds', async () => {
    const { keepalive, removed } = await setUp({}, (p) => (p.keepalive === 'crlf' ? { status: 477, reason: 'No Open Connection', local: true, rtt_ms: 0, edge: 'e1' } : ok(p)));
    expect(await keepalive.round()).toMatchObject({ answered: 1, failed: 1, removed: 0 });
    expect(await keepalive.round()).toMatchObject({ answered: 1, failed: 1, removed: 1 });
    expect(removed).toEqual(['tcp']);
  });

  it('sends OPTIONS over TCP too when tcp is options', async () => {
    const { keepalive, asked } = await setUp({ tcp: 'options' }, ok);
    await keepalive.round();
    expect(asked.map((p) => p.keepalive)).toEqual([undefined, undefined]);
  });
});
