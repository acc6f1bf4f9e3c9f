/**
 * INVITE client transaction: RFC 3261 §17.1.1 (Figure 5) with the RFC 6026 §7.2 Accepted state,
 * plus the proxy's Timer C (§16.8) and the §9.1 wait for the final response after a CANCEL.
 *
 * The transaction sends the INVITE, retransmits it over unreliable transports (Timer A, doubling
 * without cap), ACKs non-2xx finals itself (the ACK is built by the TU, which can parse) and passes
 * to the TU only what it must: provisionals, the first final, and every later 2xx.
 */
import { TransactionMachine } from './transaction-machine.js';
import type { TransitionTable } from './transaction-machine.js';
import { TransactionKind } from './transaction-kind.js';
import { nextTimerAMs } from './timers.js';
import type { TransactionTimers } from './timers.js';
import type { TimerWheel } from './timer-wheel.js';
import { ClientTimeout } from './transaction-user.js';
import type { ClientTransactionUser, TransactionSender, TransitionObserver } from './transaction-user.js';

export const INVITE_CLIENT_STATES = ['Initial', 'Calling', 'Proceeding', 'Completed', 'Accepted', 'Terminated'] as const;
export type InviteClientState = (typeof INVITE_CLIENT_STATES)[number];

export const INVITE_CLIENT_TIMERS = ['timerA', 'timerB', 'timerC', 'timerD', 'timerM', 'timerCancelWait'] as const;
export type InviteClientTimer = (typeof INVITE_CLIENT_TIMERS)[number];

export const INVITE_CLIENT_INPUTS = [
  'start',
  'recv100',
  'recv101to199',
  'recv2xx',
  'recv300to699',
  'cancelSent',
  'transportError',
  ...INVITE_CLIENT_TIMERS,
] as const;
export type InviteClientInput = (typeof INVITE_CLIENT_INPUTS)[number];

type Action =
  | 'sendRequest'
  | 'retransmitRequest'
  | 'startA'
  | 'backOffA'
  | 'startB'
  | 'startC'
  | 'restartC'
  | 'stopA'
  | 'stopB'
  | 'stopTimers'
  | 'passToTu'
  | 'sendAck'
  | 'resendAck'
  | 'startD'
  | 'startM'
  | 'startCancelWait'
  | 'notifyTimeoutB'
  | 'notifyTimeoutC'
  | 'notifyCancelWaitExpired'
  | 'notifyTransportError';

type S = InviteClientState;
const toFinal = (next: S, rfc: string) => ({ next, actions: ['stopTimers', 'passToTu', 'sendAck', 'startD'] as const, rfc });
const toAccepted = { next: 'Accepted', actions: ['stopTimers', 'passToTu', 'startM'], rfc: 'RFC 6026 §7.2' } as const;

