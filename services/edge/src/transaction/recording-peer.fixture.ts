/**
 * Test support for the transaction machines: a transport and a TU that record what happens, with
 * the time it happened on the manual wheel, plus a check that a test file walks every row of a
 * machine's transition table.
 */
import type { ManualTimerWheel } from './manual-timer-wheel.js';
import type { TransitionTable } from './transaction-machine.js';
import type {
  ClientTimeout,
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
  TransactionSender,
  TransitionObserver,
} from './transaction-user.js';
import type { InviteServerTransaction } from './invite-server-transaction.js';

export interface SentPayload {
  readonly atMs: number;
  readonly payload: Buffer;
}

export class RecordingPeer implements TransactionSender, ClientTransactionUser, ServerTransactionUser {
  readonly sent: SentPayload[] = [];
  /** `<ms> <event>` lines, e.g. `32000 timeout B`. */
  readonly events: string[] = [];
  /** Hooks a test may set to act from inside a callback, as a real TU would. */
  onTimeoutHook: ((tx: ClientTransaction, timer: ClientTimeout) => void) | undefined;
  onTerminatedHook: ((tx: ClientTransaction | ServerTransaction) => void) | undefined;

  constructor(private readonly wheel: ManualTimerWheel) {}

  send(payload: Buffer): void {
    this.sent.push({ atMs: this.wheel.now(), payload });
  }

  /** Times at which something was sent. */
  sentTimes(): number[] {
    return this.sent.map((entry) => entry.atMs);
  }

  onResponse(_tx: ClientTransaction, status: number, payload: Buffer): void {
    this.record(`response ${status} ${payload.length}B`);
  }

  onTimeout(tx: ClientTransaction, timer: ClientTimeout): void {
    this.record(`timeout ${timer}`);
    this.onTimeoutHook?.(tx, timer);
  }

  onTransportError(): void {
    this.record('transport-error');
  }

  onTerminated(tx: ClientTransaction): void {
    this.record('terminated');
    this.onTerminatedHook?.(tx);
  }

  onServerTimeout(): void {
    this.record('server-timeout');
  }

  onServerTransportError(): void {
    this.record('server-transport-error');
  }

  onAckFor2xx(_tx: InviteServerTransaction, payload: Buffer): void {
    this.record(`ack-for-2xx ${payload.length}B`);
  }

  onServerTerminated(tx: ServerTransaction): void {
    this.record('server-terminated');
    this.onTerminatedHook?.(tx);
  }

  private record(event: string): void {
    this.events.push(`${this.wheel.now()} ${event}`);
  }
}

/** Records the (state, input) rows taken, to prove a test file covers the whole table. */
export class TransitionCoverage {
  private readonly taken = new Set<string>();
  readonly observer: TransitionObserver = (_tx, from, input) => {
    this.taken.add(`${from} × ${input}`);
  };

  /** Rows of `table` that no test has taken. */
  missing<S extends string, I extends string, A extends string>(table: TransitionTable<S, I, A>): string[] {
    const missing: string[] = [];
    for (const [state, rows] of Object.entries<Partial<Record<string, unknown>>>(table)) {
      for (const input of Object.keys(rows)) {
        const row = `${state} × ${input}`;
        if (!this.taken.has(row)) missing.push(row);
      }
    }
    return missing;
  }
}

/** A wire message as bytes, lines joined with CRLF and terminated by an empty line. */
/**
 * Sends `expected` as a final through `sendFinal` as a view of a larger buffer, reuses that buffer
 * for something else, and returns what the transaction resends on a retransmission of the request.
 */
export function resentAfterSlabReuse(peer: RecordingPeer, expected: Buffer, sendFinal: (payload: Buffer) => void, retransmit: () => void): Buffer | undefined {
  const slab = Buffer.alloc(8192);
  const view = slab.subarray(100, 100 + expected.length);
  expected.copy(view);
  sendFinal(view);
  slab.fill(0);
  const before = peer.sent.length;
  retransmit();
  return peer.sent[before]?.payload;
}

export function sipMessage(...lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
