/**
 * What a proxy transaction needs from the edge around it. The edge core implements this once; a
 * transaction holds a reference instead of a dozen constructor arguments.
 */
import type { BranchOutcome, RouteAnswer, RouteParams } from '@sipmesh/contracts';
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import { parseUri } from '../parser/sip-uri.js';
import type { TimerWheel, TransactionTable, TransactionTimerProfiles } from '../transaction/index.js';
import type { InboundMessage, Listener, SendResult, TransportAddress, TransportProtocol } from '../transport/transport.js';
import type { EdgeConfig } from '../config/edge-config.js';
import type { CodeSet } from './failover-codes.js';
import type { EdgeLogEventName } from '../log-events.js';
import type { OurAddresses } from './our-addresses.js';
import type { Resolver } from './next-hop.js';
import type { EdgeMedia } from '../media/edge-media.js';

/** A transaction waiting for a route answer (Kamailio t_suspend). */
export interface Suspended {
  /**
   * Id of the route request waiting now: `<edge>.<index>.<label>`. Each request of a transaction
   * (re-ask, fallback) gets a new label, so an answer to an earlier one cannot be taken for the
   * current one.
   */
  readonly askId: string;
  onAnswer(answer: RouteAnswer): void;
  onRouterError(code: number, message: string, reply: { code: number; reason: string } | undefined): void;
  onInvalidAnswer(errors: readonly string[]): void;
  onNoResponders(): void;
}

/** The target of a REGISTER for one of our domains: the registrar answers it like a route request. */
export const REGISTRAR_TARGET = Symbol('registrar');

/** A REGISTER for one of our domains (its Request-URI after our Routes), while the edge hands those to the registrar. */
export function isForRegistrar(req: SipRequest, requestUri: string, config: EdgeConfig, ours: OurAddresses): boolean {
  if (req.method !== 'REGISTER' || !config.registrar.enabled) return false;
  const host = parseUri(requestUri)?.host;
  return host !== undefined && ours.isOurDomain(host);
}

export interface RouteAsker {
  /**
   * Publishes a route request to `policy` (or, for `registrar`, to the registrar's REGISTER
   * subject); the answer comes back through `Suspended`.
   */
  ask(tx: Suspended, params: RouteParams, traceHeaders: Record<string, string> | undefined, policy: string | typeof REGISTRAR_TARGET): void;
  /** The transaction stopped waiting (deadline, CANCEL): a late answer is dropped and counted. */
  forget(askId: string): void;
  /**
   * An answer the edge knows without asking (its own challenge of a REGISTER without
   * credentials), checked before the route request is built; undefined: ask.
   */
  answerLocally?(req: SipRequest, policy: string | typeof REGISTRAR_TARGET): RouteAnswer | undefined;
}

export type TransactionOutcome =
  | 'relayed'
  | 'replied'
  | 'router_timeout'
  | 'no_responders'
  | 'invalid_answer'
  | 'router_error'
  | 'cancelled'
  | 'no_more_routes'
  | 'local_error';

export interface CompletedTransaction {
  txId: string;
  req: SipRequest;
  inbound: InboundMessage;
  status: number;
  reason: string;
  outcome: TransactionOutcome;
  policy: string | undefined;
  attempts: number;
  branches: BranchOutcome[];
  startedAt: number;
  traceId: string | undefined;
  acc: RouteAnswer['acc'];
  /** To tag of the final response sent upstream (the callee's, or the edge's own for a local reply). */
  toTag: string | undefined;
  /** Request-URI of the branch whose response was sent upstream; undefined for a local reply. */
  finalRuri: string | undefined;
  /** The route's dst_uri of that branch, when it named one (the gateway the call went to). */
  finalDstUri: string | undefined;
  /**
   * The call this transaction belongs to: an initial INVITE this edge tracks as a call (it asked
   * the router and relayed it), or an in-dialog request whose Route named the call (`did`).
   */
  dialogId: string | undefined;
}

/** An initial INVITE the edge relays: a call starts (dialog-tracker.ts). */
export interface StartedCall {
  dialogId: string;
  req: SipRequest;
  inbound: InboundMessage;
  startedAt: number;
  policy: string | undefined;
  acc: RouteAnswer['acc'];
  traceId: string | undefined;
}

export interface TransportSet {
  send(dest: TransportAddress, data: Buffer, connectionId?: number): SendResult;
  /** The listener requests to `protocol` leave from (its address goes into Via/Record-Route). */
  listenerFor(protocol: TransportProtocol): Listener | undefined;
  /** Keeps a stream connection open through `forMs` of silence (a phone registered over it); false when it is gone. */
  keepOpen?(connectionId: number, forMs: number): boolean;
}

export interface ProxyCounters {
  inc(name: ProxyCounter, by?: number): void;
}

export type ProxyCounter =
  | 'route_requests'
  | 'route_answers'
  | 'route_late_answers'
  | 'route_deadline'
  | 'route_no_responders'
  | 'route_invalid_answers'
  | 'route_errors'
  | 'route_cancelled_while_suspended'
  | 'route_fallbacks'
  | 'branches_started'
  | 'branch_timeouts'
  | 'branch_transport_errors'
  | 'cancels_sent'
  | 'media_bypassed'
  | 'media_answer_failures';

export interface ProxyContext {
  readonly config: EdgeConfig;
  readonly wheel: TimerWheel;
  readonly timers: TransactionTimerProfiles;
  readonly table: TransactionTable;
  readonly ours: OurAddresses;
  readonly resolver: Resolver;
  readonly transports: TransportSet;
  readonly router: RouteAsker;
  /** The policy a new request is first asked with (route.policy, or what the settings bucket says). */
  policyFor(host: string | undefined, callId: string): string;
  readonly failoverDefault: CodeSet;
  readonly counters: ProxyCounters;
  /** The response being dispatched right now, so a client transaction's callback can use the parsed form. */
  readonly currentResponse: SipResponse | undefined;
  /**
   * Runs `task` once the response being dispatched now has been through its client transaction
   * (after the transaction's own sends, such as the ACK of a non-2xx); at once when none is.
   */
  afterDispatch(task: () => void): void;
  now(): number;
  /** A fresh To tag for responses this edge makes itself (RFC 3261 §8.2.6.2). */
  newTag(): string;
  /** The id of a further route request of transaction `txId` (same index, new label). */
  nextAskId(txId: string): string;
  onCompleted(tx: CompletedTransaction): void;
  /** Whether initial INVITEs are tracked as calls (edge `dialogs.enabled`). */
  readonly tracksCalls: boolean;
  /** An initial INVITE got its route answer and is being relayed: the call's dialog id goes on our Record-Route. */
  callStarted(call: StartedCall): void;
  /** Media anchoring (edge `media.enabled` and a media client); undefined: SDP always goes through unchanged. */
  readonly media: EdgeMedia | undefined;
  /** The transaction and all its branches are gone. */
  onReleased(txId: string): void;
  log(event: EdgeLogEventName, fields: Record<string, unknown>): void;
}
