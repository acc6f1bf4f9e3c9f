import { describe, expect, it } from 'vitest';
import { callersOf, packageOf, shortUrl, summarizeCpuProfile, type CpuProfile } from './cpu-profile.mjs';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, scriptId: '0', columnNumber: 0 });

// (root) -> onInbound (edge) -> parseMessage (edge) ; onInbound -> send (nats) -> writeBuffer (native) ; (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6] },
    { id: 2, callFrame: frame('onInbound', 'file:///repo/services/edge/dist/proxy/edge-core.js', 73), children: [3, 4] },
    { id: 3, callFrame: frame('parseMessage', 'file:///repo/services/edge/dist/parser/parse-message.js', 26) },
    { id: 4, callFrame: frame('send', 'file:///repo/node_modules/@nats-io/transport-node/lib/node_transport.js', 389), children: [5] },
    { id: 5, callFrame: frame('writeBuffer') },
    { id: 6, callFrame: frame('(idle)') },
  ],
  startTime: 1_000_000,
  endTime: 1_000_600,
  // sample i is charged with timeDeltas[i + 1]
  samples: [3, 3, 5, 2, 6, 6],
  timeDeltas: [0, 100, 100, 100, 100, 100],
};

describe('summarizeCpuProfile', () => {
  it('splits busy time by function, package and inclusive time; idle apart', () => {
    const s = summarizeCpuProfile(profile);
    expect(s.sampled_ms).toBe(1); // 500 us, rounded (the last sample has no following delta)
    expect(s.idle_pct).toBe(20);
    expect(s.self_by_function).toEqual([
      { name: 'parseMessage services/edge/dist/parser/parse-message.js:27', ms: 0.2, pct_of_busy: 50 },
      { name: 'writeBuffer :1', ms: 0.1, pct_of_busy: 25 },
      { name: 'onInbound services/edge/dist/proxy/edge-core.js:74', ms: 0.1, pct_of_busy: 25 },
    ]);
    expect(s.self_by_package.map((r) => r.name)).toEqual(['services/edge parser', '(native/builtin)', 'services/edge proxy']);
    expect(s.total_by_function[0]).toEqual({ name: 'onInbound services/edge/dist/proxy/edge-core.js:74', ms: 0.4, pct_of_busy: 100 });
  });

  it('keeps only the samples inside a monotonic window', () => {
    // sample times: 1_000_000, 1_000_100, 1_000_200, 1_000_300, ...
    const s = summarizeCpuProfile(profile, { fromUs: 1_000_150, toUs: 1_000_350 });
    expect(s.self_by_function.map((r) => r.name)).toEqual(['writeBuffer :1', 'onInbound services/edge/dist/proxy/edge-core.js:74']);
  });
});

describe('callersOf', () => {
  it('splits a function by its direct caller, or by the nearest own-code caller', () => {
    expect(callersOf(profile, 'writeBuffer')).toEqual([{ name: 'send node_modules/@nats-io/transport-node/lib/node_transport.js:390', ms: 0.1, pct_of_busy: 100 }]);
    expect(callersOf(profile, 'writeBuffer', { ownCode: true })).toEqual([{ name: 'onInbound services/edge/dist/proxy/edge-core.js:74', ms: 0.1, pct_of_busy: 100 }]);
  });
});

describe('names', () => {
  it('shortens script URLs and buckets frames', () => {
    expect(shortUrl('file:///work/main/node_modules/@nats-io/nats-core/lib/parser.js')).toBe('node_modules/@nats-io/nats-core/lib/parser.js');
    expect(shortUrl('file:///work/main/packages/runtime/dist/bus/nats-bus.js')).toBe('packages/runtime/dist/bus/nats-bus.js');
    expect(packageOf(frame('parse', 'file:///x/node_modules/@nats-io/nats-core/lib/parser.js'))).toBe('@nats-io/nats-core');
    expect(packageOf(frame('x', 'file:///x/node_modules/ajv/dist/core.js'))).toBe('ajv');
    expect(packageOf(frame('emit', 'node:events'))).toBe('node:internals');
    expect(packageOf(frame('(garbage collector)'))).toBe('(garbage collector)');
  });
});
