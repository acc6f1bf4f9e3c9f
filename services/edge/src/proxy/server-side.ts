/**
 * The sender and user of a proxy transaction's server transaction, kept apart from the proxy
 * transaction itself. Once a transaction has done its work (final response sent, every branch
 * done) it lets go of this link: the server transaction lingers for Timer J/L (up to 32 s over
 * UDP, RFC 3261 §17.2, RFC 6026) to absorb retransmissions, and only this small object and the
 * last response stay in memory with it, not the request, its branches and their buffers.
 */
import type { ServerTransaction, ServerTransactionUser, TransactionSender, TransactionTable } from '../transaction/index.js';
import type { TransportAddress } from '../transport/transport.js';
import type { TransportSet } from './proxy-context.js';

export interface ServerSideOwner {
  onServerTimeout(): void;
  onServerTransportError(): void;
  onServerTerminated(): void;
}

export class ServerSide implements ServerTransactionUser, TransactionSender {
  /** The proxy transaction while it is working; undefined once it has settled. */
  owner: ServerSideOwner | undefined;
  private txRef: ServerTransaction | undefined;

  constructor(
    private readonly transports: TransportSet,
    private readonly table: TransactionTable,
    private readonly dest: TransportAddress,
    private readonly connectionId: number | undefined,
  ) {}

  bind(tx: ServerTransaction, owner: ServerSideOwner): void {
    this.txRef = tx;
    this.owner = owner;
  }

  send(payload: Buffer): void {
    const r = this.transports.send(this.dest, payload, this.connectionId);
    // Reported after the current transition finishes (the transaction may be inside sendFinal).
    if (!r.ok) queueMicrotask(() => this.txRef?.transportError());
  }

  onServerTimeout(): void {
    this.owner?.onServerTimeout();
  }

  onServerTransportError(): void {
    this.owner?.onServerTransportError();
  }

  onAckFor2xx(): void {
    // The edge core forwards the ACK of a 2xx itself, with its inbound facts (RFC 6026 §7.1).
  }

  onServerTerminated(tx: ServerTransaction): void {
    this.table.remove(tx);
    this.owner?.onServerTerminated();
  }
}
