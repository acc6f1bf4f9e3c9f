/**
 * Reading SIPp's trace files: the `-trace_stat` CSV (one row per `-fd` period plus a final
 * row; `;`-separated, header first) and the `-trace_rtt` CSV (`Date_ms;response_time_ms;rtd_no`).
 * SIPp 3.6 keeps response times in whole milliseconds of its scheduler clock (on this kind of VM
 * they move in ~4 ms steps), so percentiles below one step read as 0.
 */

/** Rows of a `-trace_stat` file as objects keyed by column name. */
export function parseStatCsv(text) {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return [];
  const head = lines[0].split(';');
  return lines.slice(1).map((line) => {
    const values = line.split(';');
    const row = {};
    head.forEach((name, i) => {
      if (name !== '') row[name] = values[i] ?? '';
    });
    return row;
  });
}

const num = (v) => (v === undefined || v === '' ? 0 : Number(v));

/**
 * Steady-state call creation rate: mean of the per-period CallRate(P) over the periods that
 * created calls, without the first and the last of them (partial seconds). SIPp's cumulative
 * CallRate(C) also divides by start-up and tail time and reads 2-3 % low. Falls back to
 * CallRate(C) when fewer than three periods created calls.
 */
export function steadyCallRate(rows) {
  const per = rows.filter((r) => num(r['OutgoingCall(P)']) > 0).map((r) => num(r['CallRate(P)']));
  if (per.length >= 3) {
    const mid = per.slice(1, -1);
    return mid.reduce((a, b) => a + b, 0) / mid.length;
  }
  const last = rows[rows.length - 1];
  return last ? num(last['CallRate(C)']) : 0;
}

/** Totals of a run from the last row of a `-trace_stat` file (null when there is no row). */
export function statTotals(rows) {
  const last = rows[rows.length - 1];
  if (!last) return null;
  return {
    created: num(last['TotalCallCreated']),
    successful: num(last['SuccessfulCall(C)']),
    failed: num(last['FailedCall(C)']),
    retransmissions: num(last['Retransmissions(C)']),
    deadCallMsgs: num(last['DeadCallMsgs(C)']),
    outOfCallMsgs: num(last['OutOfCallMsgs(C)']),
    achievedRate: steadyCallRate(rows),
    achievedRateWholeRun: num(last['CallRate(C)']),
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Response times per rtd number from a `-trace_rtt` file: n, mean, p50, p90, p99, max (ms). */
export function parseRttCsv(text) {
  const byRtd = new Map();
  let start = text.indexOf('\n') + 1;
  while (start > 0 && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const a = line.indexOf(';');
    const b = line.indexOf(';', a + 1);
    if (a < 0 || b < 0) continue;
    const ms = Number(line.slice(a + 1, b));
    const rtd = line.slice(b + 1).trim();
    if (!Number.isFinite(ms) || rtd === '') continue;
    let list = byRtd.get(rtd);
    if (!list) byRtd.set(rtd, (list = []));
    list.push(ms);
  }
  const out = {};
  for (const [rtd, list] of [...byRtd].sort((x, y) => Number(x[0]) - Number(y[0]))) {
    list.sort((x, y) => x - y);
    const sum = list.reduce((acc, v) => acc + v, 0);
    out[`rtd${rtd}`] = {
      n: list.length,
      mean_ms: Math.round((sum / list.length) * 1000) / 1000,
      p50_ms: percentile(list, 50),
      p90_ms: percentile(list, 90),
      p99_ms: percentile(list, 99),
      max_ms: list[list.length - 1],
    };
  }
  return out;
}
