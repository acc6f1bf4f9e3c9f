/**
 * Non-INVITE server transaction: RFC 3261 §17.2.2 (Figure 8). Created in Trying when a request other
 * than INVITE or ACK arrives (CANCEL included). Retransmissions of the request are absorbed until
 * the TU answers, then answered with the last response; Timer J keeps the Completed state long
 * enough to absorb them over unreliable transports.
 */
import { ownBytes, TransactionMachine } from './transaction-machine.js';
import type { TransitionTable } from './transaction-machine.js';
import { TransactionKind } from './transaction-kind.js';
import type { TransactionTimers } from './timers.js';
import type { TimerWheel } from './timer-wheel.js';
import type { ServerTransactionUser, TransactionSender, TransitionObserver } from './transaction-user.js';

export const NON_INVITE_SERVER_STATES = ['Trying', 'Proceeding', 'Completed', 'Terminated'] as const;
export type NonInviteServerState = (typeof NON_INVITE_SERVER_STATES)[number];

export const NON_INVITE_SERVER_TIMERS = ['timerJ'] as const;
export type NonInviteServerTimer = (typeof NON_INVITE_SERVER_TIMERS)[number];

export const NON_INVITE_SERVER_INPUTS = ['requestRetransmission', 'send1xx', 'sendFinal', 'transportError', ...NON_INVITE_SERVER_TIMERS] as const;
export type NonInviteServerInput = (typeof NON_INVITE_SERVER_INPUTS)[number];

type Action = 'sendResponse' | 'resendResponse' | 'startJ' | 'notifyTransportError';

type S = NonInviteServerState;

export const NON_INVITE_SERVER_TRANSITIONS: TransitionTable<S, NonInviteServerInput, Action> = {
  Trying: {
    requestRetransmission: { next: 'Trying', actions: [], rfc: '§17.2.2 (discarded)' },
    send1xx: { next: 'Proceeding', actions: ['sendResponse'], rfc: '§17.2.2' },
    sendFinal: { next: 'Completed', actions: ['sendResponse', 'startJ'], rfc: '§17.2.2' },
  },
  Proceeding: {
    requestRetransmission: { next: 'Proceeding', actions: ['resendResponse'], rfc: '§17.2.2' },
    send1xx: { next: 'Proceeding', actions: ['sendResponse'], rfc: '§17.2.2' },
    sendFinal: { next: 'Completed', actions: ['sendResponse', 'startJ'], rfc: '§17.2.2' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.2.2' },
  },
  Completed: {
    requestRetransmission: { next: 'Completed', actions: ['resendResponse'], rfc: '§17.2.2' },
    timerJ: { next: 'Terminated', actions: [], rfc: '§17.2.2' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.2.2' },
  },
  Terminated: {},
};

export interface NonInviteServerTransactionOptions {
  readonly key: string;
  readonly sender: TransactionSender;
  /** The profile of the transport the request arrived on. */
  readonly timers: TransactionTimers;
  readonly wheel: TimerWheel;
  readonly user: ServerTransactionUser;
  readonly observer?: TransitionObserver;
}

export class NonInviteServerTransaction extends TransactionMachine<S, NonInviteServerInput, Action, NonInviteServerTimer> {
  private readonly sender: TransactionSender;
  private readonly timers: TransactionTimers;
  private readonly user: ServerTransactionUser;
  private lastResponse: Buffer | undefined;
  private lastStatus = 0;

  constructor(options: NonInviteServerTransactionOptions) {
    super({
      key: options.key,
      kind: TransactionKind.NonInviteServer,
      table: NON_INVITE_SERVER_TRANSITIONS,
      initial: 'Trying',
      terminal: 'Terminated',
      timerKinds: NON_INVITE_SERVER_TIMERS,
      wheel: options.wheel,
      observer: options.observer,
    });
    this.sender = options.sender;
    this.timers = options.timers;
    this.user = options.user;
  }

  /** Status of the last response sent, 0 before any. */
  get lastResponseStatus(): number {
    return this.lastStatus;
  }

  /** The request arrived again: absorbed in Trying, else the last response is resent. */
  receiveRequestRetransmission(): boolean {
    return this.dispatch('requestRetransmission', 0, undefined);
  }

  sendProvisional(status: number, payload: Buffer): boolean {
    if (status < 100 || status > 199) return false;
    return this.dispatch('send1xx', status, payload);
  }

  /** A final response from the TU; once Completed, further finals are discarded (returns false). */
  sendFinal(status: number, payload: Buffer): boolean {
    if (status < 200 || status > 699) return false;
    return this.dispatch('sendFinal', status, payload);
  }

  /** The transport failed to deliver a response. */
  transportError(): boolean {
    return this.dispatch('transportError', 0, undefined);
  }

  protected perform(action: Action, status: number, payload: Buffer | undefined): void {
    switch (action) {
      case 'sendResponse':
        if (payload === undefined) return;
        this.lastResponse = payload;
        this.lastStatus = status;
        this.sender.send(payload);
        return;
      case 'resendResponse':
        if (this.lastResponse !== undefined) this.sender.send(this.lastResponse);
        return;
      case 'startJ':
        // Completed: the final lingers for retransmissions of the request (unreliable transports)
        if (this.lastResponse !== undefined && this.timers.timerJMs > 0) this.lastResponse = ownBytes(this.lastResponse);
        this.startTimer('timerJ', this.timers.timerJMs);
        return;
      case 'notifyTransportError':
        this.user.onServerTransportError(this);
        return;
    }
  }

  protected notifyTerminated(): void {
    this.user.onServerTerminated(this);
  }
}
