/** Text output of the accounting bench: a line per ingest measurement, tables at the end. */
import { formatProfileSummary } from './cpu-profile.mjs';

function padTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')).join('\n');
}

/** One line per ingest measurement, while the bench runs. */
export function formatIngestRun(r) {
  if (r.stuck) return `batchSize ${r.batch_size}: STUCK ${stuckText(r.stuck)}`;
  return (
    `batchSize ${r.batch_size}: ${r.events_per_s.toLocaleString('en')} events/s (${r.total_s} s), acc ${r.acc.rows_per_s.toLocaleString('en')} rows/s, cdrs ${r.cdrs.rows_per_s.toLocaleString('en')} rows/s, ` +
    `CPU us/event accounting ${r.cpu_us_per_event.accounting} postgres ${r.cpu_us_per_event.postgres} nats ${r.cpu_us_per_event.nats_server}, ` +
    `machine ${r.cpu_pct.machine}% other ${r.cpu_pct.other}%, longest pause ${r.nats.longest_pause_s} s, ${r.nats.slow_consumer_disconnects} slow-consumer cuts | ${r.verified.ok ? 'rows verified' : `ROWS WRONG: ${r.verified.problems.join('; ')}`}`
  );
}

function stuckText(s) {
  return `after ${s.after_s} s at ${s.transaction_events.toLocaleString('en')} transaction + ${s.dialog_events.toLocaleString('en')} dialog events, ${s.store_failures} batches refused by the database${s.last_error ? `; last: ${s.last_error}` : ''}`;
}

export function formatAccountingBench(r) {
  const lines = [];
  const i = r.ingest;
  if (i) {
    lines.push(
      `== accounting ingest: ${i.events.toLocaleString('en')} events (${i.calls.toLocaleString('en')} answered calls: 2 transaction events -> 2 acc rows, 3 dialog events -> 1 CDR each), ` +
        `${i.messages} messages of ${i.per_message} JSON lines (${i.bytes_per_event} bytes/event), in the stream before the service starts; time from its readiness to its last row`,
    );
    const rows = [
      ['batchSize', 'events/s', 'total s', 'acc rows/s', 'cdrs rows/s', 'acc done s', 'cdrs done s', 'us/event acc.', 'us/event pg', 'us/event nats', 'acc. cpu%', 'pg cpu%', 'machine%', 'other%', 'pause s', 'slow cons.', 'rows'],
    ];
    for (const run of i.runs) {
      if (run.stuck) {
        rows.push([String(run.batch_size), 'STUCK', ...Array.from({ length: 13 }, () => ''), String(run.nats.slow_consumer_disconnects), '']);
        continue;
      }
      rows.push([
        String(run.batch_size), run.events_per_s.toLocaleString('en'), run.total_s.toFixed(2), run.acc.rows_per_s.toLocaleString('en'), run.cdrs.rows_per_s.toLocaleString('en'),
        run.acc.done_s.toFixed(2), run.cdrs.done_s.toFixed(2), run.cpu_us_per_event.accounting.toFixed(1), run.cpu_us_per_event.postgres.toFixed(1), run.cpu_us_per_event.nats_server.toFixed(1),
        run.cpu_pct.accounting.toFixed(0), run.cpu_pct.postgres.toFixed(0), run.cpu_pct.machine.toFixed(0), run.cpu_pct.other.toFixed(0),
        run.nats.longest_pause_s.toFixed(1), String(run.nats.slow_consumer_disconnects), run.verified.ok ? 'ok' : 'WRONG',
      ]);
    }
    lines.push(padTable(rows));
    for (const run of i.runs.filter((x) => x.stuck)) lines.push(`  batchSize ${run.batch_size} STUCK ${stuckText(run.stuck)}`);
    for (const run of i.runs.filter((x) => x.verified && !x.verified.ok)) lines.push(`  batchSize ${run.batch_size}: ${run.verified.problems.join('; ')}`);
    if (i.runs.some((x) => x.nats.slow_consumer_disconnects > 0)) {
      lines.push('  slow cons.: times nats-server cut the service\'s connection (MaxPending, 64 MiB, exceeded); the messages in flight come back after ack_wait (30 s): the pauses');
    }
    const done = i.runs.filter((x) => !x.stuck);
    const best = done.length > 0 ? Math.max(...done.map((x) => x.events_per_s)) : 0;
    lines.push(`ingest target ${i.target.toLocaleString('en')} events/s: ${best >= i.target ? 'MET' : 'not met'} (best ${best.toLocaleString('en')}/s)`);
    for (const run of i.runs.filter((x) => x.profile)) {
      const p = run.profile;
      lines.push(formatProfileSummary(`accounting, batchSize ${run.batch_size} (${p.file}, ingest window only)`, { ...p, self_by_function: p.self_by_function.slice(0, 20), total_by_function: p.total_by_function.slice(0, 20) }));
    }
  }
  const b = r.bye_to_cdr;
  if (b) {
    const d = b.delay_ms;
    lines.push(
      `== BYE -> CDR row: ${b.rate} calls/s for ${b.seconds} s (+ ${b.warmup ? `${b.warmup.count} warm-up calls` : 'no warm-up'}), hold ${b.hold_ms} ms, through edge + router + accounting over NATS`,
      padTable([
        ['calls', 'successful', 'CDRs', 'ended+answered', 'acc rows', 'match', 'delay p50 ms', 'p95', 'p99', 'max', 'us/call acc.', 'us/call pg', 'other%', 'SIPp'],
        [
          String(b.sipp.calls), String(b.sipp.successful), String(b.cdrs), String(b.cdrs_answered_ended), String(b.acc_rows), b.matched ? 'yes' : 'NO',
          String(d.p50), String(d.p95), String(d.p99), String(d.max), String(b.cpu_us_per_call.accounting), String(b.cpu_us_per_call.postgres), String(b.other_pct),
          b.sipp.clean ? 'clean' : `DIRTY: ${b.sipp.reasons.join('; ')}`,
        ],
      ]),
      `(delay = clock_timestamp() in the trigger that sees end_time set, minus end_time, the edge's clock at the BYE's arrival; ${d.n} CDRs)`,
    );
    if (b.profile) {
      const p = b.profile;
      lines.push(formatProfileSummary(`accounting during the calls (${p.file}, service ready to last CDR)`, { ...p, self_by_function: p.self_by_function.slice(0, 20), total_by_function: p.total_by_function.slice(0, 20) }));
    }
  }
  return lines.join('\n');
}
