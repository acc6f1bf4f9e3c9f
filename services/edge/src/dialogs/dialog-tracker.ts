/**
 * Calls as the edge sees them (Kamailio's dialog module, for CDRs and call limits): a call starts
 * when an initial INVITE this edge asked the router about is relayed, is answered by the first 2xx,
 * and ends with a BYE from either side, a final failure of the INVITE, the dialog timeout, or the
 * edge stopping. Each step is a dialog event; the ended event carries everything, so it alone can
 * make the CDR. In-dialog routing stays stateless (Record-Route): this table only remembers what the
 * CDR needs, and a BYE that names a call the edge forgot (it restarted) still ends it, as
 * `recovered`.
 *
 * Calls live in a Map in start order; with one maximum duration for all, the oldest are at the
 * front, so the timeout sweep reads only the calls old enough to expire.
 */
import type { DialogEvent, Party } from '@sipmesh/contracts';
import { dialogId as dialogIdOf } from '@sipmesh/contracts';
import { partyOf } from '../bus/route-params.js';
import type { CompletedTransaction, StartedCall } from '../proxy/proxy-context.js';
import type { InboundMessage } from '../transport/transport.js';

type Disposition = NonNullable<DialogEvent['disposition']>;
type Hangup = NonNullable<DialogEvent['hangup']>;

interface Call {
  readonly id: string;
  readonly callId: string;
  readonly fromTag: string;
  readonly from: Party;
  readonly ruri: string;
  readonly source: InboundMessage['source'];
  readonly startedAt: number;
  readonly policy: string | undefined;
  readonly acc: StartedCall['acc'];
  readonly traceId: string | undefined;
  answeredAt?: number;
  toTag?: string;
  answeredRuri?: string;
  dstUri?: string;
  inviteCode?: number;
  inviteReason?: string;
}

export interface DialogSink {
  emit(event: DialogEvent): void;
}

export interface DialogTrackerOptions {
  edgeId: string;
  /** Kamailio dialog default_timeout: a call with no BYE after this long is ended (hangup `timeout`). */
  maxDurationMs: number;
  now: () => number;
  sink: DialogSink;
  /** Called when the dialog timeout ends a call (the edge deletes its anchored media, media/edge-media.ts). */
  onTimeout?: (call: { dialogId: string; callId: string; fromTag: string }) => void;
}

