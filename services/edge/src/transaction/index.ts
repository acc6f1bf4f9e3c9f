/** The RFC 3261 §17 transaction layer of the edge: message-agnostic machines, timers, keys, table. */
export type { Clock } from './clock.js';
export { ManualClock, systemClock } from './clock.js';
export type { HashedTimerWheelOptions, TimerHandle, TimerTarget, TimerWheel } from './timer-wheel.js';
export { HashedTimerWheel } from './timer-wheel.js';
export type { ManualTimerWheelOptions } from './manual-timer-wheel.js';
export { ManualTimerWheel } from './manual-timer-wheel.js';
export type { TransactionTimerConfig, TransactionTimerProfiles, TransactionTimers } from './timers.js';
export { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers, nextCappedIntervalMs, nextTimerAMs } from './timers.js';
export type { TransactionError, TransactionResult } from './transaction-error.js';
export { TransactionErrorCode } from './transaction-error.js';
export { TRANSACTION_KINDS, TransactionKind } from './transaction-kind.js';
export type {
  ClientTransaction,
  ClientTransactionUser,
  ServerTransaction,
  ServerTransactionUser,
  TransactionSender,
  TransitionObserver,
} from './transaction-user.js';
export { ClientTimeout } from './transaction-user.js';
export type { TransitionRow, TransitionTable } from './transaction-machine.js';
export type { InviteClientInput, InviteClientState, InviteClientTimer, InviteClientTransactionOptions } from './invite-client-transaction.js';
export { INVITE_CLIENT_STATES, INVITE_CLIENT_TRANSITIONS, InviteClientTransaction } from './invite-client-transaction.js';
export type { InviteServerInput, InviteServerState, InviteServerTimer, InviteServerTransactionOptions } from './invite-server-transaction.js';
export { INVITE_SERVER_STATES, INVITE_SERVER_TRANSITIONS, InviteServerTransaction } from './invite-server-transaction.js';
export type {
  NonInviteClientInput,
  NonInviteClientState,
  NonInviteClientTimer,
  NonInviteClientTransactionOptions,
} from './non-invite-client-transaction.js';
export { NON_INVITE_CLIENT_STATES, NON_INVITE_CLIENT_TRANSITIONS, NonInviteClientTransaction } from './non-invite-client-transaction.js';
export type {
  NonInviteServerInput,
  NonInviteServerState,
  NonInviteServerTimer,
  NonInviteServerTransactionOptions,
} from './non-invite-server-transaction.js';
export { NON_INVITE_SERVER_STATES, NON_INVITE_SERVER_TRANSITIONS, NonInviteServerTransaction } from './non-invite-server-transaction.js';
export type { Rfc2543KeyInput, TransactionKeyInput } from './transaction-key.js';
export {
  RFC3261_BRANCH_COOKIE,
  cancelTargetKey,
  clientTransactionKey,
  isRfc3261Branch,
  rfc2543CancelTargetKey,
  rfc2543ServerKey,
  serverTransactionKey,
} from './transaction-key.js';
export type { TransactionTableOptions } from './transaction-table.js';
export { TransactionTable } from './transaction-table.js';
