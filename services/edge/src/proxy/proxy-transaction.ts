/**
 * One proxied request: its server transaction, the wait for a route answer (suspend/continue,
 * DESIGN §2) and the response context over its branches (RFC 3261 §16.7). States:
 *
 *   suspended ──answer──▶ relaying ──final sent──▶ completed
 *        │ deadline / no responders / CANCEL / reply         ▲
 *        └───────────────────────────────────────────────────┘
 *
 * Every exit of `suspended` cancels the deadline and tells the router client to forget the id, so
 * a late answer finds nothing and is counted (never applied twice).
 */
import { dialogId, type BranchOutcome, type RouteAnswer, type Route } from '@sipmesh/contracts';
import { buildResponse, type ResponseOptions } from '../parser/message-builder.js';
import { MessageEdits } from '../parser/message-edits.js';
import { serializeResponse } from '../parser/serialize.js';
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import { parseUri } from '../parser/sip-uri.js';
import {
  InviteServerTransaction,
  NonInviteServerTransaction,
  type InviteServerTransaction as InviteServerTx,
  type ServerTransaction,
  type TimerHandle,
  type TimerTarget,
} from '../transaction/index.js';
import { isReliable, type InboundMessage, type TransportAddress } from '../transport/transport.js';
import { buildRouteParams } from '../bus/route-params.js';
import { Branch, type BranchOwner } from './branch.js';
import { buildBranchRequest, type BranchRequest, type BranchRequestInput } from './branch-request.js';
import { createsDialog, offsetCseq, offsetRecordRouteParams, replaceCseq } from './dialog-cseq.js';
import { CodeSet } from './failover-codes.js';
import { chooseNextHop, isOurUri, type RouteSet } from './route-set.js';
import { contactWithAlias, requestAlias, responseAlias } from './nat-alias.js';
import { accRecordRouteParam, dialogRecordRouteParam, mediaRecordRouteParam } from './dialog-acc.js';
import { TransactionMedia, UNCHANGED, type Rewrite } from './transaction-media.js';
import { bestResponseIndex } from './response-selection.js';
import { REGISTRAR_TARGET, type ProxyContext, type Suspended, type TransactionOutcome } from './proxy-context.js';
import type { ResolveResult } from './next-hop.js';
import { endRelaySpan, type TransactionTrace } from './transaction-trace.js';
import { ServerSide, type ServerSideOwner } from './server-side.js';
import { withoutCredentials } from './uac-auth.js';

export type ProxyState = 'suspended' | 'relaying' | 'completed';

export interface ProxyTransactionInit {
  txId: string;
  /** Server transaction key (RFC 3261 §17.2.3). */
  serverKey: string;
  serial: string;
  loopHash: string;
  req: SipRequest;
  inbound: InboundMessage;
  /** The previous hop's Via with received/rport, for responses and forwarded requests. */
  topVia: string | undefined;
  responseDest: { ip: string; port: number };
  routeSet: RouteSet;
  /** In-dialog requests follow Route/R-URI without asking the router. */
  inDialog: boolean;
  /** A REGISTER for one of our domains, answered by the registrar (isForRegistrar, decided once by the edge core). */
  forRegistrar: boolean;
  trace: TransactionTrace | undefined;
}

const NO_HEADERS: readonly string[] = [];

/** Seconds a registered phone's connection stays open past its binding's expiry (the refresh may come late). */
const REGISTRATION_MARGIN_S = 30;

export class ProxyTransaction implements ServerSideOwner, TimerTarget<'deadline'>, Suspended, BranchOwner {
  /** The transaction's id (events, logs): the id of its first route request. */
  readonly txId: string;
  /** The id of the route request waiting now (see Suspended.askId). */
  askId: string;
  readonly req: SipRequest;
  readonly server: ServerTransaction;
  state: ProxyState = 'suspended';
  private readonly init: ProxyTransactionInit;
  private readonly startedAt: number;
  private readonly branches: Branch[] = [];
  private routes: Route[] = [];
  private nextRoute = 0;
  private serial = true;
  private recordRoute = false;
  private failover: CodeSet;
  private failureAction: 'next' | 'ask' | 'reply' = 'next';
  private failureReply: { code: number; reason: string } | undefined;
  private answer: RouteAnswer | undefined;
  private deadline: TimerHandle | undefined;
  private askedPolicy = '';
  private attempts = 0;
  private finalSent = false;
  private cancelled = false;
  private toTag: string | undefined;
  /** Set when this initial INVITE is tracked as a call (dialog-tracker.ts). */
  private dialogId: string | undefined;
  private branchCounter = 0;
  private pendingStarts = 0;
  /** The media of an anchored call (transaction-media.ts); undefined: SDP goes through unchanged. */
  private media: TransactionMedia | undefined;
  /** The request's SDP as media-control rewrote it, sent to every branch. */
  private offerBody: Buffer | undefined;
  private readonly reliableUpstream: boolean;
  private readonly serverSide: ServerSide;

