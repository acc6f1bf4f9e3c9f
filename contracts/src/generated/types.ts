/* Generated from contracts/schemas/v1 by contracts/scripts/generate-types.mjs. Do not edit. */
/* eslint-disable */

/**
 * Contract version as major.minor. A receiver rejects a higher major version than it knows.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Version".
 */
export type Version = string;
/**
 * One complete header line without CRLF, e.g. "Retry-After: 30".
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "HeaderLine".
 */
export type HeaderLine = string;
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "StatusCode".
 */
export type StatusCode = number;
/**
 * A status code (486) or a class with xx (5xx).
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "CodePattern".
 */
export type CodePattern = number | string;
/**
 * rtpengine flags: a string as Kamailio's rtpengine_offer/rtpengine_answer take it (`replace-origin replace-session-connection ICE=remove RTP/AVP direction=pub direction=priv`), or an object of ng keys passed as they are (`{"replace": ["origin"], "ICE": "remove"}`), or the name of a profile configured in media-control (`profile:webrtc-to-sip`).
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "MediaFlags".
 */
export type MediaFlags =
  | string
  | {
      [k: string]: unknown | undefined;
    };
/**
 * Suspended transaction id: <edge-id>.<index>.<label> (Kamailio $T(id_index)/$T(id_label) idiom). Echo it unchanged.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "TxId".
 */
export type TxId = string;
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "FinalStatus".
 */
export type FinalStatus = number;
/**
 * First 20 hex digits of SHA-1 over '<Call-ID>\n<From tag>\n<CSeq number>' of the initial INVITE: any service that sees the INVITE (a router checking a call limit) computes the same id.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "DialogId".
 */
export type DialogId = string;
/**
 * Final status of the INVITE
 */
export type FinalStatus1 = number;
/**
 * Final status of the BYE that ended the call
 */
export type FinalStatus2 = number;

/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "JsonRpcErrorResponse".
 */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  error: JsonRpcError;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "JsonRpcError".
 */
export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}
/**
 * The result of a route request. Either `reply` (the edge answers the request itself) or `routes` (the edge relays the request statefully). Unknown fields are ignored; a higher major version than the edge knows is rejected.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "RouteAnswer".
 */
