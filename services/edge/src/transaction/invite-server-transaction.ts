/**
 * INVITE server transaction: RFC 3261 §17.2.1 (Figure 7) with the RFC 6026 §7.1 Accepted state.
 *
 * Created in Proceeding when an INVITE arrives. The 100 Trying is the proxy core's to send at once
 * (§16.2, §17.2.1), through `sendProvisional`, so the transaction remembers it like any provisional.
 * A non-2xx final is retransmitted on Timer G over unreliable transports until the ACK arrives
 * (Confirmed) or Timer H gives up. A 2xx moves to Accepted, where the TU's 2xx retransmissions pass
 * through and ACKs go up to the TU until Timer L.
 */
import { ownBytes, TransactionMachine } from './transaction-machine.js';
import type { TransitionTable } from './transaction-machine.js';
import { TransactionKind } from './transaction-kind.js';
import { nextCappedIntervalMs } from './timers.js';
import type { TransactionTimers } from './timers.js';
import type { TimerWheel } from './timer-wheel.js';
import type { ServerTransactionUser, TransactionSender, TransitionObserver } from './transaction-user.js';

export const INVITE_SERVER_STATES = ['Proceeding', 'Completed', 'Confirmed', 'Accepted', 'Terminated'] as const;
export type InviteServerState = (typeof INVITE_SERVER_STATES)[number];

export const INVITE_SERVER_TIMERS = ['timerG', 'timerH', 'timerI', 'timerL'] as const;
export type InviteServerTimer = (typeof INVITE_SERVER_TIMERS)[number];

export const INVITE_SERVER_INPUTS = [
  'requestRetransmission',
  'send1xx',
  'send2xx',
  'send300to699',
  'recvAck',
  'transportError',
  ...INVITE_SERVER_TIMERS,
] as const;
export type InviteServerInput = (typeof INVITE_SERVER_INPUTS)[number];

type Action =
  | 'sendResponse'
  | 'resendResponse'
  | 'startG'
  | 'backOffG'
  | 'startH'
  | 'startI'
  | 'startL'
  | 'stopTimers'
  | 'passAckToTu'
  | 'notifyTimeout'
  | 'notifyTransportError';

type S = InviteServerState;