  constructor(
    private readonly ctx: ProxyContext,
    init: ProxyTransactionInit,
  ) {
    this.init = init;
    this.txId = init.txId;
    this.askId = init.txId;
    this.req = init.req;
    this.startedAt = ctx.now();
    this.failover = ctx.failoverDefault;
    const key = init.serverKey;
    this.reliableUpstream = isReliable(init.inbound.source.transport);
    const timers = this.reliableUpstream ? ctx.timers.reliable : ctx.timers.unreliable;
    const side = new ServerSide(ctx.transports, ctx.table, { transport: init.inbound.source.transport, ip: init.responseDest.ip, port: init.responseDest.port }, init.inbound.connectionId);
    this.server =
      init.req.method === 'INVITE'
        ? new InviteServerTransaction({ key, sender: side, timers, wheel: ctx.wheel, user: side })
        : new NonInviteServerTransaction({ key, sender: side, timers, wheel: ctx.wheel, user: side });
    side.bind(this.server, this);
    this.serverSide = side;
  }

  /** Starts processing: 100 Trying for INVITE (§16.2), then the router or, in-dialog, the route set. */
  start(): void {
    if (this.req.method === 'INVITE') {
      (this.server as InviteServerTx).sendProvisional(100, this.localResponse(100, 'Trying', NO_HEADERS));
    }
    if (this.init.inDialog) {
      this.state = 'relaying';
      // A Request-URI with a NAT alias goes to the alias address (nat-alias.ts).
      const dst = this.init.routeSet.aliasDst;
      const flags = this.init.routeSet.accFlags;
      // The dialog's accounting flags ride on our Record-Route entry (dialog-acc.ts).
      const inDialog: RouteAnswer = { version: '1.0', routing: 'serial', routes: [dst !== undefined ? { dst_uri: dst } : {}], record_route: false };
      if (flags) {
        inDialog.acc = { flags };
        this.answer = inDialog;
      }
      if (this.anchorInDialog()) {
        this.offerThen(() => this.applyRoutes(inDialog));
        return;
      }
      this.applyRoutes(inDialog);
      this.afterInDialogRelay();
      return;
    }
    const received = this.init.routeSet.received;
    if (received !== undefined && this.init.routeSet.remaining.length === 0) {
      // Another edge routed a call for a phone registered here through us (Route with received=):
      // to the phone's real address, staying in the path of the dialog.
      this.state = 'relaying';
      this.applyRoutes({ version: '1.0', routing: 'serial', routes: [{ dst_uri: received }], record_route: true });
      return;
    }
    this.ask(undefined);
  }

  // ---- the route request (suspend) -------------------------------------------------------

  private ask(failure: { status: number; reason: string; branches: BranchOutcome[] } | undefined, policy = this.askedPolicy || this.ctx.policyFor(this.req.uri?.host, this.req.callId)): void {
    const ctx = this.ctx;
    // The answer's on_failure.max_attempts can only lower the edge-wide limit.
    const policyLimit = this.answer?.on_failure?.max_attempts ?? Infinity;
    if (this.attempts >= Math.min(ctx.config.route.maxAttempts, policyLimit)) {
      this.finishWithBest('no_more_routes');
      return;
    }
    this.attempts++;
    this.state = 'suspended';
    if (this.attempts > 1) this.askId = ctx.nextAskId(this.txId);
    // DESIGN §2 step 6: the registrar answers a REGISTER for our domains, like a router would.
    const target = this.init.forRegistrar ? REGISTRAR_TARGET : policy;
    this.askedPolicy = target === REGISTRAR_TARGET ? 'registrar' : policy;
    ctx.counters.inc('route_requests');
    const local = ctx.router.answerLocally?.(this.req, target);
    if (local !== undefined) {
      this.init.trace?.startRouteRequest(this.attempts, this.askedPolicy);
      // as a bus answer would: after the transaction finished asking
      queueMicrotask(() => this.onAnswer(local));
      return;
    }
    const params = buildRouteParams({
      edgeId: ctx.config.id,
      txId: this.askId,
      req: this.req,
      requestUri: this.init.routeSet.requestUri,
      inbound: this.init.inbound,
      ours: ctx.ours,
      attempt: this.attempts,
      failure,
      receivedAt: this.startedAt,
    });
    this.deadline = ctx.wheel.schedule(ctx.config.route.deadlineMs, this, 'deadline');
    ctx.router.ask(this, params, this.init.trace?.startRouteRequest(this.attempts, this.askedPolicy), target);
  }

  private resume(outcome: string): boolean {
    if (this.state !== 'suspended') {
      this.ctx.counters.inc('route_late_answers');
      return false;
    }
    this.init.trace?.endRouteRequest(outcome);
    if (this.deadline !== undefined) this.ctx.wheel.cancel(this.deadline);
    this.deadline = undefined;
    this.ctx.router.forget(this.askId);
    return true;
  }

