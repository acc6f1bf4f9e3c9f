/**
 * The seams between a transaction, its transport and its transaction user (TU, the proxy core).
 * Transactions never parse: they carry opaque payloads plus the status code the TU or the parser
 * already knows. Callbacks run synchronously, possibly from inside a call the TU made on the
 * transaction (a reliable transport terminates a transaction inside `sendFinal`, for instance).
 */
import type { InviteClientTransaction } from './invite-client-transaction.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';

/**
 * Bound to one transport flow. Whether that transport is reliable is decided when the transaction
 * is created (through its timer profile). A failure that the transport only learns later (ICMP
 * unreachable, TCP reset) is reported with `transportError()` on the transaction.
 */
export interface TransactionSender {
  send(payload: Buffer): void;
}

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

/** The TU of server transactions (requests received from upstream). */
export interface ServerTransactionUser {
  /** Timer H fired: the ACK for a non-2xx final never came (§17.2.1). The transaction then terminates. */
  onServerTimeout(tx: ServerTransaction): void;
  /** A response could not be sent (§17.2.1, §17.2.2, RFC 6026 §7.1). */
  onServerTransportError(tx: ServerTransaction): void;
  /** RFC 6026 §7.1: an ACK matching the INVITE server transaction in Accepted goes to the TU. */
  onAckFor2xx(tx: InviteServerTransaction, payload: Buffer): void;
  /** The transaction reached Terminated; remove it from the table. */
  onServerTerminated(tx: ServerTransaction): void;
}

/** Why a client transaction gave up without a final response. */
export const ClientTimeout = {
  /** Timer B: no response to an INVITE (§17.1.1.2). The proxy acts as on a 408. */
  B: 'B',
  /** Timer C (§16.8): the proxy CANCELs if a provisional came, else acts as on a 408. */
  C: 'C',
  /** Timer F: no final response to a non-INVITE request (§17.1.2.2). The proxy acts as on a 408. */
  F: 'F',
  /** §9.1: no final response within 64*T1 of the CANCEL; the INVITE is considered cancelled. */
  CancelWait: 'cancel-wait',
} as const;
export type ClientTimeout = (typeof ClientTimeout)[keyof typeof ClientTimeout];

/** The TU of client transactions (requests forwarded downstream). */
export interface ClientTransactionUser {
  /**
   * Only what must reach the TU: provisionals, the first final response, and (RFC 6026 §7.2) every
   * further 2xx to an INVITE. Retransmitted non-2xx finals are absorbed by the transaction.
   */
  onResponse(tx: ClientTransaction, status: number, payload: Buffer): void;
  onTimeout(tx: ClientTransaction, timer: ClientTimeout): void;
  /** The request (or the ACK for a non-2xx) could not be sent (§17.1.1.2, §17.1.2.2). */
  onTransportError(tx: ClientTransaction): void;
  /** The transaction reached Terminated; remove it from the table. */
  onTerminated(tx: ClientTransaction): void;
}

/** Optional trace of every transition taken, for debug logs and tests; strings are table constants. */
export type TransitionObserver = (tx: { readonly key: string; readonly kind: string }, from: string, input: string, to: string) => void;
