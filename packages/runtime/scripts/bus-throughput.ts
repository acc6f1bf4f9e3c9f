// Request/reply throughput of LocalBus and NatsBus (not a test: numbers depend on the machine).
//
//   node packages/runtime/scripts/run-ts.mjs packages/runtime/scripts/bus-throughput.ts [nats-url]
//
// For each bus: two responders in queue group "bench" (for NATS on their own connection, in
// this process), a ~150-byte JSON request, first one request in flight (latency), then
// 20 000 requests with 200 in flight (throughput).
import { connectNatsBus, LocalBus, type Bus } from '../src/index.js';

const natsUrl = process.argv[3] ?? '127.0.0.1:4222';
const TOTAL = 20_000;
const WINDOW = 200;
const SEQUENTIAL = 5_000;
const payload = Buffer.from(
  JSON.stringify({ jsonrpc: '2.0', method: 'route', id: 'edge-1.4711.1', params: { ruri: 'sip:alice@example.com', from: 'sip:bob@example.com', callId: 'a84b4c76e66710' } }),
);

interface Result {
  bus: string;
  mode: string;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function run(name: string, requester: Bus, responders: Bus[]): Promise<Result[]> {
  const subject = `bench.${name}.route`;
  for (const r of responders) {
    r.subscribe(subject, (m) => {
      m.respond(m.data);
    }, { queue: 'bench' });
    await r.flush();
  }
  // Warm-up: JIT and connection buffers.
  for (let i = 0; i < 2_000; i++) await requester.request(subject, payload, { timeoutMs: 5_000 });

  const sequential = await measure(SEQUENTIAL, 1, () => requester.request(subject, payload, { timeoutMs: 5_000 }));
  const windowed = await measure(TOTAL, WINDOW, () => requester.request(subject, payload, { timeoutMs: 5_000 }));
  return [
    { bus: name, mode: '1 in flight', ...sequential },
    { bus: name, mode: `${WINDOW} in flight`, ...windowed },
  ];
}

async function measure(total: number, window: number, send: () => Promise<unknown>): Promise<Omit<Result, 'bus' | 'mode'>> {
  const latencies = new Float64Array(total);
  let started = 0;
  const t0 = performance.now();
  async function worker(): Promise<void> {
    while (started < total) {
      const i = started++;
      const s = performance.now();
      await send();
      latencies[i] = performance.now() - s;
    }
  }
  await Promise.all(Array.from({ length: window }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((x, y) => x - y);
  return {
    requests: total,
    perSecond: Math.round(total / seconds),
    p50Ms: round(sorted[Math.floor(total * 0.5)] ?? 0),
    p99Ms: round(sorted[Math.floor(total * 0.99)] ?? 0),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

const results: Result[] = [];
const local = new LocalBus();
results.push(...(await run('local', local, [local, local])));
await local.close();

const requester = await connectNatsBus({ servers: natsUrl, name: 'bench-requester' });
const responderA = await connectNatsBus({ servers: natsUrl, name: 'bench-responder-a' });
const responderB = await connectNatsBus({ servers: natsUrl, name: 'bench-responder-b' });
results.push(...(await run('nats', requester, [responderA, responderB])));
await Promise.all([requester.drain(), responderA.drain(), responderB.drain()]);

console.log(`node ${process.version}, payload ${payload.byteLength} B`);
console.table(results);