  onTimer(_kind: 'deadline'): void {
    this.deadline = undefined;
    if (!this.resume('deadline')) return;
    this.ctx.counters.inc('route_deadline');
    this.ctx.log('route_deadline', { txId: this.txId, callId: this.req.callId, policy: this.askedPolicy, deadlineMs: this.ctx.config.route.deadlineMs });
    if (this.tryFallback()) return;
    const r = this.ctx.config.route.deadlineReply;
    this.replyLocally(r.code, r.reason, r.retryAfterS > 0 ? [`Retry-After: ${String(r.retryAfterS)}`] : NO_HEADERS, 'router_timeout');
  }

  onNoResponders(): void {
    if (!this.resume('no_responders')) return;
    this.ctx.counters.inc('route_no_responders');
    if (this.tryFallback()) return;
    const r = this.ctx.config.route.unavailableReply;
    this.replyLocally(r.code, r.reason, r.retryAfterS > 0 ? [`Retry-After: ${String(r.retryAfterS)}`] : NO_HEADERS, 'no_responders');
  }


  /** The configured fallback policy gets one chance when the asked policy is silent or absent. */
  private tryFallback(): boolean {
    const fallback = this.ctx.config.route.fallbackPolicy;
    if (fallback === '' || fallback === this.askedPolicy || this.cancelled || this.init.forRegistrar) return false;
    this.ctx.counters.inc('route_fallbacks');
    this.ask(undefined, fallback);
    return this.state === 'suspended';
  }

  onInvalidAnswer(errors: readonly string[]): void {
    if (!this.resume('invalid_answer')) return;
    this.ctx.counters.inc('route_invalid_answers');
    this.ctx.log('route_answer_invalid', { txId: this.txId, callId: this.req.callId, errors });
    this.replyLocally(500, 'Server Internal Error', NO_HEADERS, 'invalid_answer');
  }

  onRouterError(code: number, message: string, reply: { code: number; reason: string } | undefined): void {
    if (!this.resume('router_error')) return;
    this.ctx.counters.inc('route_errors');
    this.ctx.log('route_error', { txId: this.txId, callId: this.req.callId, code, message });
    this.replyLocally(reply?.code ?? 500, reply?.reason ?? 'Server Internal Error', NO_HEADERS, 'router_error');
  }

  onAnswer(answer: RouteAnswer): void {
    if (!this.resume('answer')) return;
    this.ctx.counters.inc('route_answers');
    this.answer = answer;
    if (answer.reply) {
      const r = answer.reply;
      if (this.req.method === 'REGISTER' && r.code >= 200 && r.code < 300) this.keepRegisteredConnection(r.headers ?? NO_HEADERS);
      this.replyLocally(r.code, r.reason, r.headers ?? NO_HEADERS, 'replied', r.body === undefined ? undefined : { body: Buffer.from(r.body), contentType: r.content_type ?? 'text/plain' });
      return;
    }
    this.state = 'relaying';
    this.startCall(answer);
    if (this.anchorCall(answer)) {
      this.offerThen(() => this.applyRoutes(answer));
      return;
    }
    this.applyRoutes(answer);
  }

  // ---- media anchoring (transaction-media.ts) ------------------------------------------------

  /** An initial INVITE whose route answer has `media`: anchored; true when its offer must be made first. */
  private anchorCall(answer: RouteAnswer): boolean {
    const media = this.ctx.media;
    const req = this.req;
    const callerTag = req.from.tag;
    if (media === undefined || answer.media === undefined || this.media !== undefined || req.method !== 'INVITE' || callerTag === undefined) return false;
    this.media = new TransactionMedia(this.ctx, media, req, this.init.inbound.source.ip, { callId: req.callId, callerTag, dialogId: this.dialogId, flags: answer.media }, true);
    media.sessions.set(req.callId, callerTag, answer.media);
    if (answer.record_route === false) this.ctx.log('media_not_record_routed', { txId: this.txId, callId: req.callId });
    return this.media.offersInRequest;
  }

  /** An in-dialog request of an anchored call (`mc` on our Route entry); true when it carries an offer to make first. */
  private anchorInDialog(): boolean {
    const media = this.ctx.media;
    const callerTag = this.init.routeSet.mediaCallerTag;
    if (media === undefined || callerTag === undefined) return false;
    const req = this.req;
    const flags = media.sessions.get(req.callId, callerTag);
    this.media = new TransactionMedia(this.ctx, media, req, this.init.inbound.source.ip, { callId: req.callId, callerTag, dialogId: this.init.routeSet.dialogId, flags }, false);
    return this.media.offersInRequest;
  }

  /** A BYE of an anchored call: its media goes once the BYE is on its way (never delayed by it). */
  private afterInDialogRelay(): void {
    const media = this.ctx.media;
    if (this.req.method !== 'BYE' || media === undefined || this.media === undefined) return;
    media.deleteCall(this.media.dialog, 'bye');
  }

