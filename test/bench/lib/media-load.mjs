/**
 * The load of the media scenario: offer -> answer -> delete cycles, each a new call, `concurrency`
 * of them in flight, either through media-control over NATS (JSON-RPC requests on
 * sipmesh.media.v1.offer|answer|delete, as the edge will send them) or straight to rtpengine with
 * the ng client (the same ng keys media-control builds from the same flags). Every command's round
 * trip is timed at the asking side; every reply is checked (an SDP on rtpengine's address without
 * ICE, a delete that found its call); anything else counts as an error with its message.
 *
 * The SDPs are those of a 1:1 call with NAT: the caller a softphone behind a NAT (private address
 * in o= and c=, ICE candidates host + server-reflexive), the callee a gateway on a public address,
 * one audio m-line each (PCMU, PCMA, telephone-event).
 */
import { performance } from 'node:perf_hooks';

export const OFFER_FLAGS = 'replace-origin replace-session-connection ICE=remove';
export const ANSWER_FLAGS = 'replace-origin replace-session-connection ICE=remove';
/** Where the INVITE and the 200 came from (NAT's public address, the gateway): the edge passes it as received_from. */
const CALLER_SOURCE = '198.51.100.23';
const CALLEE_SOURCE = '203.0.113.50';

export function callerSdp(n) {
  return [
    'v=0',
    `o=- ${1_000_000 + n} ${1_000_000 + n} IN IP4 192.168.1.23`,
    's=-',
    'c=IN IP4 192.168.1.23',
    't=0 0',
    `m=audio ${10_000 + 2 * (n % 5000)} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=ice-ufrag:Fz8Q',
    'a=ice-pwd:p1n4xZ0bQm3kLrT6vW9yA2cE',
    `a=candidate:1 1 UDP 2130706431 192.168.1.23 ${10_000 + 2 * (n % 5000)} typ host`,
    `a=candidate:2 1 UDP 1694498815 ${CALLER_SOURCE} ${40_000 + (n % 20_000)} typ srflx raddr 192.168.1.23 rport ${10_000 + 2 * (n % 5000)}`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

export function calleeSdp(n) {
  return [
    'v=0',
    `o=gw ${2_000_000 + n} ${2_000_000 + n} IN IP4 ${CALLEE_SOURCE}`,
    's=gw',
    `c=IN IP4 ${CALLEE_SOURCE}`,
    't=0 0',
    `m=audio ${30_000 + 2 * (n % 10_000)} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** An SDP from rtpengine: its address in c=, an audio port of its range, ICE removed. */
function sdpProblem(sdp, rtpe) {
  if (typeof sdp !== 'string') return 'no sdp in the reply';
  if (!sdp.includes('c=IN IP4 127.0.0.1')) return 'sdp without rtpengine\'s address';
  if (sdp.includes('a=candidate') || sdp.includes('a=ice-')) return 'sdp still has ICE attributes';
  const port = Number(/m=audio (\d+)/.exec(sdp)?.[1]);
  if (!(port >= rtpe.portMin && port <= rtpe.portMax)) return `sdp audio port ${port} outside rtpengine's ${rtpe.portMin}-${rtpe.portMax}`;
  return null;
}

/** A message without its call's ids, so that one failure repeated counts as one kind. */
function errorKind(message) {
  return String(message).replace(/mb-[\w.-]+/g, '<call>').replace(/\b(ft|tt)\d+\b/g, '<tag>').slice(0, 300);
}

class CommandFailed extends Error {}

/**
 * The three commands of one call through media-control: `request(subject, body, timeoutMs)` is
 * the NATS request (resolves with the reply's text). Resolves with [ms offer, ms answer, ms delete]
 * (null for a command not sent) and the error of the cycle, if any.
 */
export function mediaControlCycle({ request, subjects, rtpe, timeoutMs, tag }) {
  const call = async (method, params, n) => {
    const t0 = performance.now();
    const text = await request(subjects[method], JSON.stringify({ jsonrpc: '2.0', id: `mb.${n}.${method}`, method, params }), timeoutMs);
    const ms = performance.now() - t0;
    const reply = JSON.parse(text);
    if (reply.error) throw new CommandFailed(`${method}: ${reply.error.code} ${reply.error.message}`);
    return { ms, result: reply.result };
  };
  return async (n) => {
    const ids = { version: '1.0', call_id: `mb-${tag}-${n}`, from_tag: `ft${n}` };
    const times = [null, null, null];
    let error = null;
    let step = 'offer';
    try {
      const o = await call('offer', { ...ids, side: 'caller', sdp: callerSdp(n), flags: OFFER_FLAGS, received_from: CALLER_SOURCE, edge: 'bench' }, n);
      times[0] = o.ms;
      const p = sdpProblem(o.result.sdp, rtpe);
      if (p) throw new CommandFailed(`offer: ${p}`);
      step = 'answer';
      const a = await call('answer', { ...ids, to_tag: `tt${n}`, side: 'callee', sdp: calleeSdp(n), flags: ANSWER_FLAGS, received_from: CALLEE_SOURCE, edge: 'bench' }, n);
      times[1] = a.ms;
      const q = sdpProblem(a.result.sdp, rtpe);
      if (q) throw new CommandFailed(`answer: ${q}`);
    } catch (e) {
      error = errorKind(e instanceof CommandFailed ? e.message : `${step}: ${e.message}`);
    }
    // the call ends with a delete whatever happened (a failed call must not stay in rtpengine either)
    try {
      const d = await call('delete', { ...ids, reason: error ? 'failure' : 'bye', edge: 'bench' }, n);
      times[2] = d.ms;
      if (d.result.deleted !== true && error === null) error = 'delete: deleted false (rtpengine did not have the call)';
    } catch (e) {
      error ??= errorKind(e instanceof CommandFailed ? e.message : `delete: ${e.message}`);
    }
    return { times, error };
  };
}

/** The same cycle straight to rtpengine over ng: `ng` an NgClient, `args` the ng keys of the flags (flagsToNg). */
export function directCycle({ ng, rtpe, offerArgs, answerArgs, tag }) {
  const instance = rtpe.ng;
  return async (n) => {
    const key = { 'call-id': `mb-${tag}-${n}`, 'from-tag': `ft${n}` };
    const times = [null, null, null];
    let error = null;
    let step = 'offer';
    try {
      let t0 = performance.now();
      const o = await ng.offer(instance, { ...offerArgs, ...key, sdp: callerSdp(n), 'received-from': ['IP4', CALLER_SOURCE] });
      times[0] = performance.now() - t0;
      const p = sdpProblem(o.sdp, rtpe);
      if (p) throw new CommandFailed(`offer: ${p}`);
      step = 'answer';
      t0 = performance.now();
      const a = await ng.answer(instance, { ...answerArgs, ...key, 'to-tag': `tt${n}`, sdp: calleeSdp(n), 'received-from': ['IP4', CALLEE_SOURCE] });
      times[1] = performance.now() - t0;
      const q = sdpProblem(a.sdp, rtpe);
      if (q) throw new CommandFailed(`answer: ${q}`);
    } catch (e) {
      error = errorKind(e instanceof CommandFailed ? e.message : `${step}: ${e.message}`);
    }
    try {
      const t0 = performance.now();
      const d = await ng.delete(instance, key);
      times[2] = performance.now() - t0;
      if (typeof d.warning === 'string' && error === null) error = `delete: ${d.warning}`;
    } catch (e) {
      error ??= errorKind(`delete: ${e.message}`);
    }
    return { times, error };
  };
}

/**
 * `concurrency` workers run `cycle(n)` back to back: `warmupS` seconds not counted, then the
 * measured window of `seconds`; after it no cycle starts and the window ends once the last one
 * is done. A command counts in the window when it completes inside it (CPU is read at the same
 * two moments: `onWindow('start' | 'end')`). Errors are counted over the whole run (warm-up
 * included). More than `maxErrors` errors end the run early.
 */
export async function runCycles({ cycle, concurrency, warmupS, seconds, onWindow, maxErrors = 1000, startN = 0 }) {
  const lat = [[], [], []];
  const cycles = [];
  const errors = new Map();
  let errorCount = 0;
  let errorsInWindow = 0;
  let phase = warmupS > 0 ? 'warmup' : 'measure';
  let windowStart = 0;
  let next = startN;
  let done = 0;
  let stop = false;
  const t0 = performance.now();
  if (phase === 'measure') {
    onWindow('start');
    windowStart = performance.now();
  }
  const timers = [];
  if (warmupS > 0) {
    timers.push(
      setTimeout(() => {
        onWindow('start');
        windowStart = performance.now();
        phase = 'measure';
      }, warmupS * 1000),
    );
  }
  timers.push(setTimeout(() => (stop = true), (warmupS + seconds) * 1000));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stop) {
        const c0 = performance.now();
        const { times, error } = await cycle(next++);
        if (error) {
          errorCount++;
          errors.set(error, (errors.get(error) ?? 0) + 1);
          if (phase === 'measure') errorsInWindow++;
          if (errorCount > maxErrors) stop = true;
        }
        if (phase !== 'measure') continue;
        for (let i = 0; i < 3; i++) if (times[i] !== null) lat[i].push(times[i]);
        if (!error) {
          cycles.push(performance.now() - c0);
          done++;
        }
      }
    }),
  );
  for (const t of timers) clearTimeout(t);
  if (phase !== 'measure') {
    // ended before the window (too many errors during the warm-up)
    onWindow('start');
    windowStart = performance.now();
  }
  onWindow('end');
  const windowEnd = performance.now();
  return {
    elapsed_s: (windowEnd - t0) / 1000,
    window_s: (windowEnd - windowStart) / 1000,
    cycles_ok: done,
    commands: lat[0].length + lat[1].length + lat[2].length,
    latencies: { offer: lat[0], answer: lat[1], delete: lat[2] },
    cycle_ms: cycles,
    errors: { count: errorCount, in_window: errorsInWindow, kinds: [...errors].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([message, count]) => ({ message, count })) },
    aborted: errorCount > maxErrors,
    next_n: next,
  };
}

/** Nearest-rank quantiles in ms (3 decimals) of a list of ms. */
export function quantiles(values) {
  const v = Float64Array.from(values).sort();
  const q = (p) => (v.length === 0 ? null : Math.round(v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))] * 1000) / 1000);
  return { n: v.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}
