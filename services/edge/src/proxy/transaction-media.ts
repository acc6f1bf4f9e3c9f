/**
 * The media of one proxied request of an anchored call (Kamailio's rtpengine_offer /
 * rtpengine_answer in request_route and onreply_route, the book §8.14.3), over media-control:
 *
 * - a request with SDP (the initial INVITE, a re-INVITE, an UPDATE) is an offer: `offer` before
 *   any branch starts, and every branch gets the rewritten SDP (one offer per call: rtpengine
 *   tells forked answers apart by their to-tag);
 * - SDP in a 18x/2xx to it is the answer: `answer` (to-tag = the callee's), rewritten upstream;
 * - a request without SDP makes the SDP of its 2xx the offer of the side that answers (late
 *   offer); its ACK carries the answer (edge-media.ts ackAnswer).
 *
 * `from_tag` is always the caller's tag and `side` says whose SDP it is (contracts media.json);
 * the caller is whoever sent the initial INVITE, named by our Record-Route entry (`mc`).
 *
 * Responses leave in the order they came: while one waits for its rewritten SDP, the ones after
 * it wait too (a 180 after a 183 waits for the 183's answer). A rewrite is asked once per to-tag
 * and SDP, so a retransmitted 2xx (or a 183 with the same SDP as the 200) is not asked again.
 */
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import { MediaDeleteReason, type EdgeMedia } from '../media/edge-media.js';
import type { MediaFlagSet } from '../media/media-sessions.js';
import { sdpOf } from '../media/sdp-body.js';
import type { ProxyContext } from './proxy-context.js';

export type MediaSide = 'caller' | 'callee';

export interface MediaDialog {
  readonly callId: string;
  /** The From tag of the initial INVITE. */
  readonly callerTag: string;
  readonly dialogId: string | undefined;
  /** The route answer's `media`; undefined when the edge no longer knows them (restart): no flags are sent. */
  readonly flags: MediaFlagSet | undefined;
}

export type OfferResult =
  /** Relay with this SDP. */
  | { readonly kind: 'anchored'; readonly body: Buffer }
  /** media.onUnavailable pass: relay unchanged, this request is not anchored. */
  | { readonly kind: 'bypass' }
  /** Answer the request with this status instead (488 refused SDP, 503 media unavailable). */
  | { readonly kind: 'refuse'; readonly status: number; readonly reason: string };

/** The body to relay a response with: known now (undefined: unchanged), or once media-control answers. */
export type Rewrite = { readonly body: Buffer | undefined } | { readonly pending: Promise<Buffer | undefined> };

export const UNCHANGED: Rewrite = Object.freeze({ body: undefined });

/** Methods whose request SDP is an offer and whose 2xx SDP is the answer (RFC 3264, RFC 3311). */
const OFFERING_METHODS = new Set(['INVITE', 'UPDATE']);

interface CachedRewrite {
  done: boolean;
  body: Buffer | undefined;
  readonly promise: Promise<Buffer | undefined>;
}

