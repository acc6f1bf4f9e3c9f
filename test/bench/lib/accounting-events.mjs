/**
 * Synthetic edge events for the accounting bench: answered calls as an edge reports them, in
 * contract shape (contracts/schemas/v1 transaction-completed.json, dialog.json) and in the order
 * and packing an edge publishes them (services/edge/src/bus/event-batcher.ts: one batcher per
 * subject, a message of JSON lines leaves when it holds `perMessage` events; message id = first
 * event's id). Per call: transaction.completed of the INVITE (200) and of the BYE (200), both with
 * the `acc` flag (two `acc` rows), and dialog.started / answered / ended (one `cdrs` row).
 *
 * Calls start at `callsPerSecond` on a simulated clock, ring 0.5-3 s and last 5-120 s, so a call's
 * ended event is published long after its started event, as in real traffic: the CDR consumer
 * sees most calls in three different batches. The packing is that of an edge under heavy load
 * (full messages); at low rates an edge sends smaller messages after its 5 ms batch delay.
 */
import { CONTRACT_VERSION, dialogId, subjects } from '@sipmesh/contracts';

/** A deterministic random source, so every run publishes the same events. */
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (random, n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
};

/**
 * The events of `calls` answered calls, packed into messages as an edge would publish them.
 * @param {{calls: number, perMessage?: number, edge?: string, startMs?: number, callsPerSecond?: number, seed?: number}} o
 * @returns {{messages: {subject: string, msgId: string, count: number, lines: string[]}[], events: number,
 *   expected: {calls: number, transactionEvents: number, dialogEvents: number, accRows: number, cdrs: number, totalDurationMs: number},
 *   bytes: number}}
 */
export function accountingEventMessages(o) {
  const perMessage = o.perMessage ?? 100;
  const edge = o.edge ?? 'bench-edge1';
  const startMs = o.startMs ?? Date.parse('2026-11-27T10:00:00.000Z');
  const spacingMs = 1000 / (o.callsPerSecond ?? 1000);
  const random = lcg(o.seed ?? 4711);
  const iso = (ms) => new Date(ms).toISOString();
  /** @type {{at: number, subject: string, id: string, json: string}[]} */
  const timeline = [];
  let totalDurationMs = 0;
  let txIndex = 0;
  const add = (at, subject, event) => timeline.push({ at, subject, id: event.event_id, json: JSON.stringify(event) });
  for (let i = 0; i < o.calls; i++) {
    const start = Math.round(startMs + i * spacingMs);
    const answer = start + 500 + Math.floor(random() * 2500);
    const hold = 5000 + Math.floor(random() * 115_000);
    const bye = answer + hold;
    totalDurationMs += hold;
    const callId = `${hex(random, 16)}-${i}@192.0.2.10`;
    const fromTag = `c${hex(random, 12)}`;
    const toTag = `u${hex(random, 12)}`;
    const did = dialogId(callId, fromTag, 1);
    const caller = `10${String(i % 10_000).padStart(4, '0')}`;
    const callee = `49${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    const gateway = `10.1.0.${1 + (i % 20)}`;
    const ruri = `sip:${callee}@sip.example.com`;
    const answeredRuri = `sip:${callee}@${gateway}:5060`;
    const from = { uri: `sip:${caller}@sip.example.com`, user: caller, host: 'sip.example.com', tag: fromTag };
    const to = { uri: ruri, user: callee, host: 'sip.example.com' };
    const source = { ip: '192.0.2.10', port: 5060, transport: 'udp' };
    const traceId = hex(random, 32);
    const acc = { flags: ['acc'] };
    const calleeHangsUp = random() < 0.3;
    const tx = () => `${edge}.${++txIndex}.${Math.floor(random() * 1e6)}`;

    const inviteTx = tx();
    add(answer, subjects.events.transactionCompleted, {
      event_id: inviteTx, type: 'transaction.completed', version: CONTRACT_VERSION, time: iso(answer), edge, tx: inviteTx, trace_id: traceId,
      method: 'INVITE', ruri, call_id: callId, cseq: 1, from, to, source, status: 200, reason: 'OK', outcome: 'relayed', policy: 'default', attempts: 1,
      branches: [{ uri: answeredRuri, dst_uri: `sip:${gateway}:5060`, status: 200, reason: 'OK' }],
      started_at: iso(start), duration_ms: answer - start, acc, to_tag: toTag, final_ruri: answeredRuri,
    });
    // the BYE of the caller, or of the callee (From and To swapped), relayed in the dialog (no route request)
    const byeTx = tx();
    const byeFrom = calleeHangsUp ? { uri: ruri, user: callee, host: 'sip.example.com', tag: toTag } : from;
    const byeTo = calleeHangsUp ? { ...from } : { ...to, tag: toTag };
    const byeRuri = calleeHangsUp ? `sip:${caller}@192.0.2.10:5060` : answeredRuri;
    add(bye + 2, subjects.events.transactionCompleted, {
      event_id: byeTx, type: 'transaction.completed', version: CONTRACT_VERSION, time: iso(bye + 2), edge, tx: byeTx, trace_id: traceId,
      method: 'BYE', ruri: byeRuri, call_id: callId, cseq: 2, from: byeFrom, to: byeTo, source: calleeHangsUp ? { ...source, ip: gateway } : source,
      status: 200, reason: 'OK', outcome: 'relayed', attempts: 0, branches: [{ uri: byeRuri, status: 200, reason: 'OK' }],
      started_at: iso(bye), duration_ms: 2, acc, to_tag: calleeHangsUp ? fromTag : toTag, final_ruri: byeRuri,
    });

    const base = { version: CONTRACT_VERSION, edge, dialog_id: did, call_id: callId, from_tag: fromTag, from, ruri, source, started_at: iso(start), trace_id: traceId, policy: 'default', acc };
    add(start + 1, subjects.events.dialog('started'), { event_id: `${did}.started`, type: 'dialog.started', time: iso(start + 1), ...base });
    const answered = { ...base, to_tag: toTag, answered_at: iso(answer), answered_ruri: answeredRuri, dst_uri: `sip:${gateway}:5060`, sip_code: 200, sip_reason: 'OK' };
    add(answer, subjects.events.dialog('answered'), { event_id: `${did}.answered`, type: 'dialog.answered', time: iso(answer), ...answered });
    add(bye + 2, subjects.events.dialog('ended'), {
      event_id: `${did}.ended`, type: 'dialog.ended', time: iso(bye), ...answered,
      ended_at: iso(bye), duration_ms: hold, disposition: 'answered', hangup: calleeHangsUp ? 'callee' : 'caller', bye_code: 200,
    });
  }
  timeline.sort((a, b) => a.at - b.at);

  const messages = [];
  const open = new Map();
  let bytes = 0;
  const flush = (subject) => {
    const m = open.get(subject);
    if (!m || m.lines.length === 0) return;
    messages.push({ subject, msgId: m.firstId, count: m.lines.length, lines: m.lines });
    open.delete(subject);
  };
  for (const e of timeline) {
    let m = open.get(e.subject);
    if (!m) open.set(e.subject, (m = { firstId: e.id, lines: [] }));
    m.lines.push(e.json);
    bytes += e.json.length;
    if (m.lines.length >= perMessage) flush(e.subject);
  }
  for (const subject of [...open.keys()]) flush(subject);
  return {
    messages,
    events: timeline.length,
    expected: { calls: o.calls, transactionEvents: 2 * o.calls, dialogEvents: 3 * o.calls, accRows: 2 * o.calls, cdrs: o.calls, totalDurationMs },
    bytes,
  };
}
