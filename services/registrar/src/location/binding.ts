/**
 * One binding of the location service (RFC 3261 §10): an address of record bound to a contact,
 * with everything needed to reach the contact again (Kamailio usrloc `ucontact`, the `location`
 * table row). Stored as is by every LocationStore.
 */
export interface Binding {
  /** Address of record: `user@domain`, or `user` when the registrar runs without domains (use_domain=0). */
  readonly aor: string;
  /** Contact URI as the phone registered it (without angle brackets and header parameters). */
  readonly contact: string;
  /** Unique id of the binding, stable across refreshes of the same contact. */
  readonly ruid: string;
  /** When the binding expires, epoch milliseconds. */
  readonly expiresAtMs: number;
  /** q value 0..1 (RFC 3261 §20.10); undefined: the phone gave none (forking counts it as 1.0). */
  readonly q: number | undefined;
  /** Call-ID and CSeq of the REGISTER that last wrote the binding (RFC 3261 §10.3 step 7). */
  readonly callId: string;
  readonly cseq: number;
  /** `sip:ip:port[;transport=x]` the REGISTER came from when the phone is behind NAT: the next hop. */
  readonly received?: string;
  /** Path header values of the REGISTER, in order (RFC 3327 §5.3): the Route set towards the contact. */
  readonly path?: readonly string[];
  readonly userAgent?: string;
  /** `+sip.instance` value as sent, e.g. `<urn:uuid:...>` (RFC 5626 §4.1). */
  readonly instance?: string;
  /** `reg-id` (RFC 5626 §4.2); only kept together with an instance. */
  readonly regId?: number;
  /** Id of the sipmesh edge that received the REGISTER; requests to this contact leave through it. */
  readonly edge: string;
  /** Listening socket of that edge the REGISTER came in on, `proto:ip:port`. */
  readonly socket?: string;
  /** SIP URI of that edge's socket as other edges reach it (`sip:host:port;transport=x`): the hop a call from another edge is routed through. */
  readonly edgeUri?: string;
  /** TCP/TLS/WS connection at the edge the REGISTER came in on. */
  readonly connectionId?: number;
  /** The phone is behind NAT: keep-alive pings wanted (Kamailio's NAT branch flag). */
  readonly nat: boolean;
  /** When a REGISTER last wrote the binding, epoch milliseconds. */
  readonly lastModifiedMs: number;
  /** Methods the contact accepts (RFC 3840 `methods`, or the Allow header); undefined: not said. */
  readonly methods?: readonly string[];
}

/** q used to order forks: RFC 3261 §16.6 gives a contact without q no preference; it ranks as 1.0. */
export function effectiveQ(b: Binding): number {
  return b.q ?? 1;
}

export function isLive(b: Binding, nowMs: number): boolean {
  return b.expiresAtMs > nowMs;
}

/** Whole seconds the binding has left, rounded up so a live binding never shows 0 (which means removal). */
export function remainingSeconds(b: Binding, nowMs: number): number {
  return Math.max(0, Math.ceil((b.expiresAtMs - nowMs) / 1000));
}
