/**
 * Non-INVITE client transaction: RFC 3261 §17.1.2 (Figure 6). Used for every request but INVITE and
 * ACK, CANCEL included. Over unreliable transports Timer E retransmits the request, doubling up to
 * T2 in Trying and at T2 in Proceeding; Timer F ends the wait. Completed absorbs response
 * retransmissions until Timer K.
 */
import { TransactionMachine } from './transaction-machine.js';
import type { TransitionTable } from './transaction-machine.js';
import { TransactionKind } from './transaction-kind.js';
import { nextCappedIntervalMs } from './timers.js';
import type { TransactionTimers } from './timers.js';
import type { TimerWheel } from './timer-wheel.js';
import { ClientTimeout } from './transaction-user.js';
import type { ClientTransactionUser, TransactionSender, TransitionObserver } from './transaction-user.js';

export const NON_INVITE_CLIENT_STATES = ['Initial', 'Trying', 'Proceeding', 'Completed', 'Terminated'] as const;
export type NonInviteClientState = (typeof NON_INVITE_CLIENT_STATES)[number];

export const NON_INVITE_CLIENT_TIMERS = ['timerE', 'timerF', 'timerK'] as const;
export type NonInviteClientTimer = (typeof NON_INVITE_CLIENT_TIMERS)[number];

export const NON_INVITE_CLIENT_INPUTS = ['start', 'recv1xx', 'recvFinal', 'transportError', ...NON_INVITE_CLIENT_TIMERS] as const;
export type NonInviteClientInput = (typeof NON_INVITE_CLIENT_INPUTS)[number];

type Action =
  | 'sendRequest'
  | 'retransmitRequest'
  | 'startE'
  | 'backOffE'
  | 'restartEAtT2'
  | 'slowEToT2'
  | 'startF'
  | 'startK'
  | 'stopTimers'
  | 'passToTu'
  | 'notifyTimeoutF'
  | 'notifyTransportError';

type S = NonInviteClientState;
const toCompleted = { next: 'Completed', actions: ['stopTimers', 'passToTu', 'startK'], rfc: '§17.1.2.2' } as const;

export const NON_INVITE_CLIENT_TRANSITIONS: TransitionTable<S, NonInviteClientInput, Action> = {
  Initial: {
    start: { next: 'Trying', actions: ['sendRequest', 'startE', 'startF'], rfc: '§17.1.2.2' },
  },
  Trying: {
    timerE: { next: 'Trying', actions: ['retransmitRequest', 'backOffE'], rfc: '§17.1.2.2 (min(2*E, T2))' },
    timerF: { next: 'Terminated', actions: ['notifyTimeoutF'], rfc: '§17.1.2.2' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.1.2.2' },
    // The RFC lets the Timer E armed in Trying fire once more at its short interval; like Kamailio's
    // tm, a provisional moves retransmissions to T2 at once (the request evidently arrived).
    recv1xx: { next: 'Proceeding', actions: ['slowEToT2', 'passToTu'], rfc: '§17.1.2.2 (E = T2 from the provisional on)' },
    recvFinal: toCompleted,
  },
  Proceeding: {
    timerE: { next: 'Proceeding', actions: ['retransmitRequest', 'restartEAtT2'], rfc: '§17.1.2.2 (E = T2)' },
    timerF: { next: 'Terminated', actions: ['notifyTimeoutF'], rfc: '§17.1.2.2' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.1.2.2' },
    recv1xx: { next: 'Proceeding', actions: ['passToTu'], rfc: '§17.1.2.2' },
    recvFinal: toCompleted,
  },
  Completed: {
    recv1xx: { next: 'Completed', actions: [], rfc: '§17.1.2.2 (absorbed)' },
    recvFinal: { next: 'Completed', actions: [], rfc: '§17.1.2.2 (retransmission absorbed)' },
    timerK: { next: 'Terminated', actions: [], rfc: '§17.1.2.2' },
  },
  Terminated: {},
};

export interface NonInviteClientTransactionOptions {
  readonly key: string;
  readonly sender: TransactionSender;
  /** The profile of the transport `sender` uses. */
  readonly timers: TransactionTimers;
  readonly wheel: TimerWheel;
  readonly user: ClientTransactionUser;
  /** The request as it goes on the wire; retransmissions resend these bytes. */
  readonly request: Buffer;
  readonly observer?: TransitionObserver;
}

export class NonInviteClientTransaction extends TransactionMachine<S, NonInviteClientInput, Action, NonInviteClientTimer> {
  private readonly sender: TransactionSender;
  private readonly timers: TransactionTimers;
  private readonly user: ClientTransactionUser;
  private readonly request: Buffer;
  private timerEIntervalMs: number;

  constructor(options: NonInviteClientTransactionOptions) {
    super({
      key: options.key,
      kind: TransactionKind.NonInviteClient,
      table: NON_INVITE_CLIENT_TRANSITIONS,
      initial: 'Initial',
      terminal: 'Terminated',
      timerKinds: NON_INVITE_CLIENT_TIMERS,
      wheel: options.wheel,
      observer: options.observer,
    });
    this.sender = options.sender;
    this.timers = options.timers;
    this.user = options.user;
    this.request = options.request;
    this.timerEIntervalMs = options.timers.timerEMs;
  }

  /** Sends the request and starts Timers E (unreliable only) and F. */
  start(): boolean {
    return this.dispatch('start', 0, undefined);
  }

  /** A response matched to this transaction (§17.1.3). */
  receiveResponse(status: number, payload: Buffer): boolean {
    if (status < 100 || status > 699) return false;
    return this.dispatch(status < 200 ? 'recv1xx' : 'recvFinal', status, payload);
  }

  /** The transport failed to deliver the request. */
  transportError(): boolean {
    return this.dispatch('transportError', 0, undefined);
  }

  protected perform(action: Action, status: number, payload: Buffer | undefined): void {
    switch (action) {
      case 'sendRequest':
      case 'retransmitRequest':
        this.sender.send(this.request);
        return;
      case 'startE':
        if (!this.timers.reliable) this.startTimer('timerE', this.timerEIntervalMs);
        return;
      case 'backOffE':
        this.timerEIntervalMs = nextCappedIntervalMs(this.timerEIntervalMs, this.timers.t2Ms);
        this.startTimer('timerE', this.timerEIntervalMs);
        return;
      case 'restartEAtT2':
        this.timerEIntervalMs = this.timers.t2Ms;
        this.startTimer('timerE', this.timerEIntervalMs);
        return;
      case 'slowEToT2':
        if (this.timers.reliable) return;
        this.timerEIntervalMs = this.timers.t2Ms;
        this.startTimer('timerE', this.timerEIntervalMs);
        return;
      case 'startF':
        this.startTimer('timerF', this.timers.timerFMs);
        return;
      case 'startK':
        this.startTimer('timerK', this.timers.timerKMs);
        return;
      case 'stopTimers':
        this.cancelAllTimers();
        return;
      case 'passToTu':
        if (payload !== undefined) this.user.onResponse(this, status, payload);
        return;
      case 'notifyTimeoutF':
        this.user.onTimeout(this, ClientTimeout.F);
        return;
      case 'notifyTransportError':
        this.user.onTransportError(this);
        return;
    }
  }

  protected notifyTerminated(): void {
    this.user.onTerminated(this);
  }
}