export class DialogTracker {
  private readonly calls = new Map<string, Call>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DialogTrackerOptions) {}

  /** Calls open now. */
  get size(): number {
    return this.calls.size;
  }

  /** Starts the dialog-timeout sweep (once a second). */
  start(): void {
    this.sweepTimer ??= setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  started(call: StartedCall): void {
    const req = call.req;
    const c: Call = {
      id: call.dialogId,
      callId: req.callId,
      fromTag: req.from.tag ?? '',
      from: partyOf(req.from, req.fromUri),
      ruri: req.requestUri,
      source: call.inbound.source,
      startedAt: call.startedAt,
      policy: call.policy,
      acc: call.acc,
      traceId: call.traceId,
    };
    this.calls.set(c.id, c);
    this.emit('dialog.started', 'started', c, call.startedAt, {});
  }

  /** A server transaction completed: the INVITE's final response, or a request inside a call. */
  completed(tx: CompletedTransaction): void {
    const req = tx.req;
    if (req.method === 'INVITE' && req.to.tag === undefined) {
      this.inviteCompleted(tx);
      return;
    }
    if (req.method === 'BYE' && tx.dialogId !== undefined) this.byeCompleted(tx);
  }

  private inviteCompleted(tx: CompletedTransaction): void {
    const id = tx.dialogId;
    const c = id === undefined ? undefined : this.calls.get(id);
    const now = this.options.now();
    if (c === undefined) {
      // Never relayed: the router (or the edge) refused the call. A CDR says so, except for the
      // challenge of the authentication dance (the INVITE with credentials that follows is the call).
      if (id === undefined && tx.attempts > 0 && tx.status >= 300 && tx.status !== 401 && tx.status !== 407) this.refused(tx, now);
      return;
    }
    c.inviteCode = tx.status;
    c.inviteReason = tx.reason;
    if (tx.finalDstUri !== undefined) c.dstUri = tx.finalDstUri;
    if (tx.finalRuri !== undefined) c.answeredRuri = tx.finalRuri;
    if (tx.status < 300) {
      c.answeredAt = now;
      if (tx.toTag !== undefined) c.toTag = tx.toTag;
      this.emit('dialog.answered', 'answered', c, now, {});
      return;
    }
    if (tx.toTag !== undefined && tx.outcome === 'relayed') c.toTag = tx.toTag;
    this.end(c, now, dispositionOf(tx), hangupOf(tx), 'ended');
  }

  private byeCompleted(tx: CompletedTransaction): void {
    const id = tx.dialogId as string;
    const c = this.calls.get(id);
    const at = tx.startedAt; // the call ended when the BYE arrived
    if (c === undefined) {
      this.emitRecovered(id, tx, at);
      return;
    }
    const hangup: Hangup = tx.req.from.tag === c.fromTag ? 'caller' : 'callee';
    // A BYE before the INVITE's final response (the caller gave up in an early dialog): not answered.
    this.end(c, at, c.answeredAt !== undefined ? 'answered' : 'cancelled', hangup, 'ended', { bye_code: tx.status });
  }

  /** Ends every call answered longer ago than the maximum duration (Kamailio counts the dialog timeout from the 2xx). */
  sweep(): void {
    const now = this.options.now();
    const limit = now - this.options.maxDurationMs;
    for (const c of this.calls.values()) {
      // In start order: once a call started after the limit, every later one was answered after it too.
      if (c.startedAt > limit) break;
      if (c.answeredAt !== undefined && c.answeredAt <= limit) {
        this.end(c, now, 'answered', 'timeout', 'ended');
        this.options.onTimeout?.({ dialogId: c.id, callId: c.callId, fromTag: c.fromTag });
      }
    }
  }

  /** The edge stops: every open call ends now (hangup `edge-stopped`); its BYE, if it comes to a restarted edge, corrects the end. */
  stop(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const now = this.options.now();
    for (const c of [...this.calls.values()]) this.end(c, now, c.answeredAt !== undefined ? 'answered' : 'unfinished', 'edge-stopped', 'stopped');
  }

  private end(c: Call, at: number, disposition: Disposition, hangup: Hangup, suffix: 'ended' | 'stopped', more: Partial<DialogEvent> = {}): void {
    this.calls.delete(c.id);
    const answered = c.answeredAt;
    const fields: Partial<DialogEvent> = {
      ended_at: new Date(at).toISOString(),
      duration_ms: answered === undefined ? 0 : Math.max(0, at - answered),
      disposition,
      hangup,
      ...more,
    };
    this.emit('dialog.ended', suffix, c, at, fields);
  }

  private refused(tx: CompletedTransaction, now: number): void {
    const req = tx.req;
    if (req.from.tag === undefined) return;
    const c: Call = {
      id: dialogIdOf(req.callId, req.from.tag, req.cseq.seq),
      callId: req.callId,
      fromTag: req.from.tag,
      from: partyOf(req.from, req.fromUri),
      ruri: req.requestUri,
      source: tx.inbound.source,
      startedAt: tx.startedAt,
      policy: tx.policy,
      acc: tx.acc,
      traceId: tx.traceId,
      inviteCode: tx.status,
      inviteReason: tx.reason,
    };
    this.end(c, now, dispositionOf(tx), hangupOf(tx), 'ended');
  }

  private emitRecovered(id: string, tx: CompletedTransaction, at: number): void {
    const req = tx.req;
    const event: DialogEvent = {
      event_id: `${id}.recovered`,
      type: 'dialog.ended',
      version: '1.0',
      time: new Date(at).toISOString(),
      edge: this.options.edgeId,
      dialog_id: id,
      call_id: req.callId,
      ended_at: new Date(at).toISOString(),
      bye_code: tx.status,
      recovered: true,
    };
    if (req.from.tag !== undefined) event.bye_from_tag = req.from.tag;
    if (tx.traceId !== undefined) event.trace_id = tx.traceId;
    this.options.sink.emit(event);
  }

  private emit(type: DialogEvent['type'], suffix: string, c: Call, at: number, more: Partial<DialogEvent>): void {
    const event: DialogEvent = {
      event_id: `${c.id}.${suffix}`,
      type,
      version: '1.0',
      time: new Date(at).toISOString(),
      edge: this.options.edgeId,
      dialog_id: c.id,
      call_id: c.callId,
      from_tag: c.fromTag,
      from: c.from,
      ruri: c.ruri,
      source: { ip: c.source.ip, port: c.source.port, transport: c.source.transport },
      started_at: new Date(c.startedAt).toISOString(),
      ...more,
    };
    if (c.traceId !== undefined) event.trace_id = c.traceId;
    if (c.policy !== undefined) event.policy = c.policy;
    if (c.acc !== undefined) event.acc = c.acc;
    if (c.toTag !== undefined) event.to_tag = c.toTag;
    if (c.answeredAt !== undefined) event.answered_at = new Date(c.answeredAt).toISOString();
    if (c.answeredRuri !== undefined) event.answered_ruri = c.answeredRuri;
    if (c.dstUri !== undefined) event.dst_uri = c.dstUri;
    if (c.inviteCode !== undefined) {
      event.sip_code = c.inviteCode;
      event.sip_reason = c.inviteReason ?? '';
    }
    this.options.sink.emit(event);
  }
}

/** What a failed (or answered) INVITE means for the call. */
export function dispositionOf(tx: Pick<CompletedTransaction, 'status' | 'outcome' | 'branches'>): Disposition {
  const s = tx.status;
  if (s < 300) return 'answered';
  if (tx.outcome === 'cancelled') return 'cancelled';
  if (s === 486 || s === 600) return 'busy';
  if (s === 408 || s === 480) return 'no-answer';
  return 'failed';
}

/** Who ended an unanswered call: the caller cancelled, a callee refused, or sipmesh answered itself. */
function hangupOf(tx: Pick<CompletedTransaction, 'outcome' | 'finalRuri'>): Hangup {
  if (tx.outcome === 'cancelled') return 'caller';
  return tx.outcome === 'relayed' && tx.finalRuri !== undefined ? 'callee' : 'proxy';
}
