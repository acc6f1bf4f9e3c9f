/**
 * One branch of a proxied request (RFC 3261 §16.6): the request as it left for one target, its
 * client transaction, the Kamailio-style branch timers (fr_timer before the first response,
 * fr_inv_timer/Timer C after a provisional) and its CANCEL (§16.10, §9.1).
 *
 * A route with credentials (rtjson `auth`, Kamailio uac_auth()) answers one 401/407 itself: the
 * branch sends its request again, once, as a new client transaction (new Via branch, CSeq + 1,
 * Authorization / Proxy-Authorization, §22.2, §8.1.3.5) to the same next hop, and that attempt's
 * outcome is the branch's. The challenge never goes upstream unless the second attempt is
 * challenged too. See dialog-cseq.ts for how the changed CSeq stays consistent for both ends.
 */
import type { Span } from '@opentelemetry/api';
import type { Route } from '@sipmesh/contracts';
import { buildAckForNon2xx, buildCancel } from '../parser/message-builder.js';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import {
  clientTransactionKey,
  InviteClientTransaction,
  NonInviteClientTransaction,
  type ClientTimeout,
  type ClientTransaction,
  type ClientTransactionUser,
  type TimerHandle,
  type TimerTarget,
  type TransactionSender,
} from '../transaction/index.js';
import { isReliable, type TransportAddress } from '../transport/transport.js';
import type { BranchRequest } from './branch-request.js';
import type { ProxyContext } from './proxy-context.js';
import { answerChallenge } from '@sipmesh/runtime';

/** What the branch reports to its proxy transaction (the response context, §16.7). */
export interface BranchOwner {
  onBranchProvisional(branch: Branch, status: number, res: SipResponse): void;
  onBranch2xx(branch: Branch, status: number, res: SipResponse): void;
  /** A final non-2xx response, received (`res`) or made locally (`res` undefined: timeout, transport error). */
  onBranchFailed(branch: Branch, status: number, reason: string, res: SipResponse | undefined): void;
  onBranchReleased(branch: Branch): void;
  /** Whether a challenged branch may still send its request again (no final response sent upstream, no CANCEL). */
  mayResend(branch: Branch): boolean;
}

export type BranchState = 'trying' | 'proceeding' | 'completed';

const EMPTY = Buffer.alloc(0);

export interface BranchInit {
  index: number;
  route: Route;
  requestUri: string;
  branchId: string;
  method: string;
  dest: TransportAddress;
  request: Buffer;
  /** Restores From/To changed for this branch in the responses it gets (rtjson headers.from/to), and the CSeq number. */
  restore: BranchRequest['restore'];
  /**
   * Builds the request again for a uac_auth re-send (the route has `auth`): new Via branch, the
   * given credentials header line, CSeq + 1; undefined when the request cannot be re-sent.
   */
  resend?: (branchId: string, credentials: string) => BranchRequest | undefined;
}

/** Appended to the branch id of a re-sent request: a new transaction (§17.1.3), same loop-detection prefix (§16.6 step 8). */
const RESENT_BRANCH_SUFFIX = '.a';

export class Branch implements ClientTransactionUser, TransactionSender, TimerTarget<'fr'> {
  readonly index: number;
  readonly route: Route;
  readonly requestUri: string;
  /** The Via branch of the current attempt (a uac_auth re-send has its own). */
  branchId: string;
  readonly dest: TransportAddress;
  /** What responses going upstream get back; replaced by a re-send (its CSeq differs). */
  restore: BranchInit['restore'];
  state: BranchState = 'trying';
  status = 0;
  reason = '';
  /** The final response when one was received; undefined for local outcomes. */
  response: SipResponse | undefined;
  timedOut = false;
  /** The relay span when tracing is on. */
  span: Span | undefined;
  private readonly method: string;
  private request: Buffer;
  private parsedRequest: SipRequest | undefined;
  private tx: ClientTransaction | undefined;
  private cancelTx: ClientTransaction | undefined;
  private frHandle: TimerHandle | undefined;
  private cancelState: 'none' | 'pending' | 'sent' = 'none';
  private live = 0;
  private resend: BranchInit['resend'];
  /** The request was sent again with credentials (at most once, Kamailio uac_auth). */
  private resent = false;

