/**
 * What Kamailio's acc module writes for one completed transaction (spec §8.13), from the edge's
 * transaction.completed event and the flags the route answer set (`acc.flags`):
 *
 * - `acc` flag and a 2xx final: one `acc` row (the INVITE's, and the BYE's of the same dialog: the
 *   edge carries the dialog's flags to it);
 * - `failed` flag and a final of 300 or more: one `acc` row with that code (not in missed_calls);
 * - `missed` flag, an INVITE and a final of 300 or more: one `missed_calls` row, with the code of
 *   the first branch that failed (Kamailio reports the first failure and resets the flag);
 * - CANCEL transactions are not accounted (Kamailio report_cancels 0): the cancelled INVITE's 487 is.
 *
 * Extra columns as the default kamailio.cfg sets them: src_user $fU, src_domain $fd, src_ip $si,
 * dst_ouser $tU, dst_user $rU and dst_domain $rd of the branch that answered.
 */
import type { TransactionCompletedEvent } from '@sipmesh/contracts';

export interface AccRow {
  readonly event_id: string;
  readonly method: string;
  readonly from_tag: string;
  readonly to_tag: string;
  readonly callid: string;
  readonly sip_code: string;
  readonly sip_reason: string;
  /** Completion time (Kamailio time_mode 0: a datetime, here UTC). */
  readonly time: Date;
  readonly src_user: string;
  readonly src_domain: string;
  readonly src_ip: string;
  readonly dst_ouser: string;
  readonly dst_user: string;
  readonly dst_domain: string;
}

export interface AccRows {
  readonly acc?: AccRow;
  readonly missed?: AccRow;
}

/** The rows one transaction event gives (none when it carries no accounting flag that applies). */
export function accRows(e: TransactionCompletedEvent): AccRows {
  const flags = new Set(e.acc?.flags ?? []);
  if (flags.size === 0 || e.method === 'CANCEL' || e.method === 'ACK') return {};
  const out: { acc?: AccRow; missed?: AccRow } = {};
  const answered = e.status >= 200 && e.status < 300;
  if ((answered && flags.has('acc')) || (e.status >= 300 && flags.has('failed'))) out.acc = row(e, e.status, e.reason);
  if (e.method === 'INVITE' && e.status >= 300 && flags.has('missed')) {
    const first = e.branches.find((b) => b.status >= 300);
    out.missed = row(e, first?.status ?? e.status, first ? (first.reason ?? '') : e.reason);
  }
  return out;
}

function row(e: TransactionCompletedEvent, status: number, reason: string): AccRow {
  const dst = uriParts(e.final_ruri ?? e.ruri);
  return {
    event_id: e.event_id,
    method: e.method,
    from_tag: e.from.tag ?? '',
    to_tag: e.to_tag ?? e.to.tag ?? '',
    callid: e.call_id,
    sip_code: String(status),
    sip_reason: reason.slice(0, 128),
    time: new Date(e.time),
    src_user: e.from.user ?? '',
    src_domain: e.from.host,
    src_ip: e.source.ip,
    dst_ouser: e.to.user ?? '',
    dst_user: dst.user,
    dst_domain: dst.host,
  };
}

/** user and host of a sip/sips URI (tel: and others give ''); lenient, for accounting columns only. */
function uriParts(uri: string): { user: string; host: string } {
  const m = /^sips?:(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]+)/i.exec(uri);
  if (!m) return { user: '', host: '' };
  return { user: unescape(m[1] ?? ''), host: (m[2] ?? '').toLowerCase() };
}

function unescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