  /**
   * Makes the request's offer, then `next` relays it with the rewritten SDP. Meanwhile the
   * transaction stays cancellable (a CANCEL answers 487 at once; the call's media goes when the
   * offer comes back).
   */
  private offerThen(next: () => void): void {
    const media = this.media;
    if (media === undefined) return;
    void media.offerRequest().then((r) => {
      if (this.finalSent || this.cancelled) {
        if (r.kind === 'anchored') media.abandoned(this.cancelled);
        return;
      }
      switch (r.kind) {
        case 'anchored':
          this.offerBody = r.body;
          next();
          this.afterInDialogRelay();
          return;
        case 'bypass':
          this.media = undefined;
          if (!this.init.inDialog) this.ctx.media?.sessions.drop(this.req.callId, media.dialog.callerTag);
          next();
          return;
        case 'refuse':
          this.replyLocally(r.status, r.reason, NO_HEADERS, 'local_error');
          return;
      }
    });
  }

  /** Sends a response upstream, its SDP rewritten when the call is anchored, in the order responses came. */
  private upstream(res: SipResponse, branch: Branch, send: (bytes: Buffer) => void, extra: readonly string[] = NO_HEADERS): void {
    const media = this.media;
    if (media === undefined) {
      send(this.forwardable(res, branch, extra));
      return;
    }
    const rewrite: Rewrite = extra === NO_HEADERS ? media.rewrite(res, branch.dest.ip) : UNCHANGED;
    media.upstream(rewrite, (body) => send(this.forwardable(res, branch, extra, body)));
  }

  /** A response made here, behind any relayed one still waiting for its SDP. */
  private inTurn(send: () => void): void {
    if (this.media === undefined) send();
    else this.media.upstream(UNCHANGED, send);
  }

  /** The first route answer of an initial INVITE makes it a call the edge tracks (once, whatever re-asks follow). */
  private startCall(answer: RouteAnswer): void {
    const req = this.req;
    if (this.dialogId !== undefined || !this.ctx.tracksCalls || req.method !== 'INVITE' || req.from.tag === undefined) return;
    this.dialogId = dialogId(req.callId, req.from.tag, req.cseq.seq);
    this.ctx.callStarted({ dialogId: this.dialogId, req, inbound: this.init.inbound, startedAt: this.startedAt, policy: answer.policy, acc: answer.acc, traceId: this.init.trace?.traceId });
  }

  /** Our Record-Route parameters: the dialog's accounting flags and the call's id. */
  private recordRouteParams(): string {
    const anchored = this.media !== undefined && !this.init.inDialog ? this.media.dialog.callerTag : undefined;
    return accRecordRouteParam(this.answer?.acc) + dialogRecordRouteParam(this.dialogId) + mediaRecordRouteParam(anchored);
  }

  /**
   * A phone that registered over a stream connection is called over that connection (it may not
   * accept connections at all, RFC 5626): keep it open while the longest binding the registrar's
   * 200 lists lives, plus a margin for the refresh to arrive.
   */
  private keepRegisteredConnection(headers: readonly string[]): void {
    const id = this.init.inbound.connectionId;
    if (id === undefined || !this.ctx.transports.keepOpen) return;
    let longest = 0;
    for (const h of headers) {
      if (!/^contact\s*:/i.test(h)) continue;
      for (const m of h.matchAll(/;\s*expires\s*=\s*(\d+)/gi)) longest = Math.max(longest, Number(m[1]));
    }
    if (longest > 0) this.ctx.transports.keepOpen(id, (longest + REGISTRATION_MARGIN_S) * 1000);
  }

  // ---- relaying --------------------------------------------------------------------------

  private applyRoutes(answer: RouteAnswer): void {
    this.routes = answer.routes ?? [];
    this.nextRoute = 0;
    this.serial = answer.routing !== 'parallel';
    const m = this.req.method;
    this.recordRoute = answer.record_route ?? (m === 'INVITE' || m === 'SUBSCRIBE');
    const f = answer.on_failure;
    this.failover = f?.codes ? new CodeSet(f.codes) : this.ctx.failoverDefault;
    this.failureAction = f?.action ?? 'next';
    this.failureReply = f?.reply ? { code: f.reply.code, reason: f.reply.reason } : undefined;
    if (this.routes.length === 0) {
      // An empty route set is valid by the schema and means "nowhere to go": answer, never wait.
      this.finishWithBest('no_more_routes');
      return;
    }
    if (this.serial) this.startNext();
    else while (this.nextRoute < this.routes.length) this.startNext();
  }