export interface RouteAnswer {
  version: Version;
  /**
   * serial: one route at a time, next on failure; parallel: all routes at once, first 2xx wins
   */
  routing?: 'serial' | 'parallel';
  /**
   * @maxItems 64
   */
  routes?: Route[];
  reply?: Reply;
  /**
   * Add Record-Route so in-dialog requests come back through the edge. Default: true for INVITE and SUBSCRIBE, false otherwise.
   */
  record_route?: boolean;
  on_failure?: OnFailure;
  /**
   * Anchor the call's media in rtpengine through media-control: the flags of the offer (sent with the caller's SDP) and of the answer (the callee's SDP), each a Kamailio-style flag string, an object of ng keys or `profile:<name>`; `set` picks the rtpengine instance set.
   */
  media?: {
    offer?: MediaFlags;
    answer?: MediaFlags;
    set?: string;
  };
  acc?: Accounting;
  /**
   * Name of the policy that decided (for logs, metrics and CDRs)
   */
  policy?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Route".
 */
export interface Route {
  /**
   * Request-URI of this branch (default: the request's R-URI)
   */
  uri?: string;
  /**
   * Next hop (outbound proxy), overrides R-URI resolution
   */
  dst_uri?: string;
  /**
   * Comma-separated Path URIs, sent as Route headers before the request
   */
  path?: string;
  /**
   * Sending socket proto:ip:port or a socket name
   */
  socket?: string;
  headers?: {
    from?: NameAddrChange;
    to?: NameAddrChange;
    /**
     * Extra headers: an rtjson string "X-A: 1\r\nX-B: 2\r\n" or a list of header lines
     */
    extra?: string | HeaderLine[];
    /**
     * Header names to remove from this branch
     */
    remove?: string[];
  };
  /**
   * Credentials for this branch (Kamailio uac_auth): when the next hop answers 401 or 407, the edge sends the request again once with an Authorization / Proxy-Authorization computed from them and the CSeq raised by one, and keeps the dialog's CSeq numbers consistent for both ends
   */
  auth?: {
    username: string;
    /**
     * Plain password; or ha1
     */
    password?: string;
    /**
     * HA1 (MD5 or SHA-256 of username:realm:password) instead of the password
     */
    ha1?: string;
    /**
     * Answer only challenges of this realm; default any
     */
    realm?: string;
  };
  branch_flags?: number;
  /**
   * ms to wait for a final response (non-INVITE) or any response (INVITE)
   */
  fr_timer?: number;
  /**
   * ms to wait for a final response after a provisional (INVITE)
   */
  fr_inv_timer?: number;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "NameAddrChange".
 */
export interface NameAddrChange {
  display?: string;
  uri?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Reply".
 */
export interface Reply {
  code: StatusCode;
  reason: string;
  headers?: HeaderLine[];
  body?: string;
  content_type?: string;
}
/**
 * What the edge does when a branch fails with a failover code: next route (serial), ask the router again with the failure, or reply. Failures that are not failover codes are forwarded upstream.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "OnFailure".
 */
export interface OnFailure {
  action?: 'next' | 'ask' | 'reply';
  /**
   * Codes that trigger the action. Default (edge config): 408, 480, 5xx except 501; never 486/600/603 unless listed here.
   */
  codes?: CodePattern[];
  reply?: Reply;
  /**
   * Most route requests for the transaction, the first included (lowers the edge's route.maxAttempts)
   */
  max_attempts?: number;
}
/**
 * Accounting flags and extra CDR fields.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Accounting".
 */
export interface Accounting {
  flags?: ('acc' | 'missed' | 'failed')[];
  extra?: {
    [k: string]: string | number | boolean | null | undefined;
  };
}
/**
 * Published by the edge for each new request it suspended. The reply subject of the bus message is the edge's continue subject for this transaction; answer there (or on sipmesh.edge.<edge>.continue with the same id) with a route answer.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "RouteRequest".
 */
export interface RouteRequest {
  jsonrpc: '2.0';
  id: TxId;
  method: 'route';
  params: RouteParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "RouteParams".
 */
export interface RouteParams {
  version: Version;
  /**
   * Id of the edge that holds the transaction
   */
  edge: string;
  tx: TxId;
  /**
   * SIP method as received (case-sensitive)
   */
  method: string;
  /**
   * Request-URI after Route pre-processing
   */
  ruri: string;
  ruri_parts: UriParts;
  from: Party;
  to: Party;
  call_id: string;
  cseq: {
    seq: number;
    method: string;
  };
  /**
   * Contact header values
   */
  contact?: string[];
  /**
   * Every header of the request by lower-case full name, each a list of values in order (comma lists split).
   */
  headers: {
    [k: string]: string[] | undefined;
  };
  source: Endpoint;
  socket: Socket;
  /**
   * Whether the R-URI host / From host is one of the domains this deployment serves (Kamailio uri==myself / from_uri==myself).
   */
  ours: {
    ruri: boolean;
    from: boolean;
  };
  /**
   * Result of authentication by the edge/registrar, or null when the request carried no credentials.
   */
  auth?: null | {
    user: string;
    realm: string;
    verified: boolean;
  };
  /**
   * Summary of the message body (the body itself travels to media-control, not to policies).
   */
  body?: {
    content_type?: string;
    length: number;
  };
  /**
   * 1 for the first ask, +1 for each re-ask after a failure
   */
  attempt: number;
  /**
   * Present on a re-ask (on_failure: ask): the final failure and every branch tried so far.
   */
  failure?: {
    status: FinalStatus;
    reason: string;
    branches: BranchOutcome[];
  };
  received_at?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "UriParts".
 */
export interface UriParts {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
  params?: {
    [k: string]: string | null | undefined;
  };
}
/**
 * A From or To header, parsed.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Party".
 */
export interface Party {
  uri: string;
  user?: string;
  host: string;
  tag?: string;
  display?: string;
}
/**
 * A network endpoint of a SIP message.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Endpoint".
 */
export interface Endpoint {
  ip: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';
  tls?: boolean;
}
/**
 * A listening socket of an edge, with the address it advertises in Via and Record-Route.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "Socket".
 */
export interface Socket {
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'sctp';
  ip: string;
  port: number;
  /**
   * host[:port] written into Via and Record-Route
   */
  advertise?: string;
  name?: string;
}
/**
 * What happened to one branch the edge tried.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "BranchOutcome".
 */
export interface BranchOutcome {
  uri: string;
  dst_uri?: string;
  status: StatusCode;
  reason?: string;
  /**
   * true when no final response came (the edge made a 408)
   */
  timeout?: boolean;
}
/**
 * JSON-RPC 2.0 response to a route request, published to the request's reply subject or to sipmesh.edge.<edge-id>.continue by any process that knows the transaction id. `result` continues the transaction with a route answer; `error` fails it (the edge answers 500 unless the error carries data.reply).
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "ContinueMessage".
 */
export interface ContinueMessage {
  jsonrpc: '2.0';
  id: TxId;
  result?: RouteAnswer;
  error?: JsonRpcError;
}
/**
 * Published by the edge on sipmesh.events.v1.transaction.completed (JetStream stream SIPMESH_EVENTS, message id = event_id) once per server transaction, when its final response is sent.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "TransactionCompletedEvent".
 */
export interface TransactionCompletedEvent {
  /**
   * Unique id, also the JetStream message id (deduplication)
   */
  event_id: string;
  type: 'transaction.completed';
  version: Version;
  /**
   * When the final response was sent
   */
  time: string;
  edge: string;
  tx: TxId;
  trace_id?: string;
  method: string;
  ruri: string;
  call_id: string;
  cseq: number;
  from: Party;
  to: Party;
  source: Endpoint;
  status: FinalStatus;
  reason: string;
  /**
   * relayed: the final came from a branch; replied: the router answered with a reply; the others: the edge answered itself
   */
  outcome:
    | 'relayed'
    | 'replied'
    | 'router_timeout'
    | 'no_responders'
    | 'invalid_answer'
    | 'router_error'
    | 'cancelled'
    | 'no_more_routes'
    | 'local_error';
  policy?: string;
  /**
   * Route requests made for this transaction
   */
  attempts: number;
  branches: BranchOutcome[];
  started_at?: string;
  duration_ms: number;
  acc?: Accounting1;
  /**
   * To tag of the final response sent upstream: the callee's, or the edge's own for a reply it made (Kamailio acc to_tag)
   */
  to_tag?: string;
  /**
   * Request-URI of the branch whose final response was sent upstream (absent for a reply the edge made): where the call went after routing (acc dst_user, dst_domain)
   */
  final_ruri?: string;
}
/**
 * Accounting flags and extra CDR fields.
 */
export interface Accounting1 {
  flags?: ('acc' | 'missed' | 'failed')[];
  extra?: {
    [k: string]: string | number | boolean | null | undefined;
  };
}
/**
 * Asks an edge to send one out-of-dialog OPTIONS request and report the final response: how routers probe dispatcher destinations (Kamailio ds_ping_interval) without speaking SIP themselves. The reply is a JSON-RPC response whose result is a probeResult; a request the edge cannot send at all (bad URI, unsupported transport) gets a JSON-RPC error.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "OptionsProbeRequest".
 */
export interface OptionsProbeRequest {
  jsonrpc: '2.0';
  id: string;
  method: 'options';
  params: OptionsProbeParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "OptionsProbeParams".
 */
export interface OptionsProbeParams {
  /**
   * Request-URI of the OPTIONS (a dispatcher destination)
   */
  uri: string;
  /**
   * Next hop, when it is not the Request-URI
   */
  dst_uri?: string;
  /**
   * From URI (Kamailio ds_ping_from); default sip:sipmesh@<edge address>
   */
  from?: string;
  /**
   * Longest wait for a final response; a local 408 after it. Default 5000
   */
  timeout_ms?: number;
  /**
   * crlf: instead of an OPTIONS, write a CRLFCRLF keep-alive (RFC 5626 §3.5.1) on the edge's open TCP connection to the next hop and never open one; the result is a local 200 when it was written, a local 477 when no connection is open (the phone is unreachable). Over UDP an OPTIONS is sent as usual. Default options
   */
  keepalive?: 'options' | 'crlf';
}
/**
 * Published by a router on sipmesh.events.v1.dispatcher.state (JetStream stream SIPMESH_EVENTS) when keepalive probing makes a destination stop taking calls (inactive) or take them again (Kamailio's dispatcher:dst-down and dispatcher:dst-up event routes), and when an operator sets a destination's state (dispatcher.set_state). Every router applies what another router announces. Moves between active and trying (still taking calls) are announced only when an operator makes them.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "DispatcherStateEvent".
 */
export interface DispatcherStateEvent {
  /**
   * Unique id, also the JetStream message id
   */
  event_id: string;
  type: 'dispatcher.state';
  version: Version;
  time: string;
  /**
   * Id of the router whose prober saw the change or that took the admin command
   */
  router: string;
  /**
   * What made the change: the router's keepalives (absent means keepalive) or dispatcher.set_state
   */
  cause?: 'keepalive' | 'admin';
  set: number;
  uri: string;
  state: 'active' | 'trying' | 'inactive' | 'disabled';
  previous: 'active' | 'trying' | 'inactive' | 'disabled';
  probing: boolean;
  /**
   * up: the destination takes calls again; down: it stopped taking them
   */
  direction: 'up' | 'down';
  /**
   * Final status of the keepalive that caused the change (keepalive changes only)
   */
  status?: number;
  reason?: string;
  /**
   * The status was made by the edge: no answer, could not send (keepalive changes only)
   */
  local?: boolean;
}
/**
 * Asks the registrar for the current contacts of an address of record (Kamailio lookup("location")). The reply is a JSON-RPC response whose result lists the contacts in forking order: groups of equal q, highest first; a caller forks each group in parallel and moves to the next group when every branch of one failed. No binding is an empty list, not an error.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "LocationLookupRequest".
 */
export interface LocationLookupRequest {
  jsonrpc: '2.0';
  id: string;
  method: 'lookup';
  params: LocationLookupParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "LocationLookupParams".
 */
export interface LocationLookupParams {
  version: Version;
  /**
   * user@domain (the domain is ignored by a registrar configured without domains)
   */
  aor: string;
}
/**
 * Kamailio auth_check / auth_challenge for a request that is not a REGISTER: the router's policy asks the registrar whether the request's Proxy-Authorization credentials are good for the realm. The result is ok (with the authenticated user), or the reply to send: 407 with a fresh Proxy-Authenticate challenge (stale=true when the nonce only expired), or 403 while the user or source is banned for too many failures.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "AuthCheckRequest".
 */
export interface AuthCheckRequest {
  jsonrpc: '2.0';
  id: string;
  method: 'auth';
  params: AuthCheckParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "AuthCheckParams".
 */
export interface AuthCheckParams {
  version: Version;
  /**
   * SIP method of the request
   */
  method: string;
  /**
   * Request-URI as received (the digest uri parameter must match it)
   */
  ruri: string;
  /**
   * Realm to check against (Kamailio: the From domain, $fd)
   */
  realm: string;
  /**
   * When present the authenticated user must be this one (Kamailio auth_check flag 1: the From user)
   */
  check_user?: string;
  /**
   * Every Proxy-Authorization (or Authorization) header value of the request
   */
  credentials: string[];
  /**
   * Where the request came from (failure counting per source)
   */
  source_ip: string;
}
/**
 * Published by the registrar on sipmesh.events.v1.registration (JetStream stream SIPMESH_EVENTS) for every contact a REGISTER added, refreshed or removed, and for every binding that expired (Kamailio usrloc callbacks UL_CONTACT_INSERT/UPDATE/DELETE/EXPIRE).
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "RegistrationEvent".
 */
export interface RegistrationEvent {
  /**
   * Unique id, also the JetStream message id
   */
  event_id: string;
  type: 'registration';
  version: Version;
  time: string;
  /**
   * Id of the registrar instance
   */
  registrar: string;
  action: 'added' | 'refreshed' | 'removed' | 'expired';
  aor: string;
  contact: string;
  /**
   * Seconds left (0 when removed or expired)
   */
  expires: number;
  edge: string;
  received?: string;
  user_agent?: string;
  call_id?: string;
  source?: Endpoint;
}
/**
 * Asks an edge to send one out-of-dialog non-INVITE request (REGISTER, OPTIONS, MESSAGE, NOTIFY...) through a client transaction and report its final response with the response's headers: how the registrar registers sipmesh to upstream carriers (Kamailio uac_reg) without speaking SIP itself. The service keeps the state (Call-ID, CSeq, credentials); the edge adds Via, Max-Forwards, Content-Length and, when asked, a Contact naming its own address. A request the edge cannot send at all (bad URI, unsupported transport, INVITE/ACK/CANCEL) gets a JSON-RPC error.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "EdgeRequest".
 */
export interface EdgeRequest {
  jsonrpc: '2.0';
  id: string;
  method: 'request';
  params: EdgeRequestParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "EdgeRequestParams".
 */
export interface EdgeRequestParams {
  /**
   * SIP method (never INVITE, ACK or CANCEL)
   */
  method: string;
  /**
   * Request-URI
   */
  uri: string;
  /**
   * Next hop (outbound proxy), when it is not the Request-URI
   */
  dst_uri?: string;
  /**
   * From URI
   */
  from: string;
  /**
   * From tag; default a new one (the result says which)
   */
  from_tag?: string;
  /**
   * To URI (no tag: out of dialog)
   */
  to: string;
  /**
   * Call-ID; default a new one (the result says which). Refreshes of one registration repeat it.
   */
  call_id?: string;
  cseq: number;
  /**
   * Adds `Contact: <sip:<contact_user>@<the edge's advertised address>;transport=<t>>` for the listener the request leaves from
   */
  contact_user?: string;
  /**
   * Header parameters after that Contact, e.g. ;expires=3600
   */
  contact_params?: string;
  /**
   * Further header lines (Expires, Authorization, User-Agent...)
   *
   * @maxItems 32
   */
  headers?: HeaderLine[];
  body?: string;
  content_type?: string;
  /**
   * Longest wait for a final response (Timer F); a local 408 after it. Default 5000
   */
  timeout_ms?: number;
}
/**
 * Published by the edge that routed a call's initial INVITE, on sipmesh.events.v1.dialog.<started|answered|ended> (JetStream stream SIPMESH_EVENTS). One call is one dialog_id; its ended event carries everything the started and answered events did, so the ended event alone can make the CDR. An edge that restarted and sees the BYE of a call it no longer remembers publishes an ended event with recovered: true and only what the BYE tells.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "DialogEvent".
 */
export interface DialogEvent {
  /**
   * Unique id, also the JetStream message id: <dialog_id>.<started|answered|ended|stopped|recovered>
   */
  event_id: string;
  type: 'dialog.started' | 'dialog.answered' | 'dialog.ended';
  version: Version;
  /**
   * When it happened: the INVITE was relayed, the 2xx was forwarded, the BYE arrived (or the dialog timed out, or the edge stopped)
   */
  time: string;
  /**
   * The edge that tracks the dialog (the one that asked the router for the INVITE)
   */
  edge: string;
  dialog_id: DialogId;
  trace_id?: string;
  call_id: string;
  /**
   * The caller's tag
   */
  from_tag?: string;
  /**
   * The callee's tag (answered and ended events of answered calls)
   */
  to_tag?: string;
  from?: Party1;
  /**
   * Request-URI of the initial INVITE as it arrived (the number dialled)
   */
  ruri?: string;
  source?: Endpoint;
  policy?: string;
  acc?: Accounting;
  /**
   * When the INVITE arrived
   */
  started_at?: string;
  /**
   * When the first 2xx was forwarded
   */
  answered_at?: string;
  ended_at?: string;
  /**
   * ended: answered_at to ended_at (0 for a call never answered)
   */
  duration_ms?: number;
  /**
   * Request-URI of the branch that answered, or of the branch whose final response was sent upstream
   */
  answered_ruri?: string;
  /**
   * The route's dst_uri (the gateway or destination the call went to), when the route named one
   */
  dst_uri?: string;
  sip_code?: FinalStatus1;
  sip_reason?: string;
  bye_code?: FinalStatus2;
  /**
   * ended: answered (2xx), busy (486, 600), no-answer (408, 480 or no answer before the timers), cancelled (the caller's CANCEL), failed (any other final status), unfinished (the edge stopped before the INVITE had its final response)
   */
  disposition?: 'answered' | 'busy' | 'no-answer' | 'cancelled' | 'failed' | 'unfinished';
  /**
   * ended: who ended it: the caller (BYE or CANCEL from the caller), the callee (BYE from the callee, or a final refusal), proxy (sipmesh answered the INVITE itself: no route, timeouts), timeout (no BYE within the edge's dialogs.maxDurationS), edge-stopped (the edge stopped with the call open)
   */
  hangup?: 'caller' | 'callee' | 'proxy' | 'timeout' | 'edge-stopped';
  /**
   * ended: the edge did not remember the call (it restarted); only the BYE's facts are known
   */
  recovered?: boolean;
  /**
   * recovered: From tag of the BYE (equal to the caller's from_tag when the caller hung up)
   */
  bye_from_tag?: string;
}
/**
 * A From or To header, parsed.
 */
export interface Party1 {
  uri: string;
  user?: string;
  host: string;
  tag?: string;
  display?: string;
}
/**
 * Published by an edge on sipmesh.events.v1.dialog.reset when it starts (on a dialog subject, so one consumer filter reads every call event). Calls this edge was tracking before (it crashed or was killed without closing them) are closed by whoever keeps call state (accounting: CDRs still open get hangup edge-restarted; call-limit profiles drop them).
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "DialogResetEvent".
 */
export interface DialogResetEvent {
  /**
   * <edge>.<boot_id>.reset
   */
  event_id: string;
  type: 'dialog.reset';
  version: Version;
  time: string;
  edge: string;
  /**
   * Random id of this run of the edge
   */
  boot_id: string;
}
/**
 * Asks media-control to anchor a call's media in rtpengine: `offer` with the SDP of the side that offers, `answer` with the SDP of the side that answers, `delete` when the call or one branch is over. media-control picks the rtpengine instance for a new call (sets, weights, health) and sends every later command of the call to the instance that holds it, whichever media-control process receives it. The reply carries the rewritten SDP to put in the message instead of the original.
 *
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "MediaRequest".
 */
export interface MediaRequest {
  jsonrpc: '2.0';
  id: string;
  method: 'offer' | 'answer' | 'delete';
  params: MediaParams;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "MediaParams".
 */
export interface MediaParams {
  version: Version;
  call_id: string;
  /**
   * Tag of the dialog's caller (the From tag of the initial INVITE), whichever side sends the SDP
   */
  from_tag: string;
  /**
   * Tag of the callee: required for answer and for an offer from the callee; for delete it removes one branch only
   */
  to_tag?: string;
  /**
   * Whose SDP this is. Default: the caller for an offer, the callee for an answer. An offer from the callee (the SDP of a 2xx to an INVITE without SDP, a re-INVITE from the callee) and the caller's answer to it: media-control gives rtpengine the callee's tag as the offerer's and reverses the offer flags' direction pair, so flags written for caller-to-callee fit the way back
   */
  side?: 'caller' | 'callee';
  /**
   * Branch of a forked call, so each branch has its own offer (rtpengine's via-branch)
   */
  via_branch?: string;
  /**
   * The SDP body to rewrite (offer and answer)
   */
  sdp?: string;
  flags?: MediaFlags;
  /**
   * Source IP address of the message that carried the SDP (for SIP-source-address and NAT handling)
   */
  received_from?: string;
  /**
   * Instance set for a new call; absent: the configured default set
   */
  set?: string;
  /**
   * Id of the asking edge (for logs and the session list)
   */
  edge?: string;
  /**
   * The call's dialog id (contracts dialogId())
   */
  dialog_id?: string;
  /**
   * Why a delete is sent (bye, cancel, failure, timeout, edge-stopped), for logs and the session list
   */
  reason?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "OptionsProbeResult".
 */
export interface OptionsProbeResult {
  /**
   * Final status: the peer's, or 408 (no answer) / 503 (could not send) made locally
   */
  status: number;
  reason: string;
  /**
   * True when the status was made by the edge (timeout, transport error), not received
   */
  local: boolean;
  /**
   * Time from sending the OPTIONS to its final response
   */
  rtt_ms: number;
  /**
   * Id of the edge that probed
   */
  edge: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "OptionsProbeResponse".
 */
export interface OptionsProbeResponse {
  jsonrpc: '2.0';
  id: string;
  result?: OptionsProbeResult;
  error?: JsonRpcError;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "LocationContact".
 */
export interface LocationContact {
  /**
   * Contact URI as the phone registered it: the Request-URI of a call to it
   */
  uri: string;
  /**
   * Absent when the phone gave none
   */
  q?: number;
  /**
   * Seconds the binding has left
   */
  expires: number;
  /**
   * Where the REGISTER came from when the phone is behind NAT (sip:ip:port;transport=x): the next hop instead of the Contact
   */
  received?: string;
  /**
   * Path header values stored with the binding (RFC 3327), sent as Route headers
   */
  path?: string[];
  /**
   * Id of the edge the phone registered through; its NAT binding or connection lives there
   */
  edge: string;
  /**
   * SIP URI of that edge's socket the phone registered on (sip:host:port;transport=x), for another edge to route via it
   */
  edge_uri?: string;
  /**
   * proto:ip:port of the listening socket the REGISTER came in on
   */
  socket?: string;
  /**
   * +sip.instance of the binding (RFC 5626)
   */
  instance?: string;
  reg_id?: number;
  user_agent?: string;
  /**
   * Unique id of the binding
   */
  ruid: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "LocationLookupResult".
 */
export interface LocationLookupResult {
  version: Version;
  aor: string;
  /**
   * Contacts in forking order: each group shares one q value, highest q first
   */
  groups: [LocationContact, ...LocationContact[]][];
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "LocationLookupResponse".
 */
export interface LocationLookupResponse {
  jsonrpc: '2.0';
  id: string;
  result?: LocationLookupResult;
  error?: JsonRpcError;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "AuthCheckResult".
 */
export interface AuthCheckResult {
  version: Version;
  result: 'ok' | 'challenge' | 'banned';
  /**
   * Authenticated user (result ok)
   */
  user?: string;
  realm?: string;
  /**
   * Why the request was challenged: no-credentials, wrong-password, stale, replayed, user-mismatch, malformed, ... (for logs; the wire does not tell unknown users from wrong passwords)
   */
  reason?: string;
  reply?: Reply1;
}
/**
 * The reply to send when the result is not ok
 */
export interface Reply1 {
  code: StatusCode;
  reason: string;
  headers?: HeaderLine[];
  body?: string;
  content_type?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "AuthCheckResponse".
 */
export interface AuthCheckResponse {
  jsonrpc: '2.0';
  id: string;
  result?: AuthCheckResult;
  error?: JsonRpcError;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "EdgeRequestResult".
 */
export interface EdgeRequestResult {
  /**
   * Final status: the peer's, or 408 (no answer) / 503 (could not send) made locally
   */
  status: number;
  reason: string;
  /**
   * True when the status was made by the edge (timeout, transport error), not received
   */
  local: boolean;
  /**
   * Header lines of the final response as received, in order (none when local)
   */
  headers: HeaderLine[];
  rtt_ms: number;
  /**
   * Id of the edge that sent the request
   */
  edge: string;
  /**
   * Call-ID the request carried
   */
  call_id: string;
  /**
   * From tag the request carried
   */
  from_tag: string;
  /**
   * The Contact URI the edge wrote (with contact_user)
   */
  contact?: string;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "EdgeRequestResponse".
 */
export interface EdgeRequestResponse {
  jsonrpc: '2.0';
  id: string;
  result?: EdgeRequestResult;
  error?: JsonRpcError;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "MediaResult".
 */
export interface MediaResult {
  version: Version;
  /**
   * The rtpengine instance (host:port) that holds the call
   */
  instance: string;
  /**
   * The rewritten SDP (offer and answer)
   */
  sdp?: string;
  /**
   * delete: true when rtpengine had the call (or branch) and removed it, false when it did not know it
   */
  deleted?: boolean;
}
/**
 * This interface was referenced by `SipmeshContractsV1`'s JSON-Schema
 * via the `definition` "MediaResponse".
 */
export interface MediaResponse {
  jsonrpc: '2.0';
  id: string;
  result?: MediaResult;
  error?: JsonRpcError;
}
