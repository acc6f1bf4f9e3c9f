/** Expected failures of the transaction layer, returned as values; the proxy core maps them to SIP. */
export const TransactionErrorCode = {
  /** The live-transaction limit is reached; the caller answers 503 (RFC 3261 §21.5.4) statelessly. */
  Limit: 'EDGE_ERR_TRANSACTION_LIMIT',
  /** A transaction with this key is already live; the caller should have matched it first. */
  Exists: 'EDGE_ERR_TRANSACTION_EXISTS',
  /** T1/T2/T4/Timer C/Timer D values that RFC 3261 does not allow. */
  TimerConfig: 'EDGE_ERR_TIMER_CONFIG',
} as const;
export type TransactionErrorCode = (typeof TransactionErrorCode)[keyof typeof TransactionErrorCode];

export interface TransactionError {
  readonly code: TransactionErrorCode;
  readonly message: string;
}

export type TransactionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TransactionError };