  /** Starts the next route of the set; false when none is left. */
  private startNext(): boolean {
    const route = this.routes[this.nextRoute++];
    if (!route) return false;
    const index = this.branchCounter++;
    const requestUri = route.uri ?? this.init.routeSet.requestUri;
    // rtjson `path` is a Path header value (RFC 3327): `<uri>` entries, angles optional here.
    const path = route.path ? route.path.split(',').map((s) => stripAngles(s.trim())).filter((s) => s !== '') : [];
    const routeUris = [...path, ...this.init.routeSet.remaining.map((r) => r.uri)];
    const choice = chooseNextHop(requestUri, routeUris, route.dst_uri);
    if (!choice) {
      this.ctx.log('route_unusable', { txId: this.txId, route: withoutCredentials(route) });
      this.recordLocalFailure(route, requestUri, 500, 'Invalid Route');
      return true;
    }
    const resolved = this.ctx.resolver.resolve(choice.uri);
    const go = (r: ResolveResult): void => {
      if (this.state === 'completed' || this.cancelled) {
        this.pendingStarts--;
        this.maybeFinish();
        return;
      }
      this.pendingStarts--;
      if (!r.ok) {
        this.ctx.log('next_hop_unresolved', { txId: this.txId, code: r.code, detail: r.detail });
        this.recordLocalFailure(route, requestUri, r.code === 'EDGE_ERR_DNS' ? 503 : 500, r.code === 'EDGE_ERR_DNS' ? 'Service Unavailable' : 'Unsupported Transport');
        return;
      }
      this.launch(route, index, requestUri, path, choice, r.address);
    };
    this.pendingStarts++;
    if (resolved instanceof Promise) void resolved.then(go);
    else go(resolved);
    return true;
  }

  private launch(route: Route, index: number, requestUri: string, path: string[], choice: NonNullable<ReturnType<typeof chooseNextHop>>, dest: TransportAddress): void {
    const listener = this.ctx.transports.listenerFor(dest.transport);
    if (!listener) {
      this.recordLocalFailure(route, requestUri, 503, 'Service Unavailable');
      return;
    }
    // An in-dialog request of the caller in a dialog whose CSeq was raised by a uac_auth re-send.
    const cseq = offsetCseq(this.init.routeSet.cseqOffset, this.req);
    const branchId = `${this.branchPrefix()}.${String(index)}`;
    const input: BranchRequestInput = {
      req: this.req,
      routeSet: this.init.routeSet,
      route,
      requestUri,
      path,
      strict: choice.strict,
      topVia: this.init.topVia,
      listener,
      inbound: this.init.inbound.listener,
      branchId,
      recordRoute: this.recordRoute,
      maxForwardsDefault: this.ctx.config.sip.maxForwardsDefault,
      reliable: isReliable(dest.transport),
      ...(cseq !== undefined ? { cseq } : {}),
      ...this.contactAliasFor(),
      ...(this.recordRoute ? { recordRouteParams: this.recordRouteParams() } : {}),
      ...(this.offerBody !== undefined ? { body: this.offerBody } : {}),
    };
    const built = buildBranchRequest(input);
    const branch = new Branch(this.ctx, this, {
      index,
      route,
      requestUri,
      branchId,
      method: this.req.method,
      dest,
      request: built.bytes,
      restore: built.restore,
      ...(route.auth !== undefined ? { resend: (id: string, credentials: string) => this.resentRequest(input, id, credentials) } : {}),
    });
    this.branches.push(branch);
    if (this.init.trace) branch.span = this.init.trace.startRelay(branch.branchId, requestUri, `${dest.transport}:${dest.ip}:${String(dest.port)}`);
    if (!branch.start()) {
      endRelaySpan(branch.span, 503);
      this.branches.pop();
      this.recordLocalFailure(route, requestUri, 503, 'Service Unavailable');
    }
  }

  /**
   * The request of a branch sent again with credentials (Kamailio uac_auth): CSeq + 1 (§8.1.3.5).
   * A dialog-creating request is record-routed with the offset on our URI, so that the dialog's
   * requests come back through the edge to be renumbered (dialog-cseq.ts); without a From tag
   * there is no telling the caller's requests apart, and the challenge goes upstream instead.
   */
  private resentRequest(input: BranchRequestInput, branchId: string, credentials: string): BranchRequest | undefined {
    const req = this.req;
    if (!Number.isFinite(req.cseq.seq) || req.cseq.seq >= 0x7fffffff) return undefined; // §8.1.1.5: below 2**31
    const again: BranchRequestInput = { ...input, branchId, credentials, cseq: req.cseq.seq + 1 };
    if (createsDialog(req)) {
      if (req.from.tag === undefined) return undefined;
      again.recordRoute = true;
      again.recordRouteParams = offsetRecordRouteParams(1, req.from.tag) + this.recordRouteParams();
    }
    return buildBranchRequest(again);
  }

  mayResend(_branch: Branch): boolean {
    return !this.finalSent && !this.cancelled;
  }

  private branchPrefix(): string {
    return `z9hG4bK${this.init.loopHash}.${this.init.serial}`;
  }

  /** A route that never became a branch (bad URI, DNS failure, table full) fails like a branch would. */
  private recordLocalFailure(route: Route, requestUri: string, status: number, reason: string): void {
    const failed = new FailedRoute(route, requestUri, status, reason);
    this.failedRoutes.push(failed);
    this.afterFailure(status, reason);
  }

