/** Text output of the media bench: a line per measurement while it runs, tables at the end. */

function padTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ')).join('\n');
}

const fmt = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? '-' : Number(v).toFixed(digits));
const int = (v) => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en'));
const q3 = (l) => `${fmt(l.p50)}/${fmt(l.p95)}/${fmt(l.p99)}`;

/** Retransmissions: exact for the direct client, ng round trips over 250 ms inside media-control (~). */
function retrText(r) {
  const x = r.retransmissions;
  return x.exact ? String(x.retransmits + x.timeouts) : `~${x.ng_over_250ms + x.ng_failed}`;
}

const dropsText = (r) => `${r.udp_drops.rtpengine_ng}/${r.path === 'direct' ? r.udp_drops.bench : r.udp_drops.media_control}`;

export function formatMediaRun(r) {
  const c = r.cpu_us_per_command;
  return (
    `${`media-${r.path}-${r.concurrency}`.padEnd(28)} ${int(r.cycles_per_s)} cycles/s ${int(r.commands_per_s)} cmds/s | ` +
    `ms p50/p95/p99 offer ${q3(r.latency_ms.offer)} answer ${q3(r.latency_ms.answer)} delete ${q3(r.latency_ms.delete)} | ` +
    `errors ${r.errors.count} retr ${retrText(r)} drops ${dropsText(r)} left ${r.left_in_rtpengine} | ` +
    `us/cmd media-control ${fmt(c.media_control, 1)} rtpengine ${fmt(c.rtpengine, 1)} nats ${fmt(c.nats_server, 1)} bench ${fmt(c.bench, 1)} | ` +
    `machine ${fmt(r.cpu_pct.machine, 0)}% other ${fmt(r.cpu_pct.other, 0)}%` +
    (r.attempt > 1 ? ` (attempt ${r.attempt})` : '') +
    (r.aborted ? ' ABORTED (too many errors)' : '')
  );
}

export function formatMediaBench(m) {
  const lines = [];
  if ((m.runs ?? []).length > 0) lines.push(...formatCycles(m));
  if (m.invite) lines.push(formatInviteBench(m.invite));
  lines.push(m.ok ? `media: OK (${(m.parts ?? ['cycles']).join(' + ')}: no error, no call left${m.invite ? ', every call anchored exactly when its rule says' : ''})` : `media: FAILED\n  ${m.problems.join('\n  ')}`);
  return lines.join('\n');
}