  private owner: BranchOwner;

  constructor(
    private readonly ctx: ProxyContext,
    owner: BranchOwner,
    init: BranchInit,
  ) {
    this.owner = owner;
    this.index = init.index;
    this.route = init.route;
    this.requestUri = init.requestUri;
    this.branchId = init.branchId;
    this.method = init.method;
    this.dest = init.dest;
    this.request = init.request;
    this.restore = init.restore;
    this.resend = init.resend;
  }

  get done(): boolean {
    return this.state === 'completed';
  }

  /** Creates the client transaction and sends the request; false when the transaction table is full. */
  start(): boolean {
    return this.startTransaction();
  }

  /** A client transaction for the current request (the first attempt or a re-send), with its fr_timer. */
  private startTransaction(): boolean {
    const ctx = this.ctx;
    const timers = isReliable(this.dest.transport) ? ctx.timers.reliable : ctx.timers.unreliable;
    const key = clientTransactionKey({ branch: this.branchId, cseqMethod: this.method });
    const tx =
      this.method === 'INVITE'
        ? new InviteClientTransaction({
            key,
            sender: this,
            timers,
            wheel: ctx.wheel,
            user: this,
            request: this.request,
            buildAck: (payload) => this.buildAck(payload),
            timerCMs: this.route.fr_inv_timer ?? ctx.config.timers.frInvTimerMs,
          })
        : new NonInviteClientTransaction({ key, sender: this, timers, wheel: ctx.wheel, user: this, request: this.request });
    if (!ctx.table.addClient(tx).ok) return false;
    this.tx = tx;
    this.live++;
    this.frHandle = ctx.wheel.schedule(this.route.fr_timer ?? ctx.config.timers.frTimerMs, this, 'fr');
    ctx.counters.inc('branches_started');
    tx.start();
    return true;
  }

  // TransactionSender: the transport of this branch's destination.
  send(payload: Buffer): void {
    const r = this.ctx.transports.send(this.dest, payload);
    if (!r.ok) {
      this.ctx.log('branch_send_failed', { branch: this.branchId, dest: this.dest, code: r.code, detail: r.detail });
      // Reported after the current transition finishes (the transaction may be inside start()).
      queueMicrotask(() => this.tx?.transportError());
    }
  }

  /** A stream transport reported a failure towards this branch's destination after the send. */
  transportFailed(): void {
    this.tx?.transportError();
  }

  onResponse(tx: ClientTransaction, status: number, payload: Buffer): void {
    if (tx !== this.tx) return; // responses to our CANCEL need nothing from us
    const res = this.parsed(payload);
    if (!res) return;
    if (status < 200) {
      if (this.state === 'trying') {
        this.state = 'proceeding';
        // Kamailio: fr_timer covers the wait for the first response of an INVITE; Timer C
        // (fr_inv_timer) takes over after a provisional. Non-INVITE keeps fr_timer until the final.
        if (this.method === 'INVITE') this.stopFr();
      }
      if (this.cancelState === 'pending') this.sendCancel();
      // A branch already ended locally (fr_timer) says nothing more upstream.
      if (status > 100 && this.state !== 'completed') this.owner.onBranchProvisional(this, status, res);
      return;
    }
    if (status < 300) {
      const first = this.state !== 'completed';
      if (first) this.complete(status, res.reason, res);
      this.owner.onBranch2xx(this, status, res);
      return;
    }
    if (this.state === 'completed') return;
    // The transaction ACKs a non-2xx after telling us (§17.1.1.3); build that ACK now, while the
    // forwarded request is still held (telling the owner may settle the transaction).
    if (this.method === 'INVITE') this.ack = this.buildAck(payload);
    if (this.answerChallenge(status, res)) return;
    this.complete(status, res.reason, res);
    this.owner.onBranchFailed(this, status, res.reason, res);
  }

