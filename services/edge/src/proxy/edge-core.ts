/**
 * The request and response pipeline of the edge (DESIGN §2), in order: parse, stateless checks
 * (sanity, Max-Forwards, OPTIONS to the edge itself), retransmissions and ACKs matched to their
 * transaction, CANCEL, in-dialog requests along Route, and new requests suspended while the router
 * decides. Responses are matched to client transactions; stray 2xx responses to INVITE are
 * forwarded statelessly (RFC 3261 §16.7, RFC 6026).
 */
import net from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import { parseMessage } from '../parser/parse-message.js';
import { parseUri } from '../parser/sip-uri.js';
import { checkSanity } from '../parser/sanity.js';
import { buildResponse } from '../parser/message-builder.js';
import { MessageEdits } from '../parser/message-edits.js';
import { serializeResponse } from '../parser/serialize.js';
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import {
  clientTransactionKey,
  InviteServerTransaction,
  NonInviteServerTransaction,
  type ServerTransactionUser,
  type TransactionSender,
  type TimerWheel,
  type TransactionTable,
  type TransactionTimerProfiles,
} from '../transaction/index.js';
import { isReliable, type InboundMessage, type TransportAddress } from '../transport/transport.js';
import type { EdgeConfig } from '../config/edge-config.js';
import { buildBranchRequest } from './branch-request.js';
import { offsetCseq, readCseqOffset, replaceCseq } from './dialog-cseq.js';
import { CodeSet } from './failover-codes.js';
import type { Resolver, ResolveResult } from './next-hop.js';
import type { OurAddresses } from './our-addresses.js';
import { isForRegistrar, REGISTRAR_TARGET, type CompletedTransaction, type ProxyContext, type ProxyCounter, type RouteAsker, type StartedCall, type TransportSet } from './proxy-context.js';
import { ProxyTransaction } from './proxy-transaction.js';
import { chooseNextHop, isOurUri, processRoutes, takeRuriAlias, type RouteSet } from './route-set.js';
import { requestServerKey } from './server-key.js';
import { TransactionTrace } from './transaction-trace.js';
import type { EdgeLogEventName } from '../log-events.js';
import type { EdgeMedia } from '../media/edge-media.js';
import { defaultPortFor, fixTopVia, fnv1aHex, isLoop, loopHash, responseAddress } from './via-handling.js';

export type EdgeCounter =
  | ProxyCounter
  | 'requests_received'
  | 'responses_received'
  | 'parse_errors'
  | 'sanity_failures'
  | 'too_many_hops'
  | 'options_keepalive'
  | 'scanners_refused'
  | 'retransmissions_absorbed'
  | 'acks_absorbed'
  | 'acks_forwarded'
  | 'acks_dropped'
  | 'cancels_matched'
  | 'cancels_unmatched'
  | 'not_here'
  | 'loops_detected'
  | 'transaction_limit'
  | 'oversize'
  | 'stray_responses_forwarded'
  | 'stray_responses_dropped'
  | 'transactions_completed'
  | 'untrusted_received_ignored';

export interface EdgeCoreOptions {
  config: EdgeConfig;
  wheel: TimerWheel;
  timers: TransactionTimerProfiles;
  table: TransactionTable;
  ours: OurAddresses;
  resolver: Resolver;
  transports: TransportSet;
  router: RouteAsker;
  /** Live policy selection (settings bucket); absent: always route.policy. */
  policies?: { select(host: string | undefined, callId: string): string };
  counters: { inc(name: EdgeCounter, by?: number): void };
  tracer: Tracer | undefined;
  now: () => number;
  onCompleted: (tx: CompletedTransaction, req: SipRequest, inbound: InboundMessage) => void;
  /** Tracks initial INVITEs as calls (dialog-tracker.ts); absent: no call tracking, no `did` on Record-Route. */
  onCallStarted?: (call: StartedCall) => void;
  /** Media anchoring (media/edge-media.ts); absent: SDP always goes through unchanged. */
  media?: EdgeMedia;
  log: ProxyContext['log'];
}

