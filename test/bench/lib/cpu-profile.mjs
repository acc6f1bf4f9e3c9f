/**
 * Summary of a V8 `.cpuprofile` (node --cpu-prof): where the sampled time went, as self time per
 * function, self time per source file / package, and inclusive ("total") time per function (a
 * function counted once per sample however deep it recurses). Shares are of all sampled time,
 * idle included, and of busy time (without the (idle) node).
 */

const IDLE = '(idle)';

function frameKey(cf) {
  return `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
}

/** A short, stable name of a script URL: the part from node_modules/, dist/ or src/ on. */
export function shortUrl(url) {
  if (!url) return '';
  let u = url.startsWith('file://') ? url.slice(7) : url;
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm);
  for (const marker of ['/services/', '/packages/', '/contracts/']) {
    const i = u.indexOf(marker);
    if (i >= 0) {
      u = u.slice(i + 1);
      break;
    }
  }
  return u;
}

/** The bucket a frame's time is counted in: a workspace package, an npm package, node internals, or a V8 pseudo-frame. */
export function packageOf(cf) {
  const name = cf.functionName;
  if (!cf.url) return name.startsWith('(') ? name : '(native/builtin)';
  if (cf.url.startsWith('node:')) return 'node:internals';
  const u = shortUrl(cf.url);
  if (u.startsWith('node_modules/')) {
    const parts = u.split('/');
    return parts[1]?.startsWith('@') ? `${parts[1]}/${parts[2]}` : (parts[1] ?? u);
  }
  const parts = u.split('/');
  // services/edge/dist/proxy/x.js -> services/edge proxy/
  if ((parts[0] === 'services' || parts[0] === 'packages') && parts.length > 3) return `${parts[0]}/${parts[1]} ${parts.slice(3, -1).join('/') || '.'}`;
  return u;
}

/** Sampled time (us) per profile node, only samples inside [fromUs, toUs]. */
function timePerNode(profile, fromUs, toUs) {
  const selfUs = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  return selfUs;
}

function parentsOf(profile) {
  const byId = new Map();
  const parent = new Map();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  return { byId, parent };
}

/** Code of this repository (not node internals, not node_modules, not V8 pseudo-frames). */
function isOwnCode(cf) {
  return cf.url !== '' && !cf.url.startsWith('node:') && !cf.url.includes('/node_modules/');
}

/**
 * Who calls the functions whose "name file:line" contains `needle`: the time spent in them
 * (inclusive) split by their direct caller (innermost match per sample), or with `ownCode` by
 * the nearest caller that is code of this repository.
 */
export function callersOf(profile, needle, opts = {}) {
  const { byId, parent } = parentsOf(profile);
  const perCaller = new Map();
  let total = 0;
  for (const [id, us] of timePerNode(profile, opts.fromUs ?? -Infinity, opts.toUs ?? Infinity)) {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || !frameKey(n.callFrame).includes(needle)) continue;
      let p = byId.get(parent.get(cur));
      while (opts.ownCode && p && !isOwnCode(p.callFrame)) p = byId.get(parent.get(p.id));
      const key = p ? frameKey(p.callFrame) : '(none)';
      perCaller.set(key, (perCaller.get(key) ?? 0) + us);
      total += us;
      break;
    }
  }
  return [...perCaller]
    .sort((a, b) => b[1] - a[1])
    .slice(0, opts.top ?? 10)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pct_of_busy: total > 0 ? Math.round((1000 * us) / total) / 10 : 0 }));
}

/**
 * @param {{nodes: {id: number, callFrame: {functionName: string, url: string, lineNumber: number}, children?: number[]}[], samples: number[], timeDeltas: number[], startTime: number, endTime: number}} profile
 * @param {{top?: number, fromUs?: number, toUs?: number}} [opts] fromUs/toUs: only samples in this window
 *   (CLOCK_MONOTONIC microseconds, the profile's own clock, e.g. the UAC window of a bench run)
 */
export function summarizeCpuProfile(profile, opts = {}) {
  const top = opts.top ?? 25;
  const fromUs = opts.fromUs ?? -Infinity;
  const toUs = opts.toUs ?? Infinity;
  const { byId, parent } = parentsOf(profile);
  const selfUs = timePerNode(profile, fromUs, toUs);
  let totalUs = 0;
  let idleUs = 0;
  const fnSelf = new Map();
  const pkgSelf = new Map();
  const fnTotal = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    if (node.callFrame.functionName === IDLE) {
      idleUs += us;
      continue;
    }
    const key = frameKey(node.callFrame);
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
    const pkg = packageOf(node.callFrame);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n || n.callFrame.functionName === '(root)') continue;
      const k = frameKey(n.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      fnTotal.set(k, (fnTotal.get(k) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const rank = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, pct_of_busy: busyUs > 0 ? Math.round((1000 * us) / busyUs) / 10 : 0 }));
  return {
    sampled_ms: Math.round(totalUs / 1000),
    busy_ms: Math.round(busyUs / 1000),
    idle_pct: totalUs > 0 ? Math.round((1000 * idleUs) / totalUs) / 10 : 0,
    self_by_function: rank(fnSelf),
    self_by_package: rank(pkgSelf),
    total_by_function: rank(fnTotal),
  };
}

/** The summary as text: three ranked tables. */
export function formatProfileSummary(title, s) {
  const lines = [`== ${title}: sampled ${s.sampled_ms} ms, busy ${s.busy_ms} ms, idle ${s.idle_pct} %`];
  const table = (heading, rows) => {
    lines.push(`-- ${heading} (% of busy time)`);
    for (const r of rows) lines.push(`${r.pct_of_busy.toFixed(1).padStart(6)} %  ${String(r.ms).padStart(9)} ms  ${r.name}`);
  };
  table('self time by package/dir', s.self_by_package);
  table('self time by function', s.self_by_function);
  table('inclusive time by function', s.total_by_function);
  return lines.join('\n');
}