  private readonly failedRoutes: FailedRoute[] = [];

  onBranchProvisional(branch: Branch, status: number, res: SipResponse): void {
    if (this.finalSent) return;
    this.upstream(res, branch, (bytes) => {
      if (this.server instanceof InviteServerTransaction) this.server.sendProvisional(status, bytes);
      else this.server.sendProvisional(status, bytes);
    });
  }

  onBranch2xx(branch: Branch, status: number, res: SipResponse): void {
    // §16.7 step 5: every 2xx is forwarded at once, even after another final (RFC 6026 Accepted).
    endRelaySpan(branch.span, status);
    branch.span = undefined;
    const first = !this.finalSent;
    this.finalSent = true;
    this.upstream(res, branch, (bytes) => this.server.sendFinal(status, bytes));
    if (first) {
      this.state = 'completed';
      this.complete(status, res.reason, 'relayed', { toTag: res.to.tag, ruri: branch.requestUri, dstUri: branch.route.dst_uri });
      // §16.7 step 10 / §16.10: the call is answered, cancel every other pending branch.
      for (const b of this.branches) if (b !== branch) b.cancel();
      this.routes = [];
    }
  }

  onBranchFailed(branch: Branch, status: number, reason: string, _res: SipResponse | undefined): void {
    endRelaySpan(branch.span, status);
    branch.span = undefined;
    if (this.finalSent) {
      this.maybeSettle();
      return;
    }
    if (status >= 600) {
      // §16.7 step 5: a 6xx ends forking: cancel the others, start nothing new.
      for (const b of this.branches) if (b !== branch) b.cancel();
      this.routes = [];
    }
    this.afterFailure(status, reason);
  }

  private afterFailure(status: number, reason: string): void {
    if (this.finalSent) return;
    if (!this.cancelled && this.failover.has(status)) {
      if (this.failureAction === 'reply' && this.failureReply) {
        this.cancelAll();
        this.replyLocally(this.failureReply.code, this.failureReply.reason, NO_HEADERS, 'replied');
        return;
      }
      if (this.serial) {
        if (this.failureAction === 'next' && this.startNext()) return;
        if (this.failureAction === 'ask') {
          this.routes = [];
          this.ask({ status, reason, branches: this.outcomes() });
          return;
        }
      } else if (this.failureAction === 'ask' && this.allDone()) {
        this.ask({ status, reason, branches: this.outcomes() });
        return;
      }
    }
    this.maybeFinish();
  }

  onBranchReleased(_branch: Branch): void {
    // Branches are released (client transaction terminated) long after they are done; settling
    // only waits for them to be done.
  }

  private allDone(): boolean {
    if (this.pendingStarts > 0) return false;
    for (const b of this.branches) if (!b.done) return false;
    return this.serial ? true : this.nextRoute >= this.routes.length;
  }

  private maybeFinish(): void {
    if (this.finalSent || this.state === 'suspended' || !this.allDone()) return;
    this.finishWithBest(this.cancelled ? 'cancelled' : 'relayed');
  }

  /** §16.7 step 6-8: forward the best final response, or make one. */
  private finishWithBest(outcome: TransactionOutcome): void {
    const candidates = [
      ...this.failedRoutes.map((f) => ({ status: f.status, received: false, reason: f.reason, res: undefined as SipResponse | undefined, branch: undefined as Branch | undefined })),
      ...this.branches.filter((b) => b.done && b.status >= 300).map((b) => ({ status: b.status, received: b.response !== undefined, reason: b.reason, res: b.response, branch: b as Branch | undefined })),
    ];
    const best = candidates[bestResponseIndex(candidates) ?? -1];
    if (!best) {
      this.replyLocally(this.cancelled ? 487 : 500, this.cancelled ? 'Request Terminated' : 'Server Internal Error', NO_HEADERS, outcome);
      return;
    }
    if (this.cancelled && !best.received) {
      this.replyLocally(487, 'Request Terminated', NO_HEADERS, 'cancelled');
      return;
    }
    if (!best.res || !best.branch) {
      this.replyLocally(best.status, best.reason, NO_HEADERS, outcome === 'relayed' ? 'local_error' : outcome);
      return;
    }
    if (best.status === 503 && this.ctx.config.sip.convert503To500) {
      // §16.7 step 6: a downstream 503 means that element is unavailable, not this proxy.
      this.replyLocally(500, 'Server Internal Error', NO_HEADERS, outcome);
      return;
    }
    const extra = best.status === 401 || best.status === 407 ? this.collectChallenges(best.res) : NO_HEADERS;
    this.finalSent = true;
    this.state = 'completed';
    const res = best.res;
    const status = best.status;
    this.upstream(res, best.branch, (bytes) => this.server.sendFinal(status, bytes), extra);
    this.complete(best.status, best.reason, outcome, { toTag: best.res.to.tag, ruri: best.branch.requestUri, dstUri: best.branch.route.dst_uri });
  }