function formatCycles(m) {
  const lines = [];
  lines.push(
    `== media: offer -> answer -> delete cycles, a new call each (1:1 NAT SDP, one audio m-line; flags '${m.flags.offer}'), rtpengine ${m.rtpengine.version} userspace (--table=-1, log level ${m.rtpengine.log_level}); ` +
      'media-control = JSON-RPC over a private nats-server to media-control (affinity in memory), direct = ng client in the bench process; round trips at the asking side',
  );
  const head = ['path', 'in flight', 's', 'cycles/s', 'cmds/s', 'offer p50/p95/p99 ms', 'answer p50/p95/p99', 'delete p50/p95/p99', 'errors', 'retr.', 'drops', 'us/cmd m-c', 'rtpengine', 'nats', 'bench', 'machine%', 'other%', 'left'];
  const rows = [head];
  for (const r of m.runs) {
    const c = r.cpu_us_per_command;
    rows.push([
      r.path, String(r.concurrency), String(r.seconds), int(r.cycles_per_s), int(r.commands_per_s),
      q3(r.latency_ms.offer), q3(r.latency_ms.answer), q3(r.latency_ms.delete),
      String(r.errors.count), retrText(r), dropsText(r),
      fmt(c.media_control, 1), fmt(c.rtpengine, 1), fmt(c.nats_server, 1), fmt(c.bench, 1),
      fmt(r.cpu_pct.machine, 0), `${fmt(r.cpu_pct.other, 0)}${r.disturbed ? '*' : ''}`, String(r.left_in_rtpengine),
    ]);
  }
  lines.push(padTable(rows));
  lines.push(
    "  retr.: direct = the ng client's retransmissions + timeouts; media-control (~) = its ng round trips over 250 ms (a retransmission, or that",
    '    long in its queue) + failed ones, from its histogram. drops: datagrams the kernel dropped at rtpengine\'s ng socket / at the asking ng socket',
    "    (media-control's or the bench's); both over warm-up + window. us/cmd: CPU per command in the window; bench = this process (load generator,",
    '    NATS client or ng client), on the same 2 cores. left: calls rtpengine held after the measurement (ng list).',
  );
  const disturbed = m.runs.filter((r) => r.disturbed);
  if (disturbed.length > 0) {
    lines.push(
      `  * DISTURBED: other processes used more than ${m.options.other_max_pct} % of a core in all three attempts (the least disturbed is shown): ` +
        disturbed.map((r) => `${r.path} ${r.concurrency} (${(r.other_pct_of_attempts ?? [r.cpu_pct.other]).join(', ')} %)`).join('; ') +
        '; compare only undisturbed rows',
    );
  }
  const comp = m.comparisons.filter(Boolean);
  if (comp.length > 0) {
    const rows2 = [['in flight', 'cycles/s m-c', 'direct', 'ratio', 'added ms p50 offer/answer/delete', 'added p99 offer/answer/delete', 'added p50 all', 'added p99 all', 'p50 ratio', 'CPU us/cmd all processes m-c', 'direct']];
    for (const c of comp) {
      const a = c.added_ms;
      rows2.push([
        `${c.concurrency}${c.disturbed ? '*' : ''}`, int(c.cycles_per_s.media_control), int(c.cycles_per_s.direct), fmt(c.throughput_ratio),
        `${fmt(a.offer.p50)}/${fmt(a.answer.p50)}/${fmt(a.delete.p50)}`, `${fmt(a.offer.p99)}/${fmt(a.answer.p99)}/${fmt(a.delete.p99)}`,
        fmt(a.all.p50), fmt(a.all.p99), fmt(c.latency_ratio_p50, 1), fmt(c.cpu_us_per_command_total.media_control, 1), fmt(c.cpu_us_per_command_total.direct, 1),
      ]);
    }
    lines.push('== media: what media-control + NATS add to the same cycles straight to rtpengine (media-control minus direct)', padTable(rows2));
  }
  const mcMean = m.runs.filter((r) => r.path === 'media-control' && r.ng_mean_ms_in_media_control !== null).map((r) => `${r.concurrency}: ${fmt(r.ng_mean_ms_in_media_control)} ms`);
  if (mcMean.length > 0) lines.push(`  ng round trip inside media-control (mean, its histogram), by calls in flight: ${mcMean.join(', ')}`);
  lines.push(`cycles: rtpengine at the end: ${m.final_check.calls_in_rtpengine} calls (ng list), media-control affinity: ${m.final_check.calls_in_affinity}`);
  return lines;
}

const ms4 = (l) => `${fmt(l.p50)}/${fmt(l.p95)}/${fmt(l.p99)}/${fmt(l.max)}`;
const mediaCounts = (r) => ['offer', 'answer', 'delete'].map((k) => r.media_control_metrics.commands[k]?.ok ?? 0).join('/');
const sdpText = (r) => `${r.sdp_ports.at_callee.rtpengine}/${r.sdp_ports.at_caller.rtpengine}`;

/** One line per measurement of the invite part. */
export function formatInviteRun(r) {
  const c = r.cpu_us_per_call;
  const rtd = r.sipp_rtd_ms;
  return (
    `${`media-invite-${r.variant}-${r.rate}`.padEnd(28)} ${int(r.successful)}/${int(r.calls)} calls, ${r.failed} failed | ` +
    `INVITE->200 ms p50/p95/p99/max ${ms4(r.invite_to_200_ms)} (SIPp rtd p50/p99 ${rtd ? `${rtd.p50_ms}/${rtd.p99_ms}` : '-'}) | ` +
    `us/call edge ${fmt(c.edge, 0)} router ${fmt(c.router, 0)} media-control ${fmt(c.media_control, 0)} rtpengine ${fmt(c.rtpengine, 0)} nats ${fmt(c.nats_server, 0)} | ` +
    `m-c offer/answer/delete ${mediaCounts(r)}, rtpengine SDP callee/caller ${sdpText(r)}, left ${r.left_in_rtpengine} | ` +
    `machine ${fmt(r.cpu_pct.machine, 0)}% other ${fmt(r.cpu_pct.other, 0)}%` +
    (r.attempt > 1 ? ` (attempt ${r.attempt})` : '') +
    (r.problems.length > 0 ? ` PROBLEMS: ${r.problems.join('; ')}` : '')
  );
}