export const INVITE_CLIENT_TRANSITIONS: TransitionTable<S, InviteClientInput, Action> = {
  Initial: {
    start: { next: 'Calling', actions: ['sendRequest', 'startA', 'startB', 'startC'], rfc: '§17.1.1.2, §16.6 step 11 (Timer C)' },
  },
  Calling: {
    timerA: { next: 'Calling', actions: ['retransmitRequest', 'backOffA'], rfc: '§17.1.1.2' },
    timerB: { next: 'Terminated', actions: ['notifyTimeoutB'], rfc: '§17.1.1.2' },
    timerC: { next: 'Terminated', actions: ['notifyTimeoutC'], rfc: '§16.8 (no provisional: act as on 408)' },
    recv100: { next: 'Proceeding', actions: ['stopA', 'stopB', 'passToTu'], rfc: '§17.1.1.2; 100 does not reset Timer C, §16.7 step 2' },
    recv101to199: { next: 'Proceeding', actions: ['stopA', 'stopB', 'passToTu', 'restartC'], rfc: '§17.1.1.2, §16.7 step 2' },
    recv2xx: toAccepted,
    recv300to699: toFinal('Completed', '§17.1.1.2'),
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.1.1.2' },
  },
  Proceeding: {
    recv100: { next: 'Proceeding', actions: ['passToTu'], rfc: '§17.1.1.2' },
    recv101to199: { next: 'Proceeding', actions: ['passToTu', 'restartC'], rfc: '§17.1.1.2, §16.7 step 2' },
    recv2xx: toAccepted,
    recv300to699: toFinal('Completed', '§17.1.1.2'),
    timerC: { next: 'Proceeding', actions: ['notifyTimeoutC', 'startCancelWait'], rfc: '§16.8 (TU sends CANCEL), §9.1' },
    cancelSent: { next: 'Proceeding', actions: ['startCancelWait'], rfc: '§9.1' },
    timerCancelWait: { next: 'Terminated', actions: ['notifyCancelWaitExpired'], rfc: '§9.1' },
  },
  Completed: {
    recv300to699: { next: 'Completed', actions: ['resendAck'], rfc: '§17.1.1.2 (retransmission absorbed, ACK re-sent)' },
    timerD: { next: 'Terminated', actions: [], rfc: '§17.1.1.2' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.1.1.2' },
  },
  Accepted: {
    recv2xx: { next: 'Accepted', actions: ['passToTu'], rfc: 'RFC 6026 §7.2' },
    timerM: { next: 'Terminated', actions: [], rfc: 'RFC 6026 §7.2' },
  },
  Terminated: {},
};

export interface InviteClientTransactionOptions {
  readonly key: string;
  readonly sender: TransactionSender;
  /** The profile of the transport `sender` uses. */
  readonly timers: TransactionTimers;
  readonly wheel: TimerWheel;
  readonly user: ClientTransactionUser;
  /** The INVITE as it goes on the wire; retransmissions resend these bytes. */
  readonly request: Buffer;
  /** Builds the ACK for a non-2xx final response (§17.1.1.3); called once per transaction. */
  readonly buildAck: (responsePayload: Buffer) => Buffer;
  /** Per-branch Timer C (rtjson `fr_inv_timer`); defaults to the profile's `timerCMs`. */
  readonly timerCMs?: number;
  readonly observer?: TransitionObserver;
}

export class InviteClientTransaction extends TransactionMachine<S, InviteClientInput, Action, InviteClientTimer> {
  private readonly sender: TransactionSender;
  private readonly timers: TransactionTimers;
  private readonly user: ClientTransactionUser;
  private readonly request: Buffer;
  private readonly buildAck: (responsePayload: Buffer) => Buffer;
  private readonly timerCMs: number;
  private timerAIntervalMs: number;
  private ack: Buffer | undefined;

  constructor(options: InviteClientTransactionOptions) {
    super({
      key: options.key,
      kind: TransactionKind.InviteClient,
      table: INVITE_CLIENT_TRANSITIONS,
      initial: 'Initial',
      terminal: 'Terminated',
      timerKinds: INVITE_CLIENT_TIMERS,
      wheel: options.wheel,
      observer: options.observer,
    });
    this.sender = options.sender;
    this.timers = options.timers;
    this.user = options.user;
    this.request = options.request;
    this.buildAck = options.buildAck;
    this.timerCMs = options.timerCMs ?? options.timers.timerCMs;
    this.timerAIntervalMs = options.timers.timerAMs;
  }

  /** §9.1: a CANCEL may be sent only once a provisional response has arrived. */
  get cancellable(): boolean {
    return this.state === 'Proceeding';
  }

  /** Sends the INVITE and starts Timers A (unreliable only), B and C. */
  start(): boolean {
    return this.dispatch('start', 0, undefined);
  }

  /** A response matched to this transaction (§17.1.3); `status` is its status code. */
  receiveResponse(status: number, payload: Buffer): boolean {
    if (status < 100 || status > 699) return false;
    const input: InviteClientInput =
      status === 100 ? 'recv100' : status < 200 ? 'recv101to199' : status < 300 ? 'recv2xx' : 'recv300to699';
    return this.dispatch(input, status, payload);
  }

  /**
   * The TU sent a CANCEL for this INVITE (a separate non-INVITE client transaction). If no final
   * response follows within 64*T1, the transaction ends with a `cancel-wait` timeout (§9.1).
   */
  cancelSent(): boolean {
    return this.dispatch('cancelSent', 0, undefined);
  }

  /** The transport failed to deliver the INVITE or the ACK. */
  transportError(): boolean {
    return this.dispatch('transportError', 0, undefined);
  }

  protected perform(action: Action, status: number, payload: Buffer | undefined): void {
    switch (action) {
      case 'sendRequest':
      case 'retransmitRequest':
        this.sender.send(this.request);
        return;
      case 'startA':
        if (!this.timers.reliable) this.startTimer('timerA', this.timerAIntervalMs);
        return;
      case 'backOffA':
        this.timerAIntervalMs = nextTimerAMs(this.timerAIntervalMs);
        this.startTimer('timerA', this.timerAIntervalMs);
        return;
      case 'startB':
        this.startTimer('timerB', this.timers.timerBMs);
        return;
      case 'startC':
      case 'restartC':
        this.startTimer('timerC', this.timerCMs);
        return;
      case 'stopA':
        this.cancelTimer('timerA');
        return;
      case 'stopB':
        this.cancelTimer('timerB');
        return;
      case 'stopTimers':
        this.cancelAllTimers();
        return;
      case 'passToTu':
        if (payload !== undefined) this.user.onResponse(this, status, payload);
        return;
      case 'sendAck':
        if (payload !== undefined) this.ack = this.buildAck(payload);
        if (this.ack !== undefined) this.sender.send(this.ack);
        return;
      case 'resendAck':
        if (this.ack !== undefined) this.sender.send(this.ack);
        return;
      case 'startD':
        this.startTimer('timerD', this.timers.timerDMs);
        return;
      case 'startM':
        this.startTimer('timerM', this.timers.timerMMs);
        return;
      case 'startCancelWait':
        if (!this.isTimerRunning('timerCancelWait')) this.startTimer('timerCancelWait', this.timers.cancelWaitMs);
        return;
      case 'notifyTimeoutB':
        this.user.onTimeout(this, ClientTimeout.B);
        return;
      case 'notifyTimeoutC':
        this.user.onTimeout(this, ClientTimeout.C);
        return;
      case 'notifyCancelWaitExpired':
        this.user.onTimeout(this, ClientTimeout.CancelWait);
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
