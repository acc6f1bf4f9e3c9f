/**
 * `sipmesh-conformance --nats <url> --policy <name> [--users 9196,0049...] [--timeout-ms 5000]`:
 * runs the bus contract checks against a routing service and prints one line per check; exits 1
 * when any fails.
 */
import { connectNatsBus } from '@sipmesh/runtime';
import { runConformance } from './conformance.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const policy = arg('--policy');
if (policy === undefined || process.argv.includes('--help')) {
  console.log('usage: sipmesh-conformance --nats nats://127.0.0.1:4222 --policy <name> [--users 9196,100] [--timeout-ms 5000]');
  process.exit(policy === undefined ? 2 : 0);
}
const bus = await connectNatsBus({ servers: arg('--nats') ?? process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', name: 'sipmesh-conformance' });
try {
  const users = arg('--users')?.split(',').filter((u) => u !== '');
  const timeout = arg('--timeout-ms');
  const checks = await runConformance(bus, policy, { ...(users ? { users } : {}), ...(timeout ? { timeoutMs: Number(timeout) } : {}) });
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(`${checks.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  await bus.close();
}