/** The invite part's tables: each measurement, then what media adds at each rate. */
export function formatInviteBench(inv) {
  const lines = [];
  lines.push(
    `== media, invite: SIPp calls through edge + router (INVITE with SDP, 100, 180, 200 with SDP, ACK, ${inv.options.hold_ms} ms, BYE), ${inv.options.seconds} s per measurement; ` +
      `without = a rule without media, with = a rule with media (offer/answer '${inv.routes.policies.default.rules[0].media.offer}', media-control + rtpengine ${inv.rtpengine.version} userspace); ` +
      'INVITE->200 at the caller (SIPp -trace_shortmsg, microseconds)',
  );
  const head = ['rate/s', 'media', 'calls', 'ok', 'failed', 'INVITE->200 ms p50/p95/p99/max', 'rtd p50/p99', 'us/call edge', 'router', 'm-c', 'rtpengine', 'nats', 'all', 'm-c offer/answer/delete', 'rtpe SDP callee/caller', 'left', 'machine%', 'other%'];
  const rows = [head];
  const sorted = [...inv.runs].sort((a, b) => a.rate - b.rate || (a.variant === 'without' ? -1 : 1));
  for (const r of sorted) {
    const c = r.cpu_us_per_call;
    const rtd = r.sipp_rtd_ms;
    rows.push([
      String(r.rate), r.variant, int(r.calls), int(r.successful), String(r.failed), ms4(r.invite_to_200_ms), rtd ? `${rtd.p50_ms}/${rtd.p99_ms}` : '-',
      fmt(c.edge, 0), fmt(c.router, 0), fmt(c.media_control, 0), fmt(c.rtpengine, 0), fmt(c.nats_server, 0), fmt(c.sut, 0),
      mediaCounts(r), sdpText(r), String(r.left_in_rtpengine), fmt(r.cpu_pct.machine, 0), `${fmt(r.cpu_pct.other, 0)}${r.disturbed ? '*' : ''}`,
    ]);
  }
  lines.push(padTable(rows));
  lines.push(
    '  rtd: SIPp\'s own INVITE..200 (whole ms of its coarse clock). us/call: CPU (utime + stime) over the UAC run and the last deletes / successful calls;',
    '    all = edge + router + media-control + rtpengine + nats-server. m-c: requests media-control answered ok (its metrics); rtpe SDP: calls whose',
    "    callee got rtpengine's port in the INVITE / whose caller got it in the 200 (logged by the scenarios). left: calls rtpengine held afterwards.",
  );
  if (inv.idle_pct) {
    const i = inv.idle_pct;
    lines.push(`  idle, no call (3 s, % of a core): edge ${fmt(i.edge, 1)}, router ${fmt(i.router, 1)}, media-control ${fmt(i.media_control, 1)}, rtpengine ${fmt(i.rtpengine, 1)}, nats-server ${fmt(i.nats_server, 1)}; machine ${fmt(i.machine, 0)}`);
  }
  const disturbed = inv.runs.filter((r) => r.disturbed);
  if (disturbed.length > 0) {
    lines.push(
      `  * DISTURBED: other processes used more than ${inv.options.other_max_pct} % of a core in all three attempts (the least disturbed is shown): ` +
        disturbed.map((r) => `${r.variant} ${r.rate}/s (${(r.other_pct_of_attempts ?? [r.cpu_pct.other]).join(', ')} %)`).join('; '),
    );
  }
  const comp = inv.comparisons.filter(Boolean);
  if (comp.length > 0) {
    const rows2 = [['rate/s', 'p50 without/with ms', 'p99 without/with', 'added p50', 'added p95', 'added p99', 'added max', 'added mean', 'edge offer/answer mean ms', 'CPU us/call all without/with', 'added', 'of it edge']];
    for (const c of comp) {
      const w = c.invite_to_200_ms;
      rows2.push([
        `${c.rate}${c.disturbed ? '*' : ''}`, `${fmt(w.without.p50)}/${fmt(w.with.p50)}`, `${fmt(w.without.p99)}/${fmt(w.with.p99)}`,
        fmt(c.added_ms.p50), fmt(c.added_ms.p95), fmt(c.added_ms.p99), fmt(c.added_ms.max), fmt(c.added_ms.mean),
        `${fmt(c.edge_media_mean_ms.offer)}/${fmt(c.edge_media_mean_ms.answer)}`,
        `${fmt(c.cpu_us_per_call.without, 0)}/${fmt(c.cpu_us_per_call.with, 0)}`, fmt(c.cpu_us_per_call.added, 0), fmt(c.cpu_us_per_call.added_edge, 0),
      ]);
    }
    lines.push('== media, invite: what anchoring adds to an INVITE (with minus without, same rate)', padTable(rows2));
  }
  lines.push(`invite: rtpengine at the end: ${inv.final_check.calls_in_rtpengine} calls (ng list), media-control affinity: ${inv.final_check.calls_in_affinity}`);
  return lines.join('\n');
}
