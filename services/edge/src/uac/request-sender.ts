/**
 * Requests the edge sends as a UAC on behalf of other services (RFC 3261 §8.1): OPTIONS probes for
 * the router, REGISTER to carriers for the registrar, any other out-of-dialog non-INVITE request.
 * Each one leaves through a normal non-INVITE client transaction (§17.1.2: retransmitted over UDP,
 * Timer F bounded by the caller's timeout) from the listener of the next hop's transport, and
 * settles with the first final response; provisionals only say the request arrived.
 *
 * The sender keeps nothing once a request settles: the caller owns whatever state spans requests
 * (Call-ID, CSeq, credentials). So a second request, even one repeating the Call-ID with the next
 * CSeq after a 401, is a new transaction with a new branch, never a retransmission (§8.1.3.5).
 */
import { randomBytes } from 'node:crypto';
import { buildRequest } from '../parser/message-builder.js';
import { parseMessage } from '../parser/parse-message.js';
import type { HeaderField, SipResponse } from '../parser/sip-message.js';
import { parseUri } from '../parser/sip-uri.js';
import type { Resolver, ResolveResult } from '../proxy/next-hop.js';
import type { TransportSet } from '../proxy/proxy-context.js';
import { ourVia } from '../proxy/via-handling.js';
import { clientTransactionKey, NonInviteClientTransaction, type ClientTransaction, type ClientTransactionUser, type TimerWheel, type TransactionTable, type TransactionTimerProfiles } from '../transaction/index.js';
import { isReliable, type Listener, type TransportAddress } from '../transport/transport.js';

/** Why a request could not be sent at all: the caller gets an error, not a SIP status. */
export const RequestErrorCode = {
  badUri: 'EDGE_ERR_BAD_URI',
  unsupportedTransport: 'EDGE_ERR_UNSUPPORTED_TRANSPORT',
  dns: 'EDGE_ERR_DNS',
  tableFull: 'EDGE_ERR_TABLE_FULL',
} as const;
export type RequestErrorCode = (typeof RequestErrorCode)[keyof typeof RequestErrorCode];

export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestSenderDeps {
  readonly wheel: TimerWheel;
  readonly timers: TransactionTimerProfiles;
  readonly table: TransactionTable;
  readonly resolver: Resolver;
  readonly transports: TransportSet;
  now(): number;
}

export interface OutboundRequest {
  /** Never INVITE, ACK or CANCEL: those need the INVITE machinery (callers refuse them). */
  readonly method: string;
  readonly uri: string;
  /** Next hop (an outbound proxy) when it is not the Request-URI. */
  readonly dstUri?: string | undefined;
  /** From URI; default `sip:sipmesh@<advertised host>` of the listener the request leaves from. */
  readonly from?: string | undefined;
  /** Default a new random tag (RFC 3261 §8.1.1.3, §19.3). */
  readonly fromTag?: string | undefined;
  /** To URI, without tag (out of dialog, §8.1.1.2); default the Request-URI. */
  readonly to?: string | undefined;
  /** Default `<random>@<advertised host>` (§8.1.1.4). */
  readonly callId?: string | undefined;
  /** Default 1. */
  readonly cseq?: number | undefined;
  /** Adds a Contact naming this edge's listener with this user part. */
  readonly contactUser?: string | undefined;
  /** Header parameters written after that Contact's `>` (`;expires=3600`). */
  readonly contactParams?: string | undefined;
  /** Further header lines, written as given. */
  readonly headers?: readonly string[] | undefined;
  readonly body?: Buffer | undefined;
  readonly contentType?: string | undefined;
  /** Timer F: the longest wait for a final response before a local 408. */
  readonly timeoutMs: number;
}

export interface RequestOutcome {
  readonly status: number;
  readonly reason: string;
  /** The status was made here (408 on Timer F, 503 on a transport failure), not received. */
  readonly local: boolean;
  /** Header lines of the final response as received, in order; empty when local. */
  readonly headers: readonly string[];
  readonly rttMs: number;
  readonly callId: string;
  readonly fromTag: string;
  /** The Contact URI written, when `contactUser` was given. */
  readonly contact: string | undefined;
}

export class RequestSender {
  private serial = 0;
  private readonly instanceTag = randomBytes(3).toString('hex');
  /** Unsettled requests, so a stream failure learnt after the send can fail them (§17.1.2.2). */
  private readonly pending = new Map<ClientTransaction, TransportAddress>();

  constructor(private readonly deps: RequestSenderDeps) {}