export class EdgeCore implements ProxyContext {
  readonly config: EdgeConfig;
  readonly wheel: TimerWheel;
  readonly timers: TransactionTimerProfiles;
  readonly table: TransactionTable;
  readonly ours: OurAddresses;
  readonly resolver: Resolver;
  readonly transports: TransportSet;
  readonly router: RouteAsker;
  readonly failoverDefault: CodeSet;
  readonly counters: { inc(name: EdgeCounter, by?: number): void };
  readonly media: EdgeMedia | undefined;
  currentResponse: SipResponse | undefined;
  private readonly options: EdgeCoreOptions;
  private readonly live = new Map<string, ProxyTransaction>();
  private readonly instanceTag = Math.floor(Math.random() * 46656).toString(36).padStart(3, '0');
  private serial = 0;
  private tagCounter = 0;

  constructor(options: EdgeCoreOptions) {
    this.options = options;
    this.relayPeers = networkList(options.config.registrar.relayPeers);
    this.config = options.config;
    this.scannerAgents = options.config.security.scannerUserAgents.map((a) => a.toLowerCase());
    this.wheel = options.wheel;
    this.timers = options.timers;
    this.table = options.table;
    this.ours = options.ours;
    this.resolver = options.resolver;
    this.transports = options.transports;
    this.router = options.router;
    this.counters = options.counters;
    this.media = options.media;
    this.failoverDefault = new CodeSet(options.config.route.failoverCodes);
  }

  get liveTransactions(): number {
    return this.live.size;
  }

  policyFor(host: string | undefined, callId: string): string {
    return this.options.policies?.select(host, callId) ?? this.config.route.policy;
  }

  now(): number {
    return this.options.now();
  }