  /** §16.7 step 7: WWW-/Proxy-Authenticate of every 401/407 received, added to the one forwarded. */
  private collectChallenges(chosen: SipResponse): readonly string[] {
    const out: string[] = [];
    for (const b of this.branches) {
      const res = b.response;
      if (!res || res === chosen || (res.status !== 401 && res.status !== 407)) continue;
      for (const v of res.headerValues('www-authenticate')) out.push(`WWW-Authenticate: ${v}`);
      for (const v of res.headerValues('proxy-authenticate')) out.push(`Proxy-Authenticate: ${v}`);
    }
    return out;
  }

  // ---- CANCEL (§16.10) -------------------------------------------------------------------

  /** The 200 to the CANCEL is the edge's job; here the INVITE is ended. */
  cancel(): void {
    if (this.finalSent || this.cancelled) return;
    this.cancelled = true;
    if (this.state === 'suspended') {
      if (this.resume('cancelled')) this.ctx.counters.inc('route_cancelled_while_suspended');
      this.replyLocally(487, 'Request Terminated', NO_HEADERS, 'cancelled');
      return;
    }
    this.routes = [];
    this.cancelAll();
    this.maybeFinish();
  }

  private cancelAll(): void {
    for (const b of this.branches) b.cancel();
  }

  // ---- responses upstream ----------------------------------------------------------------

  private forwardable(res: SipResponse, branch: Branch, extra: readonly string[] = NO_HEADERS, body?: Buffer): Buffer {
    return forwardResponse(res, branch.restore, extra, this.reliableUpstream, this.responseAlias(res, branch), body);
  }

  /**
   * The NAT alias for the Contact of this request when it came from behind NAT, only where the
   * dialog's requests come back through the edge to find it (record-routed, or in a dialog);
   * worked out once, when the first branch is built.
   */
  private contactAliasFor(): { contactAlias?: string } {
    if (!(this.recordRoute || this.init.inDialog)) return {};
    if (this.natAlias === undefined) this.natAlias = requestAlias(this.req, this.init.inbound.source, this.ctx.config.nat) ?? null;
    return this.natAlias === null ? {} : { contactAlias: this.natAlias };
  }

  /** undefined: not worked out yet; null: none. */
  private natAlias: string | null | undefined;

  /** The NAT alias for the Contact of a response from behind NAT, where the dialog comes back through the edge. */
  private responseAlias(res: SipResponse, branch: Branch): string | undefined {
    if (!(this.recordRoute || this.init.inDialog) || res.status >= 300) return undefined;
    const top = res.recordRoutes[0];
    const topUri = top ? parseUri(top.uri) : undefined;
    return responseAlias(res, branch.dest, this.ctx.config.nat, topUri !== undefined && isOurUri(topUri, this.ctx.ours));
  }

  private localResponse(status: number, reason: string, headers: readonly string[], body?: { body: Buffer; contentType: string }): Buffer {
    const server = this.ctx.config.sip.serverHeader;
    if (status > 100) this.toTag ??= this.ctx.newTag();
    const opts: { -readonly [K in keyof ResponseOptions]: ResponseOptions[K] } = { headers };
    if (status > 100 && this.toTag !== undefined) opts.toTag = this.toTag;
    if (server !== '') opts.server = server;
    if (this.init.topVia !== undefined) opts.topVia = this.init.topVia;
    if (body) {
      opts.body = body.body;
      opts.contentType = body.contentType;
    }
    return buildResponse(this.req, status, reason, opts);
  }

  private replyLocally(status: number, reason: string, headers: readonly string[], outcome: TransactionOutcome, body?: { body: Buffer; contentType: string }): void {
    if (this.finalSent) return;
    this.finalSent = true;
    this.state = 'completed';
    const bytes = this.localResponse(status, reason, headers, body);
    this.inTurn(() => this.server.sendFinal(status, bytes));
    this.complete(status, reason, outcome, { toTag: this.req.to.tag ?? this.toTag, ruri: undefined, dstUri: undefined });
  }

  /** `final`: the To tag and the branch Request-URI of the final response sent upstream. */
  private complete(status: number, reason: string, outcome: TransactionOutcome, final: { toTag: string | undefined; ruri: string | undefined; dstUri: string | undefined }): void {
    this.init.trace?.end(status, outcome);
    this.ctx.onCompleted({
      txId: this.txId,
      req: this.req,
      inbound: this.init.inbound,
      status,
      reason,
      outcome,
      policy: this.answer?.policy,
      attempts: this.attempts,
      branches: this.outcomes(),
      startedAt: this.startedAt,
      traceId: this.init.trace?.traceId,
      acc: this.answer?.acc,
      toTag: final.toTag,
      finalRuri: final.ruri,
      finalDstUri: final.dstUri,
      dialogId: this.dialogId ?? this.init.routeSet.dialogId,
    });
    this.media?.completed(status, this.cancelled, final.toTag);
    this.maybeSettle();
  }