  /**
   * Kamailio uac_auth(): a 401 (WWW-Authenticate → Authorization) or 407 (Proxy-Authenticate →
   * Proxy-Authorization, RFC 3261 §22.2, §22.3) to a branch whose route has credentials, of the
   * credentials' realm, is answered by sending the request again once. Not after a CANCEL (Kamailio
   * t_is_canceled()) or once a final response went upstream. True when the re-send is under way.
   */
  private answerChallenge(status: number, res: SipResponse): boolean {
    const credentials = this.route.auth;
    if ((status !== 401 && status !== 407) || credentials === undefined || !this.resend || this.resent) return false;
    if (this.cancelState !== 'none' || !this.owner.mayResend(this)) return false;
    const sent = this.forwardedRequest();
    if (!sent) return false;
    const proxy = status === 407;
    // §22.4: the digest `uri` is the Request-URI of the request, as sent to the challenger.
    const answer = answerChallenge(res.headerValues(proxy ? 'proxy-authenticate' : 'www-authenticate'), credentials, { method: sent.method, uri: sent.requestUri });
    if (!answer.ok) return false;
    const branchId = `${this.branchId}${RESENT_BRANCH_SUFFIX}`;
    const built = this.resend(branchId, `${proxy ? 'Proxy-Authorization' : 'Authorization'}: ${answer.value}`);
    if (!built) return false;
    this.resent = true;
    this.resend = undefined;
    this.stopFr();
    // After the challenged transaction has sent its ACK (it does so once this callback returns),
    // as Kamailio does: the ACK, then the new request.
    this.ctx.afterDispatch(() => this.sendAgain(branchId, built, status, res));
    return true;
  }

  private sendAgain(branchId: string, built: BranchRequest, status: number, challenge: SipResponse): void {
    if (this.state === 'completed') return;
    this.branchId = branchId;
    this.request = built.bytes;
    this.restore = built.restore;
    this.parsedRequest = undefined;
    this.ack = undefined;
    this.state = 'trying';
    if (this.startTransaction()) return;
    // The transaction table is full: the challenge is the branch's answer after all.
    this.complete(status, challenge.reason, challenge);
    this.owner.onBranchFailed(this, status, challenge.reason, challenge);
    if (this.live === 0) this.owner.onBranchReleased(this);
  }

  onTimeout(tx: ClientTransaction, timer: ClientTimeout): void {
    if (tx !== this.tx) return;
    if (timer === 'C' && this.state === 'proceeding') {
      // §16.8: Timer C after a provisional → CANCEL. Kamailio fr_inv_timer: the branch ends now
      // as a local 408 (failover, final answer); the 487 that follows is ACKed and ignored.
      this.sendCancel();
      this.failLocally(408, 'Request Timeout', 'branch_timeouts');
      return;
    }
    this.failLocally(408, 'Request Timeout', 'branch_timeouts');
  }

  onTransportError(tx: ClientTransaction): void {
    if (tx !== this.tx) return;
    // §16.9: a transport error is treated as a 503 from that element.
    this.failLocally(503, 'Service Unavailable', 'branch_transport_errors');
  }

  onTerminated(tx: ClientTransaction): void {
    this.ctx.table.remove(tx);
    if (tx === this.tx) this.tx = undefined;
    if (tx === this.cancelTx) this.cancelTx = undefined;
    if (--this.live === 0 && this.state === 'completed') this.owner.onBranchReleased(this);
  }

  onTimer(_kind: 'fr'): void {
    this.frHandle = undefined;
    if (this.state === 'completed') return;
    if (this.state === 'proceeding' && this.method === 'INVITE') return;
    // Kamailio fr_timer: no (final) response in time. An INVITE without a provisional cannot be
    // CANCELled (§9.1); its transaction keeps retransmitting until Timer B, and a provisional that
    // still comes is CANCELled at once (Kamailio cancel_b_method=1).
    if (this.method === 'INVITE') this.cancelState = 'pending';
    this.failLocally(408, 'Request Timeout', 'branch_timeouts');
  }