  newTag(): string {
    this.tagCounter = (this.tagCounter + 1) >>> 0;
    return `${this.instanceTag}${this.tagCounter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  }

  nextAskId(txId: string): string {
    return `${txId.slice(0, txId.lastIndexOf('.'))}.${String((Math.random() * 0x7fffffff) | 0)}`;
  }

  log(event: EdgeLogEventName, fields: Record<string, unknown>): void {
    this.options.log(event, fields);
  }

  private readonly afterResponse: (() => void)[] = [];

  afterDispatch(task: () => void): void {
    if (this.currentResponse === undefined) task();
    else this.afterResponse.push(task);
  }

  onCompleted(tx: CompletedTransaction): void {
    this.counters.inc('transactions_completed');
    this.options.onCompleted(tx, tx.req, tx.inbound);
  }

  get tracksCalls(): boolean {
    return this.options.onCallStarted !== undefined;
  }

  callStarted(call: StartedCall): void {
    this.options.onCallStarted?.(call);
  }

  onReleased(txId: string): void {
    const p = this.live.get(txId);
    if (p) this.byServer.delete(p.server);
    this.live.delete(txId);
  }

  /** A stream send failed after it was queued: fail the branches going there. */
  transportFailed(dest: TransportAddress): void {
    for (const p of this.live.values()) p.transportFailed(dest.ip, dest.port);
  }

  // ---- inbound -------------------------------------------------------------------------

  onInbound(inb: InboundMessage): void {
    const parsed = parseMessage(inb.data);
    if (!parsed.ok) {
      this.counters.inc('parse_errors');
      this.log('parse_error', { source: inb.source, code: parsed.error.code, reason: parsed.error.reason });
      return;
    }
    const msg = parsed.message;
    if (msg.kind === 'request') this.onRequest(msg, inb);
    else this.onResponse(msg, inb);
  }

  private onRequest(req: SipRequest, inb: InboundMessage): void {
    this.counters.inc('requests_received');
    const cfg = this.config;
    if (inb.data.length > cfg.sip.maxMessageBytes) {
      this.counters.inc('oversize');
      if (req.method !== 'ACK') this.replyStateless(req, inb, 513, 'Message Too Large');
      return;
    }
    const scanner = this.scannerIn(req);
    if (scanner !== undefined) {
      // Book §10.2.1: known scanners get nothing (or, configured, a 200 that looks like a server).
      this.counters.inc('scanners_refused');
      // A scan is thousands of requests: one line per 10 s, with how many were refused meanwhile.
      this.scannersSinceLog++;
      const now = this.options.now();
      if (now - this.scannerLoggedAt >= 10_000) {
        this.log('scanner_refused', { method: req.method, userAgent: scanner, from: req.from.uri, source: inb.source, refusedSinceLastLog: this.scannersSinceLog });
        this.scannerLoggedAt = now;
        this.scannersSinceLog = 0;
      }
      if (cfg.security.scannerAction === 'reply' && req.method !== 'ACK') this.replyStateless(req, inb, cfg.security.scannerReply.code, cfg.security.scannerReply.reason);
      return;
    }
    const bad = checkSanity(req, { supportedExtensions: cfg.sip.proxyRequireSupported });
    if (bad) {
      this.counters.inc('sanity_failures');
      this.log('sanity_failed', { source: inb.source, callId: req.callId, status: bad.status, reason: bad.reason });
      if (req.method !== 'ACK') this.replyStateless(req, inb, bad.status, bad.reason, bad.headers ?? []);
      return;
    }
    if (req.maxForwards === 0 && req.method !== 'ACK') {
      this.counters.inc('too_many_hops');
      this.replyStateless(req, inb, 483, 'Too Many Hops');
      return;
    }
    if (req.method === 'OPTIONS' && req.to.tag === undefined && this.addressesEdge(req)) {
      // Kamailio default script: OPTIONS to the proxy itself (no user part) is a keep-alive.
      this.counters.inc('options_keepalive');
      this.replyStateless(req, inb, 200, 'Keepalive');
      return;
    }

    if (req.method === 'ACK') {
      this.onAck(req, inb);
      return;
    }
    const key = requestServerKey(req);
    const existing = this.table.findServer(key);
    if (existing) {
      this.counters.inc('retransmissions_absorbed');
      existing.receiveRequestRetransmission();
      return;
    }
    if (req.method === 'CANCEL') {
      this.onCancel(req, inb, key);
      return;
    }
    if (req.to.tag !== undefined) {
      this.onInDialog(req, inb, key);
      return;
    }
    this.onInitial(req, inb, key);
  }

  private addressesEdge(req: SipRequest): boolean {
    const uri = req.uri;
    if (!uri || uri.user !== undefined) return false;
    const transport = uri.params.get('transport') ?? (uri.scheme === 'sips' ? 'tls' : 'udp');
    if (!this.ours.isEdge(uri.host, uri.port, defaultPortFor(transport))) return false;
    // A Route beyond our own entries means the OPTIONS is for someone else.
    return processRoutes(req, this.ours).remaining.length === 0;
  }

  private onAck(req: SipRequest, inb: InboundMessage): void {
    const tx = this.table.findServer(requestServerKey(req));
    if (tx instanceof InviteServerTransaction) {
      tx.receiveAck(req.raw);
      // RFC 6026 §7.1: an ACK matching an INVITE answered with a 2xx is that 2xx's ACK, end to
      // end: forwarded here with its real source (received/rport), not absorbed.
      const status = tx.lastResponseStatus;
      if (status >= 200 && status < 300) {
        this.forwardInDialogAck(req, inb);
        return;
      }
      this.counters.inc('acks_absorbed');
      return;
    }
    this.forwardInDialogAck(req, inb);
  }

  /** An ACK for a 2xx is its own transaction and goes end to end along Route (§13.2.2.4, §16.6). */
  private forwardInDialogAck(req: SipRequest, inb: InboundMessage): void {
    const set = processRoutes(req, this.ours);
    if (req.to.tag === undefined || !set.hadOurRoute || req.maxForwards === 0) {
      // Kamailio default script: an ACK matching nothing is dropped silently. §16.3 step 3: an
      // ACK with Max-Forwards 0 cannot be answered and must not be forwarded.
      this.counters.inc('acks_dropped');
      return;
    }
    this.counters.inc('acks_forwarded');
    takeRuriAlias(set);
    const callerTag = set.mediaCallerTag;
    if (this.media !== undefined && callerTag !== undefined && req.body.length > 0) {
      // The answer to the offer of a 2xx (late offer): rewritten before the ACK goes on.
      void this.media.ackAnswer(req, callerTag, inb.source.ip, set.dialogId).then((body) => this.forwardStateless(req, inb, set, body));
      return;
    }
    this.forwardStateless(req, inb, set);
  }

  private forwardStateless(req: SipRequest, inb: InboundMessage, set: RouteSet, body?: Buffer): void {
    const choice = chooseNextHop(set.requestUri, set.remaining.map((r) => r.uri), set.aliasDst);
    if (!choice) return;
    const go = (r: ResolveResult): void => {
      if (!r.ok) return;
      const listener = this.transports.listenerFor(r.address.transport);
      if (!listener) return;
      const via = req.topVia;
      // §16.11: a stateless branch must be the same for retransmissions of the request.
      const branchId = `z9hG4bK${loopHash(req)}.sl${fnv1aHex(via.branch ?? via.raw)}`;
      // The ACK for a 2xx carries the INVITE's CSeq number: raised too in a dialog with an offset.
      const cseq = offsetCseq(set.cseqOffset, req);
      const built = buildBranchRequest({
        req,
        routeSet: set,
        route: {},
        requestUri: set.requestUri,
        path: [],
        strict: choice.strict,
        topVia: fixTopVia(via, inb.source.ip, inb.source.port, true),
        listener,
        inbound: inb.listener,
        branchId,
        recordRoute: false,
        maxForwardsDefault: this.config.sip.maxForwardsDefault,
        reliable: isReliable(r.address.transport),
        ...(cseq !== undefined ? { cseq } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      this.transports.send(r.address, built.bytes);
    };
    const resolved = this.resolver.resolve(choice.uri);
    if (resolved instanceof Promise) void resolved.then(go);
    else go(resolved);
  }

  private onCancel(req: SipRequest, inb: InboundMessage, cancelKey: string): void {
    const target = this.table.findServer(requestServerKey(req, 'INVITE'));
    if (!target) {
      this.counters.inc('cancels_unmatched');
      // Kamailio default script drops a CANCEL without a transaction; 481 is the RFC 3261 §9.2 answer.
      if (this.config.sip.unmatchedCancel === 'reply-481') this.replyStateless(req, inb, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.counters.inc('cancels_matched');
    // §9.2 / §16.10: the CANCEL gets its own server transaction (absorbing its retransmissions)
    // and a 200 at once; then the INVITE is ended, unless it has already had its final response
    // (its transaction only lingers to absorb retransmissions): the CANCEL then has no effect.
    const dest = responseAddress(req.topVia, inb.source.ip, inb.source.port, true);
    const cancelTx = new NonInviteServerTransaction({
      key: cancelKey,
      sender: new ReplySender(this.transports, { transport: inb.source.transport, ip: dest.ip, port: dest.port }, inb.connectionId),
      timers: isReliable(inb.source.transport) ? this.timers.reliable : this.timers.unreliable,
      wheel: this.wheel,
      user: this.detachedServerUser,
    });
    if (this.table.addServer(cancelTx).ok) {
      cancelTx.sendFinal(200, buildResponse(req, 200, 'OK', this.localResponseOptions(req, inb)));
    }
    this.findByServer(target)?.cancel();
  }

  /** The TU of server transactions that need no proxy logic (CANCEL): only table housekeeping. */
  private readonly detachedServerUser: ServerTransactionUser = {
    onServerTimeout: () => {},
    onServerTransportError: () => {},
    onAckFor2xx: () => {},
    onServerTerminated: (tx) => {
      this.table.remove(tx);
    },
  };

  private readonly byServer = new Map<unknown, ProxyTransaction>();

  private findByServer(server: unknown): ProxyTransaction | undefined {
    return this.byServer.get(server);
  }

  private scannerAgents: readonly string[] = [];
  private readonly relayPeers: net.BlockList;
  private scannerLoggedAt = -Infinity;
  private scannersSinceLog = 0;

  /** The scanner substring the request's User-Agent contains, if any. */
  private scannerIn(req: SipRequest): string | undefined {
    if (this.scannerAgents.length === 0) return undefined;
    const ua = req.header('user-agent');
    if (ua === undefined) return undefined;
    const lower = ua.toLowerCase();
    return this.scannerAgents.find((a) => lower.includes(a));
  }

  private onInDialog(req: SipRequest, inb: InboundMessage, key: string): void {
    const set = processRoutes(req, this.ours);
    if (!set.hadOurRoute) {
      // Kamailio default script (WITHINDLG): a To-tagged request that does not route through us.
      this.counters.inc('not_here');
      this.replyStateless(req, inb, 404, 'Not here');
      return;
    }
    takeRuriAlias(set);
    this.startTransaction(req, inb, key, set, true);
  }

  private onInitial(req: SipRequest, inb: InboundMessage, key: string): void {
    const set = processRoutes(req, this.ours);
    if (set.received !== undefined && !this.relayPeers.check(inb.source.ip, net.isIPv6(inb.source.ip) ? 'ipv6' : 'ipv4')) {
      // Only another edge may send a request straight to a registered phone's address.
      this.counters.inc('untrusted_received_ignored');
      this.log('untrusted_received_ignored', { source: inb.source, callId: req.callId, received: set.received });
      delete set.received;
    }
    const hash = loopHash(req, set.remaining);
    if (isLoop(req, hash, this.ours)) {
      this.counters.inc('loops_detected');
      this.replyStateless(req, inb, 482, 'Loop Detected');
      return;
    }
    const forRegistrar = isForRegistrar(req, set.requestUri, this.config, this.ours);
    if (forRegistrar && set.received === undefined && this.challengeStatelessly(req, inb)) return;
    this.startTransaction(req, inb, key, set, false, hash, forRegistrar);
  }

  /**
   * The edge's own 401 to a REGISTER without credentials (register-challenge.ts), sent without a
   * transaction as Kamailio's auth_challenge does through sl (a stateless UAS, RFC 3261 §8.2.7): a
   * retransmission gets a fresh challenge, and nothing is kept for Timer J. With
   * `events.registrarTransactions` the challenge keeps its transaction, so its event is published.
   */
  private challengeStatelessly(req: SipRequest, inb: InboundMessage): boolean {
    if (this.router.answerLocally === undefined || this.config.events.registrarTransactions) return false;
    const reply = this.router.answerLocally(req, REGISTRAR_TARGET)?.reply;
    if (reply === undefined) return false;
    this.replyStateless(req, inb, reply.code, reply.reason, reply.headers ?? []);
    return true;
  }

  private startTransaction(req: SipRequest, inb: InboundMessage, key: string, set: RouteSet, inDialog: boolean, hash = loopHash(req), forRegistrar = false): void {
    if (this.table.isFull) {
      this.counters.inc('transaction_limit');
      this.replyStateless(req, inb, 503, 'Service Unavailable', ['Retry-After: 5']);
      return;
    }
    const tracer = this.options.tracer;
    const init = this.txInit(req, inb, key, set, inDialog, hash, forRegistrar);
    if (tracer) init.trace = new TransactionTrace(tracer, req, inb, init.txId);
    const tx = new ProxyTransaction(this, init);
    if (!this.table.addServer(tx.server).ok) {
      this.counters.inc('transaction_limit');
      this.replyStateless(req, inb, 503, 'Service Unavailable', ['Retry-After: 5']);
      return;
    }
    this.live.set(tx.txId, tx);
    this.byServer.set(tx.server, tx);
    tx.start();
  }

  private txInit(req: SipRequest, inb: InboundMessage, key: string, set: RouteSet, inDialog: boolean, hash: string | undefined, forRegistrar: boolean): ConstructorParameters<typeof ProxyTransaction>[1] {
    const index = ++this.serial;
    const label = (Math.random() * 0x7fffffff) | 0;
    const via = req.topVia;
    return {
      txId: `${this.config.id}.${String(index)}.${String(label)}`,
      serverKey: key,
      serial: `${this.instanceTag}${index.toString(36)}`,
      loopHash: hash ?? '00000000',
      req,
      inbound: inb,
      topVia: fixTopVia(via, inb.source.ip, inb.source.port, true),
      responseDest: responseAddress(via, inb.source.ip, inb.source.port, true),
      routeSet: set,
      inDialog,
      forRegistrar,
      trace: undefined,
    };
  }

  // ---- responses -----------------------------------------------------------------------

  private onResponse(res: SipResponse, inb: InboundMessage): void {
    this.counters.inc('responses_received');
    const branch = res.topVia.branch;
    if (branch === undefined) return;
    const tx = this.table.findClient(clientTransactionKey({ branch, cseqMethod: res.cseq.method }));
    if (tx) {
      this.currentResponse = res;
      try {
        tx.receiveResponse(res.status, res.raw);
      } finally {
        this.currentResponse = undefined;
        for (let task = this.afterResponse.shift(); task; task = this.afterResponse.shift()) task();
      }
      return;
    }
    this.forwardStrayResponse(res, inb);
  }

  /**
   * A response with no client transaction: a 2xx to an INVITE whose transaction is gone is
   * forwarded statelessly along Via (RFC 3261 §16.7, RFC 6026 §7.2); anything else is dropped.
   */
  private forwardStrayResponse(res: SipResponse, _inb: InboundMessage): void {
    const top = res.topVia;
    const next = res.vias[1];
    if (!(res.cseq.method === 'INVITE' && res.status >= 200 && res.status < 300) || !next || !this.ours.isEdge(top.host, top.port, defaultPortFor(top.transport))) {
      this.counters.inc('stray_responses_dropped');
      return;
    }
    const transport = next.transport.toLowerCase();
    if (transport !== 'udp' && transport !== 'tcp') {
      this.counters.inc('stray_responses_dropped');
      return;
    }
    const host = next.received ?? (next.host.startsWith('[') ? next.host.slice(1, -1) : next.host);
    const port = typeof next.rport === 'number' ? next.rport : (next.port ?? 5060);
    const edits = new MessageEdits();
    const first = res.headerFields('via')[0];
    if (first) edits.removeFirstValue(first);
    // A 2xx retransmitted after its client transaction ended (Timer M) to an INVITE of the caller in
    // a dialog with a CSeq offset: the caller gets its own number back (dialog-cseq.ts).
    const offset = this.cseqOffsetOf(res);
    if (offset !== undefined && res.from.tag === offset.ftag) replaceCseq(res, edits, res.cseq.seq - offset.by);
    this.counters.inc('stray_responses_forwarded');
    this.transports.send({ transport, ip: host, port }, serializeResponse(res, edits, { withContentLength: transport !== 'udp' }));
  }

  /** The CSeq offset on our entry of a response's Record-Route (the UAS copied it, §12.1.1). */
  private cseqOffsetOf(res: SipResponse): ReturnType<typeof readCseqOffset> {
    for (const rr of res.recordRoutes) {
      const uri = parseUri(rr.uri);
      if (!uri || !isOurUri(uri, this.ours)) continue;
      const offset = readCseqOffset(uri.params);
      if (offset) return offset;
    }
    return undefined;
  }

  // ---- stateless replies ---------------------------------------------------------------

  private localResponseOptions(req: SipRequest, inb: InboundMessage, headers: readonly string[] = []): Parameters<typeof buildResponse>[3] {
    const topVia = fixTopVia(req.topVia, inb.source.ip, inb.source.port, true);
    const server = this.config.sip.serverHeader;
    return {
      ...(req.to.tag === undefined ? { toTag: this.newTag() } : {}),
      ...(server !== '' ? { server } : {}),
      ...(topVia !== undefined ? { topVia } : {}),
      headers,
    };
  }

  /** A reply without a transaction (Kamailio sl_send_reply): checks that fail before any state exists. */
  private replyStateless(req: SipRequest, inb: InboundMessage, status: number, reason: string, headers: readonly string[] = []): void {
    let bytes: Buffer;
    try {
      bytes = buildResponse(req, status, reason, this.localResponseOptions(req, inb, headers));
    } catch {
      return; // a request too broken to answer (e.g. header values with CR/LF after unfolding)
    }
    const dest = responseAddress(req.topVia, inb.source.ip, inb.source.port, true);
    this.transports.send({ transport: inb.source.transport, ip: dest.ip, port: dest.port }, bytes, inb.connectionId);
  }
}

/** Sends a server transaction's responses to one address (over the connection the request came on). */
class ReplySender implements TransactionSender {
  constructor(
    private readonly transports: TransportSet,
    private readonly dest: TransportAddress,
    private readonly connectionId: number | undefined,
  ) {}

  send(payload: Buffer): void {
    this.transports.send(this.dest, payload, this.connectionId);
  }
}

/** Addresses and CIDR networks (validated by the config schema) as a matcher. */
function networkList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const [ip = '', bits] = e.split('/');
    const type = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
    if (net.isIP(ip) === 0) continue;
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return list;
}
