/**
 * One CDR per call from the edge's dialog events (contracts dialog.json). Every event of a call
 * becomes a patch of its `cdrs` row; patches merge in any order and applying one twice changes
 * nothing:
 *
 * - what describes the call (Call-ID, parties, edge, policy, trace) is filled by whichever event
 *   brings it first; the start and answer times by the earliest;
 * - the end (time, duration, disposition, hangup, BYE code) comes from one ended event: a real
 *   end (BYE, failure, timeout) replaces the provisional end of an edge that stopped or restarted
 *   with the call open, never the other way round.
 *
 * A `recovered` ended event (an edge that forgot the call saw its BYE) only knows the BYE; the
 * store applies it to the row on its own (cdr-store.ts).
 */
import type { DialogEvent } from '@sipmesh/contracts';

export interface CdrPatch {
  dialog_id: string;
  callid: string;
  from_tag: string;
  to_tag: string;
  caller: string;
  caller_user: string;
  caller_domain: string;
  callee: string;
  callee_user: string;
  callee_domain: string;
  src_ip: string;
  answered_ruri: string;
  dst_uri: string;
  start_time: Date | null;
  answer_time: Date | null;
  end_time: Date | null;
  /** Seconds, answer to end; 0 for a call never answered. */
  duration: number | null;
  disposition: string | null;
  hangup: string | null;
  sip_code: number | null;
  sip_reason: string;
  bye_code: number | null;
  edge: string;
  policy: string;
  trace_id: string;
  extra: Record<string, string>;
}

/** The `cdrs` columns a patch writes, in table order (every one but the serial id). */
export const CDR_PATCH_COLUMNS = [
  'dialog_id',
  'callid',
  'from_tag',
  'to_tag',
  'caller',
  'caller_user',
  'caller_domain',
  'callee',
  'callee_user',
  'callee_domain',
  'src_ip',
  'answered_ruri',
  'dst_uri',
  'start_time',
  'answer_time',
  'end_time',
  'duration',
  'disposition',
  'hangup',
  'sip_code',
  'sip_reason',
  'bye_code',
  'edge',
  'policy',
  'trace_id',
  'extra',
] as const satisfies readonly (keyof CdrPatch)[];

/** What a `recovered` ended event says: the BYE's time, code and From tag. */
export interface RecoveredEnd {
  dialog_id: string;
  callid: string;
  edge: string;
  end_time: Date;
  bye_code: number | null;
  bye_from_tag: string;
}

/** Hangups that close a call only provisionally (a real end replaces them). */
export const PROVISIONAL_HANGUPS: readonly string[] = ['edge-stopped', 'edge-restarted'];

export function cdrPatch(e: DialogEvent): CdrPatch {
  const ruri = splitUri(e.ruri ?? '');
  const ended = e.type === 'dialog.ended';
  return {
    dialog_id: e.dialog_id,
    callid: e.call_id,
    from_tag: e.from_tag ?? '',
    to_tag: e.to_tag ?? '',
    caller: e.from ? `${e.from.user !== undefined ? `${e.from.user}@` : ''}${e.from.host}` : '',
    caller_user: e.from?.user ?? '',
    caller_domain: e.from?.host ?? '',
    callee: ruri.user !== '' ? `${ruri.user}@${ruri.host}` : ruri.host,
    callee_user: ruri.user,
    callee_domain: ruri.host,
    src_ip: e.source?.ip ?? '',
    answered_ruri: e.answered_ruri ?? '',
    dst_uri: e.dst_uri ?? '',
    start_time: date(e.started_at),
    answer_time: date(e.answered_at),
    end_time: ended ? (date(e.ended_at) ?? date(e.time)) : null,
    duration: ended ? (e.duration_ms ?? 0) / 1000 : null,
    disposition: ended ? (e.disposition ?? null) : null,
    hangup: ended ? (e.hangup ?? null) : null,
    sip_code: e.sip_code ?? null,
    sip_reason: e.sip_reason ?? '',
    bye_code: e.bye_code ?? null,
    edge: e.edge,
    policy: e.policy ?? '',
    trace_id: e.trace_id ?? '',
    extra: e.acc?.extra ? Object.fromEntries(Object.entries(e.acc.extra).map(([k, v]) => [k, String(v)])) : {},
  };
}

export function recoveredEnd(e: DialogEvent): RecoveredEnd {
  return { dialog_id: e.dialog_id, callid: e.call_id, edge: e.edge, end_time: date(e.ended_at) ?? new Date(e.time), bye_code: e.bye_code ?? null, bye_from_tag: e.bye_from_tag ?? '' };
}

/** `b` merged into `a` (same dialog), by the rules above. */
export function mergePatch(a: CdrPatch, b: CdrPatch): CdrPatch {
  const out: CdrPatch = { ...a };
  for (const k of ['callid', 'from_tag', 'to_tag', 'caller', 'caller_user', 'caller_domain', 'callee', 'callee_user', 'callee_domain', 'src_ip', 'answered_ruri', 'dst_uri', 'sip_reason', 'edge', 'policy', 'trace_id'] as const) {
    if (out[k] === '') out[k] = b[k];
  }
  out.start_time = earliest(a.start_time, b.start_time);
  out.answer_time = earliest(a.answer_time, b.answer_time);
  // The INVITE's final status: an ended event's is the last word.
  out.sip_code = b.end_time !== null && b.sip_code !== null ? b.sip_code : (a.sip_code ?? b.sip_code);
  if (Object.keys(out.extra).length === 0) out.extra = b.extra;
  if (takesEnd(a, b)) {
    out.end_time = b.end_time;
    out.duration = b.duration;
    out.disposition = b.disposition;
    out.hangup = b.hangup;
    out.bye_code = b.bye_code;
  }
  return out;
}

/** Whether `b`'s end replaces `a`'s: `a` has none, or only a provisional one and `b` a real one. */
function takesEnd(a: CdrPatch, b: CdrPatch): boolean {
  if (b.end_time === null) return false;
  if (a.end_time === null) return true;
  return PROVISIONAL_HANGUPS.includes(a.hangup ?? '') && !PROVISIONAL_HANGUPS.includes(b.hangup ?? '');
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

function date(s: string | undefined): Date | null {
  if (s === undefined) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** user and host of a SIP URI, without parsing more than that. */
function splitUri(uri: string): { user: string; host: string } {
  const colon = uri.indexOf(':');
  let rest = colon >= 0 ? uri.slice(colon + 1) : uri;
  const end = rest.search(/[;?>]/);
  if (end >= 0) rest = rest.slice(0, end);
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : '';
  let host = at >= 0 ? rest.slice(at + 1) : rest;
  if (!host.startsWith('[')) {
    const port = host.indexOf(':');
    if (port >= 0) host = host.slice(0, port);
  }
  return { user: user.split(':')[0] ?? '', host };
}
