// The registrar's REGISTER handling in one process, without SIP and NATS: what each accepted
// REGISTER costs the registrar (its client CPU) and Redis (commands' time and the redis-server
// process's CPU), for the two ways a good digest reaches the store:
//   - `two-step`: the digest accepted by one script (ban, nonce count), the AoR read meanwhile,
//     then written by a compare-and-set: three scripts, two round trips one after the other;
//   - `one-step`: accepted and written by one script from the AoR as the registrar presumes it
//     (service/accept-and-save.ts, the registrar's path with the redis store).
// Against a private redis-server (no persistence) on a free port, through the registrar's own
// handleRegister (services/registrar/dist: run `npm run build` first), `--aors` new AoRs with
// `--concurrency` REGISTERs in flight; `--refresh` registers every AoR once first and measures the
// second REGISTER of each (a refresh through the same registrar). Banning off, qop=auth, as the
// bench's SUT (sut-registrar.sh). A refresh takes one script only when the registrar still
// remembers the AoR: `--recent-aors` (default the registrar's `location.recentAors`, 10,000).
//
//   node test/bench/register-handler-bench.mjs [--aors 20000] [--concurrency 50] [--rounds 2] [--refresh] [--recent-aors N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { freeTcpPort, portListens } from './lib/tcp-ports.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../services/registrar/dist');
const load = (p) => import(pathToFileURL(path.join(dist, p)).href);
const auth = await load('auth/index.js');
const { clientAuthorization, nonceOf } = await load('auth/digest-client.fixture.js');
const { RedisLocationStore } = await load('location/index.js');
const { DEFAULT_REGISTER_CONFIG } = await load('register/index.js');
const { RedisAcceptAndSave } = await load('service/accept-and-save.js');
const { handleRegister } = await load('service/register-handler.js');
const { registerParams } = await load('service/register-params.fixture.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const AORS = opt('aors', 20000);
const CONCURRENCY = opt('concurrency', 50);
const ROUNDS = opt('rounds', 2);
const REFRESH = args.includes('--refresh');
const RECENT_AORS = opt('recent-aors', undefined);

const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-reghandler-'));
const port = await freeTcpPort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const redis = new Redis({ port, enableAutoPipelining: true, lazyConnect: true, maxRetriesPerRequest: 1 });
try {
  // connect once the server listens: a failed connect() leaves ioredis reconnecting on its own
  for (let i = 0; !(await portListens(port)); i++) {
    if (i > 50) throw new Error(`redis-server did not listen on ${port}`);
    await sleep(100);
  }
  await redis.connect();
  await redis.ping();
} catch (e) {
  redis.disconnect();
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  throw e;
}

const config = auth.digestConfig({ secret: 'bench-secret', ban: { maxFailures: 0, windowSec: 300, banSec: 300 } });
const subscribers = new Map();
const credentials = {
  find: (user) => {
    let s = subscribers.get(user);
    if (s === undefined) subscribers.set(user, (s = auth.makeSubscriber({ username: user, domain: 'example.com', password: `pw-${user}` })));
    return Promise.resolve(s);
  },
};

/** One registrar's state over the Redis, with or without the one-step path. */
function registrar(mode, prefix) {
  const store = new RedisLocationStore({ redis, keyPrefix: `${prefix}loc:`, ...(RECENT_AORS !== undefined ? { recentAors: RECENT_AORS } : {}) });
  const nonceCounts = new auth.RedisNonceCountTracker(redis, { keyPrefix: `${prefix}nc:` });
  const bans = new auth.RedisBanTracker(redis, config.ban, { keyPrefix: `${prefix}ban:` });
  const acceptor = new auth.RedisAuthAcceptor(redis, bans, nonceCounts);
  const authenticator = new auth.DigestAuthenticator({ config, credentials, nonceCounts, bans, acceptor });
  return {
    authenticator,
    deps: { store, register: DEFAULT_REGISTER_CONFIG, authenticator, natTest: 0, now: Date.now, ...(mode === 'one-step' ? { acceptAndSave: new RedisAcceptAndSave(redis, store, acceptor) } : {}) },
  };
}

function params(r, user, cseq) {
  const nonce = nonceOf(r.authenticator.challengeHeaders('example.com', false, true).headers[0]);
  const authorization = clientAuthorization({ username: user, password: `pw-${user}`, realm: 'example.com', nonce, method: 'REGISTER', uri: 'sip:example.com' });
  return registerParams({ user, cseq, expires: 3600, authorization });
}

/** Every AoR registered once more; the requests are built before the clock starts. */
async function registerAll(r, round, cseq) {
  const requests = Array.from({ length: AORS }, (_, i) => params(r, `u${round}-${i}`, cseq));
  let next = 0;
  let refused = 0;
  const before = await sample();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const h = await handleRegister(requests[next++], r.deps);
        if (h.reply.code !== 200) refused++;
      }
    }),
  );
  const after = await sample();
  if (refused > 0) throw new Error(`${refused} REGISTERs not answered 200`);
  return diff(before, after);
}

async function sample() {
  const stats = await redis.info('commandstats');
  let usec = 0;
  let scripts = 0;
  for (const m of stats.matchAll(/cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g)) {
    if (m[1] === 'evalsha' || m[1] === 'eval') {
      usec += Number(m[3]);
      scripts += Number(m[2]);
    }
  }
  const cpu = await redis.info('cpu');
  const redisCpu = Number(/used_cpu_user:([\d.]+)/.exec(cpu)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)[1]);
  const c = process.cpuUsage();
  return { usec, scripts, redisCpuUs: redisCpu * 1e6, clientCpuUs: c.user + c.system, at: performance.now() };
}

function diff(a, b) {
  return {
    scripts: (b.scripts - a.scripts) / AORS,
    scriptUs: (b.usec - a.usec) / AORS,
    redisCpuUs: (b.redisCpuUs - a.redisCpuUs) / AORS,
    clientCpuUs: (b.clientCpuUs - a.clientCpuUs) / AORS,
    perSecond: AORS / ((b.at - a.at) / 1000),
  };
}

const fmt = (x) => x.toFixed(1).padStart(7);
console.log(`REGISTER handling in one process against a private redis-server: ${AORS} AoRs ${REFRESH ? 'refreshed' : 'new'}, ${CONCURRENCY} in flight, ${ROUNDS} rounds of each mode (interleaved)${RECENT_AORS !== undefined ? `, recentAors ${RECENT_AORS}` : ''}`);
console.log('mode       scripts/reg  script us/reg  redis cpu us/reg  registrar cpu us/reg   reg/s');
try {
  // a warm-up round of each mode, not reported
  for (let round = 0; round <= ROUNDS; round++) {
    for (const mode of ['two-step', 'one-step']) {
      const r = registrar(mode, `bench:${mode}:${round}:`);
      if (REFRESH) await registerAll(r, round, 1);
      const d = await registerAll(r, round, REFRESH ? 2 : 1);
      if (round > 0) console.log(`${mode.padEnd(10)} ${fmt(d.scripts)}     ${fmt(d.scriptUs)}        ${fmt(d.redisCpuUs)}           ${fmt(d.clientCpuUs)}      ${d.perSecond.toFixed(0).padStart(6)}`);
      await redis.flushall();
    }
  }
} finally {
  redis.disconnect();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
