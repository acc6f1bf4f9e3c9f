/**
 * The live transactions of one edge, by matching key, with a hard cap on their number: a request
 * flood cannot grow memory without bound, because creation beyond the cap fails with an error value
 * the proxy core maps to a stateless 503. Server and client transactions live in separate maps, as
 * their keys come from different rules (§17.2.3, §17.1.3) and a looped request may legitimately carry
 * a branch we generated.
 *
 * The TU removes a transaction when it is told the transaction terminated (`onTerminated`,
 * `onServerTerminated`).
 */
import { TransactionKind } from './transaction-kind.js';
import { TransactionErrorCode } from './transaction-error.js';
import type { TransactionResult } from './transaction-error.js';
import type { ClientTransaction, ServerTransaction } from './transaction-user.js';

export interface TransactionTableOptions {
  /** Live transactions (server and client together) above which creation fails. */
  readonly maxTransactions: number;
}

export class TransactionTable {
  readonly maxTransactions: number;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly perKind: Record<TransactionKind, number>;

  constructor(options: TransactionTableOptions) {
    if (!Number.isInteger(options.maxTransactions) || options.maxTransactions < 1) {
      throw new RangeError(`maxTransactions must be a positive integer, got ${options.maxTransactions}`);
    }
    this.maxTransactions = options.maxTransactions;
    this.perKind = {
      [TransactionKind.InviteClient]: 0,
      [TransactionKind.InviteServer]: 0,
      [TransactionKind.NonInviteClient]: 0,
      [TransactionKind.NonInviteServer]: 0,
    };
  }

  get size(): number {
    return this.servers.size + this.clients.size;
  }

  /** Whether the next creation would fail; check before building a transaction under load. */
  get isFull(): boolean {
    return this.size >= this.maxTransactions;
  }

  addServer(tx: ServerTransaction): TransactionResult<ServerTransaction> {
    const refused = this.refusal(this.servers, tx.key);
    if (refused !== undefined) return refused;
    this.servers.set(tx.key, tx);
    this.perKind[tx.kind]++;
    return { ok: true, value: tx };
  }

  addClient(tx: ClientTransaction): TransactionResult<ClientTransaction> {
    const refused = this.refusal(this.clients, tx.key);
    if (refused !== undefined) return refused;
    this.clients.set(tx.key, tx);
    this.perKind[tx.kind]++;
    return { ok: true, value: tx };
  }

  findServer(key: string): ServerTransaction | undefined {
    return this.servers.get(key);
  }

  findClient(key: string): ClientTransaction | undefined {
    return this.clients.get(key);
  }

  /** Removes `tx` if it is the one stored under its key; false if it was not there. */
  remove(tx: ServerTransaction | ClientTransaction): boolean {
    const map: Map<string, ServerTransaction | ClientTransaction> = isServer(tx) ? this.servers : this.clients;
    if (map.get(tx.key) !== tx) return false;
    map.delete(tx.key);
    this.perKind[tx.kind]--;
    return true;
  }

  /** Live transactions per kind (a copy, for metrics). */
  counts(): Readonly<Record<TransactionKind, number>> {
    return { ...this.perKind };
  }

  private refusal(map: Map<string, unknown>, key: string): TransactionResult<never> | undefined {
    if (map.has(key)) {
      return { ok: false, error: { code: TransactionErrorCode.Exists, message: `transaction ${key} already exists` } };
    }
    if (this.size >= this.maxTransactions) {
      return {
        ok: false,
        error: { code: TransactionErrorCode.Limit, message: `live transaction limit ${this.maxTransactions} reached` },
      };
    }
    return undefined;
  }
}

function isServer(tx: ServerTransaction | ClientTransaction): tx is ServerTransaction {
  return tx.kind === TransactionKind.InviteServer || tx.kind === TransactionKind.NonInviteServer;
}