  private outcomes(): BranchOutcome[] {
    const out: BranchOutcome[] = [];
    for (const f of this.failedRoutes) out.push(f.outcome());
    for (const b of this.branches) {
      if (!b.done && b.status === 0) continue;
      const o: BranchOutcome = { uri: b.requestUri, status: b.status || 408, reason: b.reason };
      if (b.route.dst_uri !== undefined) o.dst_uri = b.route.dst_uri;
      if (b.timedOut) o.timeout = true;
      out.push(o);
    }
    return out;
  }

  // ---- server transaction (through ServerSide) ----------------------------------------------

  onServerTimeout(): void {
    this.ctx.log('ack_timeout', { txId: this.txId, callId: this.req.callId });
  }

  onServerTransportError(): void {
    this.ctx.log('response_send_failed', { txId: this.txId, callId: this.req.callId });
  }

  private serverGone = false;

  onServerTerminated(): void {
    this.serverGone = true;
    // A server transaction never ends before its final response; if one did (transport error before
    // any final), the branches are cancelled so nothing keeps ringing.
    if (!this.finalSent) {
      this.cancelled = true;
      this.cancelAll();
    }
    this.maybeSettle();
  }

  private settled = false;

  /**
   * The transaction has done its work (final response sent, or the server transaction gone, and
   * every branch done): it leaves the edge's live table, and the transactions that linger for their
   * RFC timers keep only what they still need. A branch answered with 2xx may still see that 2xx
   * retransmitted (RFC 6026 §7.2); it goes upstream through the server transaction directly.
   */
  private maybeSettle(): void {
    if (this.settled || this.state === 'suspended' || !(this.finalSent || this.serverGone) || this.pendingStarts > 0) return;
    for (const b of this.branches) if (!b.done) return;
    this.settled = true;
    this.serverSide.owner = undefined;
    const server = this.server;
    // A 2xx retransmitted after this (RFC 6026 §7.2) gets the SDP its first copy got (cached).
    for (const b of this.branches) b.detach((status, res) => this.upstream(res, b, (bytes) => server.sendFinal(status, bytes)));
    this.ctx.onReleased(this.txId);
  }

  /** A stream transport failed towards `dest` after a send: fail the branches that use it. */
  transportFailed(ip: string, port: number): void {
    for (const b of this.branches) if (!b.done && b.dest.ip === ip && b.dest.port === port) b.transportFailed();
  }

  /** The branch whose forwarded request carried `branchId`, for logs and tests. */
  get branchCount(): number {
    return this.branches.length;
  }
}

class FailedRoute {
  constructor(
    readonly route: Route,
    readonly requestUri: string,
    readonly status: number,
    readonly reason: string,
  ) {}

  outcome(): BranchOutcome {
    const o: BranchOutcome = { uri: this.requestUri, status: this.status, reason: this.reason };
    if (this.route.dst_uri !== undefined) o.dst_uri = this.route.dst_uri;
    return o;
  }
}

/**
 * A response on its way upstream (RFC 3261 §16.7 step 3, 9): our Via removed, From/To and the CSeq
 * number put back when the branch changed them, extra header lines (collected challenges) appended,
 * the Contact of a user agent behind NAT given its alias.
 */
function forwardResponse(res: SipResponse, restore: Branch['restore'], extra: readonly string[], reliable: boolean, contactAlias?: string, body?: Buffer): Buffer {
  const edits = new MessageEdits();
  if (body !== undefined) edits.setBody(body);
  if (contactAlias !== undefined) {
    const field = res.headerFields('contact')[0];
    const contact = res.contacts[0];
    if (field && contact) edits.replaceHeaderValue(field, contactWithAlias(contact, contactAlias));
  }
  const top = res.headerFields('via')[0];
  if (top) edits.removeFirstValue(top);
  if (restore.from !== undefined) {
    const f = res.headerFields('from')[0];
    if (f) edits.replaceHeaderValue(f, restore.from);
  }
  if (restore.to !== undefined) {
    const t = res.headerFields('to')[0];
    if (t) edits.replaceHeaderValue(t, withTag(restore.to, res.to.tag));
  }
  // The request went with another CSeq number (uac_auth re-send, dialog offset): the UAC matches
  // its own (§8.1.3.3, dialog-cseq.ts).
  if (restore.cseq !== undefined) replaceCseq(res, edits, restore.cseq);
  for (const line of extra) edits.appendHeader(line);
  return serializeResponse(res, edits, { withContentLength: reliable });
}

function stripAngles(s: string): string {
  return s.startsWith('<') && s.endsWith('>') ? s.slice(1, -1) : s;
}

function withTag(value: string, tag: string | undefined): string {
  return tag === undefined || value.includes(';tag=') ? value : `${value};tag=${tag}`;
}
