/** Text output of the bench: one line per run while it goes, tables at the end. */

const fmt = (v, digits = 0) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(digits));

function verdictOf(r) {
  if (r.error) return 'ERROR';
  return r.clean ? (r.strict ? 'CLEAN' : 'clean') : 'DIRTY';
}

/** Context switches per call of each SUT process: `edge 0.3+1.5` = voluntary (wake-ups) + involuntary (preempted). */
function switchesText(parts) {
  const entries = Object.entries(parts ?? {}).filter(([, v]) => v);
  return entries.length > 0 ? ` | switches/call ${entries.map(([k, v]) => `${k} ${fmt(v.voluntary, 1)}+${fmt(v.involuntary, 1)}`).join(' ')}` : '';
}

function partsText(parts) {
  const entries = Object.entries(parts ?? {}).filter(([, v]) => v !== null && v !== undefined);
  return entries.length > 0 ? ` (${entries.map(([k, v]) => `${k} ${fmt(v)}`).join(' ')})` : '';
}

/** One line per run, in the spirit of the harness's summarize.js line. */
export function runLine(r) {
  if (r.error) return `${r.system}/${r.scenario} ${r.offered_rate}/s ERROR ${r.error}`;
  const c = r.cpu;
  const rt1 = r.response_ms?.rtd1 ?? {};
  const rt2 = r.response_ms?.rtd2;
  return (
    `${r.system}/${r.scenario} ${r.offered_rate}/s -> ${fmt(r.achieved_rate, 1)}/s ok ${r.successful}/${r.count} fail ${r.failed} ` +
    `retr ${r.uac_retrans}+${r.uas_retrans} ${verdictOf(r)}${r.clean ? '' : ` [${r.reasons.join('; ')}]`} ` +
    `| rtd1 p50 ${fmt(rt1.p50_ms)} p99 ${fmt(rt1.p99_ms)} ms${rt2 ? ` rtd2 p50 ${fmt(rt2.p50_ms)} p99 ${fmt(rt2.p99_ms)} ms` : ''} ` +
    `| sut ${fmt(c.sut_pct, 1)}%${partsText(c.parts_pct)} ${fmt(c.sut_us_per_call, 1)} us/call${switchesText(c.parts_switches_per_call)} ` +
    `| uas ${fmt(c.sipp_uas_pct)} uac ${fmt(c.sipp_uac_pct)} machine ${fmt(c.machine_pct)}/${fmt(c.machine_capacity_pct)} other ${fmt(c.other_pct)} psi ${fmt(c.psi_pct)}` +
    (r.drops?.sut_socket ? ` | drops at SUT socket ${r.drops.sut_socket}` : '') +
    (typeof r.machine_probe_us === 'number' ? ` | probe ${fmt(r.machine_probe_us, 1)} us` : '') +
    (r.disturbed_reruns ? ` | after ${r.disturbed_reruns} disturbed re-run(s)` : '')
  );
}

function padTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')).join('\n');
}

function cellOf(r) {
  if (!r) return ['', '', '', '', ''];
  if (r.error) return ['ERROR', '', '', '', ''];
  const rt1 = r.response_ms?.rtd1 ?? {};
  return [verdictOf(r), fmt(r.achieved_rate), `${fmt(rt1.p50_ms)}/${fmt(rt1.p99_ms)}`, fmt(r.cpu.sut_us_per_call), fmt(r.cpu.machine_pct)];
}

/**
 * Per scenario: every measured rate with the runs of each system side by side (several runs at
 * one rate are listed one per line), then the max clean rates and their ratio.
 * @param {string} scenario
 * @param {{[system: string]: {max_clean_rate: number | null, first_dirty_rate: number | null, runs: object[]}}} bySystem
 */
