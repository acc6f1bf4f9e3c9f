/**
 * The edge's media anchoring, shared by every transaction: the media client, the anchored calls'
 * flags (media-sessions.ts), what to do when media-control cannot be reached, and the commands
 * that are not tied to one transaction's responses: the delete of a call (BYE, failure, CANCEL,
 * dialog timeout), sent without delaying any SIP message and logged when it fails, and the
 * answer carried by an ACK (late offer, RFC 3264 §5 / RFC 3261 §13.2.1).
 */
import type { EdgeLogEventName } from '../log-events.js';
import type { SipRequest } from '../parser/sip-message.js';
import type { MediaClient } from './media-client.js';
import type { MediaSessions } from './media-sessions.js';
import { sdpOf } from './sdp-body.js';

export const MediaDeleteReason = { bye: 'bye', cancel: 'cancel', failure: 'failure', timeout: 'timeout' } as const;
export type MediaDeleteReason = (typeof MediaDeleteReason)[keyof typeof MediaDeleteReason];

export type OnMediaUnavailable = 'fail' | 'pass';

export interface EdgeMediaCounters {
  inc(name: 'media_bypassed' | 'media_answer_failures'): void;
}

export interface EdgeMediaOptions {
  readonly client: MediaClient;
  readonly sessions: MediaSessions;
  readonly onUnavailable: OnMediaUnavailable;
  readonly counters: EdgeMediaCounters;
  readonly log: (event: EdgeLogEventName, fields: Record<string, unknown>) => void;
}

export class EdgeMedia {
  readonly client: MediaClient;
  readonly sessions: MediaSessions;
  readonly onUnavailable: OnMediaUnavailable;
  readonly counters: EdgeMediaCounters;
  readonly log: EdgeMediaOptions['log'];

  constructor(options: EdgeMediaOptions) {
    this.client = options.client;
    this.sessions = options.sessions;
    this.onUnavailable = options.onUnavailable;
    this.counters = options.counters;
    this.log = options.log;
  }

  /**
   * Deletes the call's media (or, with `toTag`, one callee's branch) in the background; a
   * failure is logged (rtpengine's own media timeout ends a session nobody deletes).
   */
  deleteCall(call: { callId: string; callerTag: string; dialogId: string | undefined }, reason: MediaDeleteReason, toTag?: string): void {
    if (toTag === undefined) this.sessions.drop(call.callId, call.callerTag);
    void this.client
      .command('delete', {
        call_id: call.callId,
        from_tag: call.callerTag,
        reason,
        ...(toTag !== undefined ? { to_tag: toTag } : {}),
        ...(call.dialogId !== undefined ? { dialog_id: call.dialogId } : {}),
      })
      .then((r) => {
        if (!r.ok) this.log('media_delete_failed', { callId: call.callId, reason, toTag, failure: r.failure, message: r.message });
      });
  }

  /** The dialog timeout ended a call (dialog-tracker.ts): its media goes, when it was anchored here. */
  timedOut(callId: string, callerTag: string, dialogId: string): void {
    if (!this.sessions.has(callId, callerTag)) return;
    this.deleteCall({ callId, callerTag, dialogId }, MediaDeleteReason.timeout);
  }

  /**
   * An ACK with SDP in an anchored dialog: the answer to the offer of a 2xx (the INVITE had no
   * SDP). Resolves with the body to relay instead, or undefined to relay the ACK unchanged (no
   * SDP, or media-control failed: the call is up on both sides by now, it is logged and counted).
   */
  async ackAnswer(req: SipRequest, callerTag: string, receivedFrom: string, dialogId: string | undefined): Promise<Buffer | undefined> {
    const sdp = sdpOf(req);
    if (sdp === undefined || req.from.tag === undefined || req.to.tag === undefined) return undefined;
    const side = req.from.tag === callerTag ? 'caller' : 'callee';
    // to_tag is always the callee's: the To tag of the caller's ACK, the From tag of the callee's.
    const toTag = side === 'caller' ? req.to.tag : req.from.tag;
    const flags = this.sessions.get(req.callId, callerTag)?.answer;
    const r = await this.client.command('answer', {
      call_id: req.callId,
      from_tag: callerTag,
      to_tag: toTag,
      side,
      sdp,
      received_from: receivedFrom,
      ...(flags !== undefined ? { flags } : {}),
      ...(dialogId !== undefined ? { dialog_id: dialogId } : {}),
    });
    if (r.ok && r.sdp !== undefined) return Buffer.from(r.sdp, 'utf8');
    this.answerFailed(req.callId, 'ACK', r.ok ? 'error' : r.failure, r.ok ? 'no SDP in the reply' : r.message);
    return undefined;
  }

  /** An answer (or the offer of a 2xx) that could not be rewritten: relayed unchanged, counted, logged. */
  answerFailed(callId: string, message: string, failure: string, detail: string): void {
    this.counters.inc('media_answer_failures');
    this.log(this.onUnavailable === 'fail' ? 'media_answer_failed' : 'media_answer_unchanged', { callId, message, failure, detail });
  }
}
