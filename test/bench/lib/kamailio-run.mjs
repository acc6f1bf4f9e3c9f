/**
 * One run of a Kamailio config (K3 by default: evapi external routing; K2 the registrar) through the anchor
 * harness's own `run_one.sh`, so the Kamailio side is measured exactly as in its README; the
 * run's summary.json is turned into the same result shape as a sipmesh run.
 * The harness is found at KAMAILIO_BENCH or /work/shared/bench; nothing of it is copied.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLogged } from './child-process-control.mjs';

export const DEFAULT_KAMAILIO_BENCH = '/work/shared/bench';

/** The harness directory to use, or null when there is none. */
export function findKamailioBench(explicit) {
  const dir = explicit ?? process.env['KAMAILIO_BENCH'] ?? DEFAULT_KAMAILIO_BENCH;
  return existsSync(path.join(dir, 'run_one.sh')) && existsSync(path.join(dir, 'summarize.js')) ? dir : null;
}

function newestRunDir(runsDir) {
  if (!existsSync(runsDir)) return null;
  const dirs = readdirSync(runsDir)
    .map((name) => path.join(runsDir, name))
    .filter((d) => statSync(d).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0] ?? null;
}

/**
 * @param {{benchDir: string, config?: string, scenario: 'call' | 'message' | 'register', rate: number, count: number, resultsDir: string, logFile: string}} o
 */
export async function runKamailio(o) {
  const config = o.config ?? 'k3';
  mkdirSync(o.resultsDir, { recursive: true });
  // run_one.sh takes RESULTS relative to its own folder and puts Kamailio's ctl socket below it:
  // a unix socket path has at most 107 bytes, so the run happens in a short temp folder and is
  // copied to resultsDir afterwards.
  const scratch = mkdtempSync(path.join(tmpdir(), 'sk'));
  try {
    const run = startLogged('./run_one.sh', [config, o.scenario, String(o.rate), String(o.count)], {
      cwd: o.benchDir,
      env: { ...process.env, RESULTS: path.relative(o.benchDir, scratch), TAG: 'sipmesh-bench' },
      stdoutFile: o.logFile,
      stderrFile: o.logFile,
    });
    const exit = await run.exited;
    const runDir = newestRunDir(path.join(scratch, 'runs'));
    if (exit.code !== 0 || runDir === null || !existsSync(path.join(runDir, 'summary.json'))) {
      throw new Error(`${config} run at ${o.rate}/s failed (run_one.sh exit ${exit.code}); see ${o.logFile}`);
    }
    const kept = path.join(o.resultsDir, path.basename(runDir));
    rmSync(path.join(runDir, 'kamrun'), { recursive: true, force: true });
    for (const name of readdirSync(runDir).filter((n) => n.endsWith('_rtt.csv') || n.endsWith('_screen.log'))) rmSync(path.join(runDir, name));
    cpSync(runDir, kept, { recursive: true });
    return fromHarnessSummary(JSON.parse(readFileSync(path.join(kept, 'summary.json'), 'utf8')), kept);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A harness summary.json in the result shape of sipmesh-run.mjs. */
export function fromHarnessSummary(s, runDir) {
  const c = s.cpu_pct_of_one_core ?? {};
  const sutPct = (c.kamailio ?? 0) + (c.router ?? 0);
  const reasons = [];
  if (!s.clean) {
    if (s.uac_rc !== 0) reasons.push(`uac exit ${s.uac_rc}`);
    if (s.successful !== s.count) reasons.push(`successful ${s.successful}/${s.count}`);
    if (s.failed > 0) reasons.push(`uac failed ${s.failed}`);
    if (s.uas_failed > 0) reasons.push(`uas failed ${s.uas_failed}`);
    if (s.achieved_rate < 0.97 * s.offered_rate) reasons.push(`achieved ${s.achieved_rate}/s < 97 %`);
    if (s.uac_retrans + s.uas_retrans > Math.floor(s.count / 10000)) reasons.push(`retransmissions ${s.uac_retrans + s.uas_retrans}`);
  }
  const parts = { kamailio: c.kamailio ?? null };
  if (c.router != null) parts.evapi_router = c.router;
  return {
    system: s.config,
    scenario: s.scenario,
    offered_rate: s.offered_rate,
    count: s.count,
    achieved_rate: s.achieved_rate,
    successful: s.successful,
    failed: s.failed,
    uac_retrans: s.uac_retrans,
    uas_retrans: s.uas_retrans,
    uas_failed: s.uas_failed,
    uac_exit: s.uac_rc,
    clean: s.clean,
    strict: s.strict,
    reasons,
    response_ms: s.response_ms ?? {},
    cpu: {
      sut_us_per_call: s.sut_cpu_us_per_call,
      sut_pct: Math.round(sutPct * 10) / 10,
      parts_pct: parts,
      sipp_uas_pct: c.sipp_uas ?? null,
      sipp_uac_pct: c.sipp_uac ?? null,
      machine_pct: c.machine ?? null,
      other_pct: c.other ?? null,
      psi_pct: c.cpu_pressure_some_pct_of_time ?? null,
      machine_capacity_pct: c.machine_capacity ?? null,
    },
    drops: {
      sut_socket: s.socket_drops?.kamailio ?? null,
      uas_socket: s.socket_drops?.sipp_uas ?? null,
      uac_socket: s.socket_drops?.sipp_uac ?? null,
      udp_rcvbuf_errors: s.udp_errors?.rcvbuf ?? null,
    },
    wall_s: s.wall_s,
    run_dir: runDir,
  };
}