export function scenarioTable(scenario, bySystem) {
  const systems = Object.keys(bySystem);
  const rates = [...new Set(systems.flatMap((s) => bySystem[s].runs.map((r) => r.offered_rate)))].sort((a, b) => a - b);
  const head = ['rate/s'];
  for (const s of systems) head.push(`${s}`, 'achieved', 'rtd1 p50/p99 ms', 'us/call', 'machine%');
  if (systems.length === 2) head.push(`us/call ${systems[0]}/${systems[1]}`);
  const rows = [head];
  for (const rate of rates) {
    const lists = systems.map((s) => bySystem[s].runs.filter((r) => r.offered_rate === rate));
    const n = Math.max(...lists.map((l) => l.length));
    for (let i = 0; i < n; i++) {
      const row = [i === 0 ? String(rate) : ''];
      for (const l of lists) row.push(...cellOf(l[i]));
      if (systems.length === 2) {
        const a = lists[0]?.[i]?.cpu?.sut_us_per_call;
        const b = lists[1]?.[i]?.cpu?.sut_us_per_call;
        row.push(a && b ? (a / b).toFixed(2) : '');
      }
      rows.push(row);
    }
  }
  const lines = [`== ${scenario}: every run (rtd1 = ${scenario === 'call' ? 'INVITE..200' : 'MESSAGE..200'}, SIPp whole-ms resolution; us/call = SUT CPU per call)`, padTable(rows)];
  const fixed = systems.every((s) => bySystem[s].max_clean_rate === null);
  const sum = [
    fixed
      ? ['system', 'fixed rate/s', 'clean runs', 'us/call', 'rtd1 p50/p99 ms', 'SUT cpu%', 'machine%']
      : ['system', 'max clean rate/s', 'first dirty rate/s', 'us/call at max', 'rtd1 p50/p99 ms at max', 'SUT cpu% at max', 'machine% at max'],
  ];
  for (const s of systems) {
    const b = bySystem[s];
    const atMax = fixed ? b.runs.filter((r) => r.clean) : b.max_clean_rate ? b.runs.filter((r) => r.offered_rate === b.max_clean_rate && r.clean) : [];
    const med = (vals) => {
      const v = vals.filter((x) => typeof x === 'number').sort((x, y) => x - y);
      return v.length > 0 ? v[Math.floor((v.length - 1) / 2)] : null;
    };
    sum.push([
      s,
      fixed ? String(rates.join(' ')) : String(b.max_clean_rate || `0 (< ${b.first_dirty_rate})`),
      fixed ? `${atMax.length}/${b.runs.length}` : fmt(b.first_dirty_rate),
      fmt(med(atMax.map((r) => r.cpu.sut_us_per_call))),
      `${fmt(med(atMax.map((r) => r.response_ms?.rtd1?.p50_ms)))}/${fmt(med(atMax.map((r) => r.response_ms?.rtd1?.p99_ms)))}`,
      fmt(med(atMax.map((r) => r.cpu.sut_pct))),
      fmt(med(atMax.map((r) => r.cpu.machine_pct))),
    ]);
  }
  lines.push(fixed ? `-- ${scenario}: medians over the clean runs` : `-- ${scenario}: highest clean rate (medians over the clean runs at that rate)`, padTable(sum));
  const probes = systems.flatMap((sys) => bySystem[sys].runs.map((r) => r.machine_probe_us)).filter((v) => typeof v === 'number').sort((x, y) => x - y);
  if (probes.length > 0) {
    lines.push(
      `machine probe before each run (CPU µs of a fixed Node workload, test/bench/lib/machine-probe.mjs; lower = faster machine): ` +
        `min ${fmt(probes[0], 1)}, median ${fmt(probes[Math.floor((probes.length - 1) / 2)], 1)}, max ${fmt(probes[probes.length - 1], 1)} over ${probes.length} runs`,
    );
  }
  if (systems.length === 2) {
    const [a, b] = systems.map((s) => bySystem[s]);
    if (a.max_clean_rate && b.max_clean_rate) lines.push(`max clean rate ${systems[0]}/${systems[1]}: ${(a.max_clean_rate / b.max_clean_rate).toFixed(2)}`);
    const common = rates.filter((rate) => a.runs.some((r) => r.offered_rate === rate && r.clean) && b.runs.some((r) => r.offered_rate === rate && r.clean));
    const top = common[common.length - 1];
    if (top !== undefined) {
      const med = (runs) => {
        const v = runs.filter((r) => r.offered_rate === top && r.clean).map((r) => r.cpu.sut_us_per_call).sort((x, y) => x - y);
        return v[Math.floor((v.length - 1) / 2)];
      };
      const ua = med(a.runs);
      const ub = med(b.runs);
      lines.push(`CPU per call at ${top}/s (highest rate both ran clean): ${systems[0]} ${fmt(ua, 1)} us, ${systems[1]} ${fmt(ub, 1)} us, ratio ${(ua / ub).toFixed(2)}`);
    }
  }
  return lines.join('\n');
}