export const INVITE_SERVER_TRANSITIONS: TransitionTable<S, InviteServerInput, Action> = {
  Proceeding: {
    requestRetransmission: { next: 'Proceeding', actions: ['resendResponse'], rfc: '§17.2.1 (most recent provisional, if any)' },
    send1xx: { next: 'Proceeding', actions: ['sendResponse'], rfc: '§17.2.1' },
    send2xx: { next: 'Accepted', actions: ['sendResponse', 'startL'], rfc: 'RFC 6026 §7.1' },
    send300to699: { next: 'Completed', actions: ['sendResponse', 'startG', 'startH'], rfc: '§17.2.1' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.2.1' },
  },
  Completed: {
    requestRetransmission: { next: 'Completed', actions: ['resendResponse'], rfc: '§17.2.1' },
    timerG: { next: 'Completed', actions: ['resendResponse', 'backOffG'], rfc: '§17.2.1' },
    timerH: { next: 'Terminated', actions: ['notifyTimeout'], rfc: '§17.2.1' },
    recvAck: { next: 'Confirmed', actions: ['stopTimers', 'startI'], rfc: '§17.2.1' },
    transportError: { next: 'Terminated', actions: ['notifyTransportError'], rfc: '§17.2.1' },
  },
  Confirmed: {
    recvAck: { next: 'Confirmed', actions: [], rfc: '§17.2.1 (ACK retransmission absorbed)' },
    requestRetransmission: { next: 'Confirmed', actions: [], rfc: '§17.2.1 (late INVITE retransmission absorbed)' },
    timerI: { next: 'Terminated', actions: [], rfc: '§17.2.1' },
  },
  Accepted: {
    requestRetransmission: { next: 'Accepted', actions: [], rfc: 'RFC 6026 §7.1 (absorbed)' },
    send2xx: { next: 'Accepted', actions: ['sendResponse'], rfc: 'RFC 6026 §7.1' },
    recvAck: { next: 'Accepted', actions: ['passAckToTu'], rfc: 'RFC 6026 §7.1' },
    transportError: { next: 'Accepted', actions: ['notifyTransportError'], rfc: 'RFC 6026 §7.1' },
    timerL: { next: 'Terminated', actions: [], rfc: 'RFC 6026 §7.1' },
  },
  Terminated: {},
};

export interface InviteServerTransactionOptions {
  readonly key: string;
  readonly sender: TransactionSender;
  /** The profile of the transport the INVITE arrived on. */
  readonly timers: TransactionTimers;
  readonly wheel: TimerWheel;
  readonly user: ServerTransactionUser;
  readonly observer?: TransitionObserver;
}

export class InviteServerTransaction extends TransactionMachine<S, InviteServerInput, Action, InviteServerTimer> {
  private readonly sender: TransactionSender;
  private readonly timers: TransactionTimers;
  private readonly user: ServerTransactionUser;
  private timerGIntervalMs: number;
  private lastResponse: Buffer | undefined;
  private lastStatus = 0;

  constructor(options: InviteServerTransactionOptions) {
    super({
      key: options.key,
      kind: TransactionKind.InviteServer,
      table: INVITE_SERVER_TRANSITIONS,
      initial: 'Proceeding',
      terminal: 'Terminated',
      timerKinds: INVITE_SERVER_TIMERS,
      wheel: options.wheel,
      observer: options.observer,
    });
    this.sender = options.sender;
    this.timers = options.timers;
    this.user = options.user;
    this.timerGIntervalMs = options.timers.timerGMs;
  }

  /** Status of the last response sent, 0 before any. */
  get lastResponseStatus(): number {
    return this.lastStatus;
  }

  /** The INVITE arrived again: resend the last response (none yet: nothing). */
  receiveRequestRetransmission(): boolean {
    return this.dispatch('requestRetransmission', 0, undefined);
  }

  /** A 1xx from the TU (including the proxy's own 100 Trying). */
  sendProvisional(status: number, payload: Buffer): boolean {
    if (status < 100 || status > 199) return false;
    return this.dispatch('send1xx', status, payload);
  }

  /** A 2xx-699 from the TU. A second non-2xx final is discarded (returns false). */
  sendFinal(status: number, payload: Buffer): boolean {
    if (status < 200 || status > 699) return false;
    return this.dispatch(status < 300 ? 'send2xx' : 'send300to699', status, payload);
  }

  /** An ACK matched to this transaction (§17.2.3): absorbed after a non-2xx, passed up after a 2xx. */
  receiveAck(payload: Buffer): boolean {
    return this.dispatch('recvAck', 0, payload);
  }

  /** The transport failed to deliver a response. */
  transportError(): boolean {
    return this.dispatch('transportError', 0, undefined);
  }

  protected perform(action: Action, status: number, payload: Buffer | undefined): void {
    switch (action) {
      case 'sendResponse':
        if (payload === undefined) return;
        // Accepted (RFC 6026): the TU retransmits its 2xx; the transaction never resends it
        this.lastResponse = this.state === 'Accepted' ? undefined : payload;
        this.lastStatus = status;
        this.sender.send(payload);
        return;
      case 'resendResponse':
        if (this.lastResponse !== undefined) this.sender.send(this.lastResponse);
        return;
      case 'startG':
        if (!this.timers.reliable) this.startTimer('timerG', this.timerGIntervalMs);
        return;
      case 'backOffG':
        this.timerGIntervalMs = nextCappedIntervalMs(this.timerGIntervalMs, this.timers.t2Ms);
        this.startTimer('timerG', this.timerGIntervalMs);
        return;
      case 'startH':
        // Completed: the final lingers for retransmissions until the ACK (Timer G/H)
        if (this.lastResponse !== undefined) this.lastResponse = ownBytes(this.lastResponse);
        this.startTimer('timerH', this.timers.timerHMs);
        return;
      case 'startI':
        // Confirmed: retransmissions are absorbed, the final is not needed any more
        this.lastResponse = undefined;
        this.startTimer('timerI', this.timers.timerIMs);
        return;
      case 'startL':
        this.startTimer('timerL', this.timers.timerLMs);
        return;
      case 'stopTimers':
        this.cancelAllTimers();
        return;
      case 'passAckToTu':
        if (payload !== undefined) this.user.onAckFor2xx(this, payload);
        return;
      case 'notifyTimeout':
        this.user.onServerTimeout(this);
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