export class TransactionMedia {
  /** Whose request this is. */
  readonly requestSide: MediaSide;
  private readonly requestSdp: string | undefined;
  private readonly cache = new Map<string, CachedRewrite>();
  /** Callee to-tags whose SDP was answered (initial INVITE): the ones that lose get a branch delete. */
  private readonly answeredTags = new Set<string>();
  /** A command of this call succeeded: rtpengine holds something to delete if the call fails. */
  private touched = false;
  private waiting = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ProxyContext,
    private readonly media: EdgeMedia,
    private readonly req: SipRequest,
    /** Source IP of the request (received_from of its offer). */
    private readonly source: string,
    readonly dialog: MediaDialog,
    /** An initial INVITE (its failure deletes the call); false for in-dialog requests. */
    private readonly initial: boolean,
  ) {
    this.requestSide = req.from.tag === dialog.callerTag ? 'caller' : 'callee';
    this.requestSdp = OFFERING_METHODS.has(req.method) ? sdpOf(req) : undefined;
  }

  /** The request carries an offer to make before it is relayed. */
  get offersInRequest(): boolean {
    return this.requestSdp !== undefined;
  }

  /** The request's offer; never rejects. */
  async offerRequest(): Promise<OfferResult> {
    const sdp = this.requestSdp;
    if (sdp === undefined) return { kind: 'bypass' };
    const { callId, callerTag } = this.dialog;
    // A request of the callee names the caller in its To tag and itself in its From tag.
    const toTag = this.requestSide === 'caller' ? this.req.to.tag : this.req.from.tag;
    const r = await this.media.client.command('offer', {
      ...this.base(),
      ...(toTag !== undefined ? { to_tag: toTag } : {}),
      side: this.requestSide,
      sdp,
      received_from: this.source,
      ...this.flagsOf('offer'),
      ...(this.initial && this.dialog.flags?.set !== undefined ? { set: this.dialog.flags.set } : {}),
    });
    if (r.ok && r.sdp !== undefined) {
      this.touched = true;
      return { kind: 'anchored', body: Buffer.from(r.sdp, 'utf8') };
    }
    const failure = r.ok ? 'error' : r.failure;
    const message = r.ok ? 'no SDP in the reply' : r.message;
    if (failure === 'timeout') {
      // The offer may still land after we gave up: nothing of it may stay in rtpengine.
      this.media.deleteCall(this.dialog, MediaDeleteReason.failure);
    }
    if (failure === 'rejected') {
      this.ctx.log('media_offer_refused', { callId, callerTag, method: this.req.method, status: 488, failure, message });
      return { kind: 'refuse', status: 488, reason: 'Not Acceptable Here' };
    }
    if (this.media.onUnavailable === 'pass') {
      this.media.counters.inc('media_bypassed');
      this.ctx.log('media_bypassed', { callId, callerTag, method: this.req.method, failure, message });
      return { kind: 'bypass' };
    }
    this.ctx.log('media_offer_refused', { callId, callerTag, method: this.req.method, status: 503, failure, message });
    return { kind: 'refuse', status: 503, reason: 'Service Unavailable' };
  }

  /**
   * The body for a response to this request coming from `peerIp`: the answer to the request's
   * offer, or (request without SDP) the 2xx's own offer; UNCHANGED when there is nothing to do.
   */
  rewrite(res: SipResponse, peerIp: string): Rewrite {
    if (res.status < 101 || res.status >= 300) return UNCHANGED;
    const sdp = sdpOf(res);
    if (sdp === undefined) return UNCHANGED;
    const lateOffer = this.requestSdp === undefined;
    // Without SDP in the request only a 2xx offers (an offer in a reliable 18x needs PRACK, RFC 3262: not anchored).
    if (lateOffer && (res.status < 200 || !OFFERING_METHODS.has(this.req.method))) return UNCHANGED;
    const toTag = this.requestSide === 'caller' ? res.to.tag : this.req.from.tag;
    if (toTag === undefined) return UNCHANGED;
    const key = `${toTag}\n${sdp}`;
    let cached = this.cache.get(key);
    if (cached === undefined) {
      if (this.initial) this.answeredTags.add(toTag);
      cached = this.ask(lateOffer ? 'offer' : 'answer', toTag, sdp, peerIp, res.status);
      this.cache.set(key, cached);
    }
    return cached.done ? { body: cached.body } : { pending: cached.promise };
  }

  private ask(method: 'offer' | 'answer', toTag: string, sdp: string, peerIp: string, status: number): CachedRewrite {
    const side: MediaSide = this.requestSide === 'caller' ? 'callee' : 'caller';
    const promise = this.media.client
      .command(method, {
        ...this.base(),
        to_tag: toTag,
        side,
        sdp,
        received_from: peerIp,
        ...this.flagsOf(method),
      })
      .then((r) => {
        entry.done = true;
        if (r.ok && r.sdp !== undefined) {
          this.touched = true;
          entry.body = Buffer.from(r.sdp, 'utf8');
        } else {
          this.media.answerFailed(this.dialog.callId, `${String(status)} to ${this.req.method}`, r.ok ? 'error' : r.failure, r.ok ? 'no SDP in the reply' : r.message);
        }
        return entry.body;
      });
    const entry: CachedRewrite = { done: false, body: undefined, promise };
    return entry;
  }

  /**
   * Sends one response upstream in its turn: at once when nothing before it waits and its body is
   * known, else after everything queued before it.
   */
  upstream(rewrite: Rewrite, send: (body: Buffer | undefined) => void): void {
    if ('body' in rewrite && this.waiting === 0) {
      send(rewrite.body);
      return;
    }
    this.waiting++;
    const body = 'pending' in rewrite ? rewrite.pending : Promise.resolve(rewrite.body);
    this.chain = this.chain
      .then(() => body)
      .then((b) => {
        this.waiting--;
        send(b);
      })
      .catch((err: unknown) => {
        this.ctx.log('media_relay_failed', { callId: this.dialog.callId, err });
      });
  }

  /**
   * The initial INVITE got its final response: a failure deletes the call; an answer deletes the
   * branches of other callees whose early media was anchored (their 18x had SDP).
   */
  completed(status: number, cancelled: boolean, toTag: string | undefined): void {
    if (!this.initial) return;
    if (status >= 300) {
      this.media.sessions.drop(this.dialog.callId, this.dialog.callerTag);
      if (this.touched) this.media.deleteCall(this.dialog, cancelled ? MediaDeleteReason.cancel : MediaDeleteReason.failure);
      return;
    }
    for (const tag of this.answeredTags) if (tag !== toTag) this.media.deleteCall(this.dialog, MediaDeleteReason.cancel, tag);
  }

  /** The offer came back after the transaction ended (CANCEL while it was in flight): the call goes. */
  abandoned(cancelled: boolean): void {
    if (this.touched) this.media.deleteCall(this.dialog, cancelled ? MediaDeleteReason.cancel : MediaDeleteReason.failure);
  }

  private base(): { call_id: string; from_tag: string; dialog_id?: string } {
    const d = this.dialog;
    return { call_id: d.callId, from_tag: d.callerTag, ...(d.dialogId !== undefined ? { dialog_id: d.dialogId } : {}) };
  }

  private flagsOf(method: 'offer' | 'answer'): { flags?: NonNullable<MediaFlagSet['offer']> } {
    const flags = this.dialog.flags?.[method];
    return flags !== undefined ? { flags } : {};
  }
}