  /** Resolves with the final response (or a local 408/503); rejects with `RequestError` when nothing could be sent. */
  async send(spec: OutboundRequest): Promise<RequestOutcome> {
    const target = parseUri(spec.uri);
    if (!target) throw new RequestError(RequestErrorCode.badUri, `cannot parse ${spec.uri}`);
    const hop = spec.dstUri === undefined ? target : parseUri(spec.dstUri);
    if (!hop) throw new RequestError(RequestErrorCode.badUri, `cannot parse ${spec.dstUri ?? ''}`);
    for (const uri of [spec.from, spec.to]) {
      if (uri !== undefined && !parseUri(uri)) throw new RequestError(RequestErrorCode.badUri, `cannot parse ${uri}`);
    }
    let resolved: ResolveResult | Promise<ResolveResult> = this.deps.resolver.resolve(hop);
    if (resolved instanceof Promise) resolved = await resolved;
    if (!resolved.ok) throw new RequestError(resolved.code, resolved.detail);
    const dest = resolved.address;
    const listener = this.deps.transports.listenerFor(dest.transport);
    if (!listener) throw new RequestError(RequestErrorCode.unsupportedTransport, `no ${dest.transport} listener`);

    const branch = `z9hG4bKuac.${this.instanceTag}.${(++this.serial).toString(36)}`;
    const fromTag = spec.fromTag ?? randomBytes(6).toString('hex');
    const callId = spec.callId ?? `${randomBytes(12).toString('hex')}@${listener.advertiseHost}`;
    const contact = spec.contactUser === undefined ? undefined : contactUri(spec.contactUser, listener);
    const request = buildRequest({
      method: spec.method,
      uri: spec.uri,
      // RFC 3581: rport asks the peer to answer to the port the request came from.
      via: `${ourVia(listener, branch)};rport`,
      from: `<${spec.from ?? `sip:sipmesh@${listener.advertiseHost}`}>;tag=${fromTag}`,
      to: `<${spec.to ?? spec.uri}>`,
      callId,
      cseq: spec.cseq ?? 1,
      ...(contact === undefined ? {} : { contact: `<${contact}>${spec.contactParams ?? ''}` }),
      ...(spec.headers === undefined ? {} : { headers: spec.headers }),
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(spec.contentType === undefined ? {} : { contentType: spec.contentType }),
    });
    const base = isReliable(dest.transport) ? this.deps.timers.reliable : this.deps.timers.unreliable;
    // Timer F is the caller's patience; Timer K stays as the transport wants it.
    const timers = { ...base, timerFMs: spec.timeoutMs };
    const table = this.deps.table;
    return new Promise<RequestOutcome>((resolve, reject) => {
      let settled = false;
      const started = this.deps.now();
      const finish = (status: number, reason: string, local: boolean, headers: readonly string[]): void => {
        if (settled) return;
        settled = true;
        this.pending.delete(tx);
        resolve({ status, reason, local, headers, rttMs: Math.max(0, this.deps.now() - started), callId, fromTag, contact });
      };
      const user: ClientTransactionUser = {
        onResponse: (_tx, status, payload) => {
          if (status < 200) return;
          const final = finalResponse(payload);
          finish(status, final.reason, false, final.headers);
        },
        onTimeout: () => finish(408, 'Request Timeout', true, []),
        onTransportError: () => finish(503, 'Service Unavailable', true, []),
        onTerminated: (tx: ClientTransaction) => {
          table.remove(tx);
          finish(408, 'Request Timeout', true, []);
        },
      };
      const tx = new NonInviteClientTransaction({
        key: clientTransactionKey({ branch, cseqMethod: spec.method }),
        sender: {
          send: (payload) => {
            const r = this.deps.transports.send(dest, payload);
            if (!r.ok) queueMicrotask(() => tx.transportError());
          },
        },
        timers,
        wheel: this.deps.wheel,
        user,
        request,
      });
      if (!table.addClient(tx).ok) {
        reject(new RequestError(RequestErrorCode.tableFull, 'transaction table full'));
        return;
      }
      this.pending.set(tx, dest);
      tx.start();
    });
  }

  /** A stream send to `dest` failed after it was queued: the requests waiting on it end in a local 503. */
  transportFailed(dest: TransportAddress): void {
    for (const [tx, to] of [...this.pending]) {
      if (to.transport === dest.transport && to.ip === dest.ip && to.port === dest.port) tx.transportError();
    }
  }
}

/**
 * `sip:<user>@<advertised host>:<port>;transport=<t>`, the user part escaped where RFC 3261 §25.1
 * does not allow a character as is (unreserved and user-unreserved stay).
 */
function contactUri(user: string, listener: Listener): string {
  const escaped = encodeURIComponent(user).replace(/%(2[46BCF]|3[BDF])/g, (m) => decodeURIComponent(m));
  return `sip:${escaped}@${listener.advertiseHost}:${String(listener.advertisePort)};transport=${listener.transport}`;
}

/**
 * The reason phrase and header lines of a final response. The core parsed it already but hands the
 * transaction only bytes; parsing once more per request keeps this layer off the core's internals.
 */
function finalResponse(payload: Buffer): { reason: string; headers: string[] } {
  const parsed = parseMessage(payload);
  if (!parsed.ok || parsed.message.kind !== 'response') return { reason: '', headers: [] };
  const res = parsed.message;
  return { reason: res.reason, headers: res.headers.map((h) => headerLine(res, h)) };
}

/**
 * One header line as received. A folded line (RFC 3261 §7.3.1) becomes one line, its name as
 * received and its value with the folding collapsed to one space, so every line fits the contract.
 */
function headerLine(res: SipResponse, h: HeaderField): string {
  const line = res.raw.toString('utf8', h.lineStart, h.lineEnd);
  if (!line.includes('\n') && !line.includes('\r')) return line;
  const name = line.slice(0, line.indexOf(':')).trimEnd();
  return `${name}: ${res.fieldValue(h)}`;
}