  /** CANCEL this branch (§16.10); before a provisional the CANCEL waits for one (§9.1). */
  cancel(): void {
    if (this.state === 'completed' || this.method !== 'INVITE' || this.cancelState !== 'none') return;
    if (this.state === 'proceeding') this.sendCancel();
    else this.cancelState = 'pending';
  }

  /**
   * The proxy transaction has settled: drop the buffers it no longer needs and send any further
   * 2xx (a retransmission, RFC 6026 §7.2) straight to `forward2xx`. A branch that ended locally
   * (timeout) keeps its request: a late provisional must still be CANCELled (§9.1) and a late
   * final still ACKed (§17.1.1.3).
   */
  detach(forward2xx: (status: number, res: SipResponse) => void): void {
    this.owner = {
      onBranchProvisional: () => undefined,
      onBranch2xx: (_b, status, res) => forward2xx(status, res),
      onBranchFailed: () => undefined,
      onBranchReleased: () => undefined,
      mayResend: () => false,
    };
    this.resend = undefined;
    const finalReceived = this.response !== undefined;
    this.response = undefined;
    this.span = undefined;
    if (finalReceived) {
      this.request = EMPTY;
      this.parsedRequest = undefined;
    }
  }

  get cancelRequested(): boolean {
    return this.cancelState !== 'none';
  }

  private sendCancel(): void {
    const tx = this.tx;
    const invite = this.forwardedRequest();
    if (!(tx instanceof InviteClientTransaction) || !invite || this.cancelState === 'sent') return;
    this.cancelState = 'sent';
    const ctx = this.ctx;
    const timers = isReliable(this.dest.transport) ? ctx.timers.reliable : ctx.timers.unreliable;
    const cancel = new NonInviteClientTransaction({
      key: clientTransactionKey({ branch: this.branchId, cseqMethod: 'CANCEL' }),
      sender: this,
      timers,
      wheel: ctx.wheel,
      user: this,
      request: buildCancel(invite),
    });
    if (ctx.table.addClient(cancel).ok) {
      this.cancelTx = cancel;
      this.live++;
      ctx.counters.inc('cancels_sent');
      cancel.start();
    }
    tx.cancelSent();
  }

  private failLocally(status: number, reason: string, counter: 'branch_timeouts' | 'branch_transport_errors'): void {
    if (this.state === 'completed') return;
    this.ctx.counters.inc(counter);
    this.timedOut = status === 408;
    this.complete(status, reason, undefined);
    this.owner.onBranchFailed(this, status, reason, undefined);
    if (this.live === 0) this.owner.onBranchReleased(this);
  }

  private complete(status: number, reason: string, res: SipResponse | undefined): void {
    this.state = 'completed';
    this.status = status;
    this.reason = reason;
    this.response = res;
    this.stopFr();
  }

  private stopFr(): void {
    if (this.frHandle !== undefined) {
      this.ctx.wheel.cancel(this.frHandle);
      this.frHandle = undefined;
    }
  }

  private parsed(payload: Buffer): SipResponse | undefined {
    const current = this.ctx.currentResponse;
    if (current && current.raw === payload) return current;
    const r = parseMessage(payload);
    return r.ok && r.message.kind === 'response' ? r.message : undefined;
  }

  private forwardedRequest(): SipRequest | undefined {
    if (!this.parsedRequest) {
      const r = parseMessage(this.request);
      if (r.ok && r.message.kind === 'request') this.parsedRequest = r.message;
    }
    return this.parsedRequest;
  }

  private ack: Buffer | undefined;

  private buildAck(payload: Buffer): Buffer {
    if (this.ack) return this.ack;
    const invite = this.forwardedRequest();
    const res = this.parsed(payload);
    // Both were produced or accepted by our own parser moments ago; a failure here is a bug.
    if (!invite || !res) throw new Error('cannot build ACK: unparseable forwarded INVITE or response');
    return buildAckForNon2xx(invite, res);
  }
}
