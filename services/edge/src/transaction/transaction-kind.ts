/** The four RFC 3261 §17 transaction machines. */
export const TransactionKind = {
  InviteClient: 'invite-client',
  InviteServer: 'invite-server',
  NonInviteClient: 'non-invite-client',
  NonInviteServer: 'non-invite-server',
} as const;
export type TransactionKind = (typeof TransactionKind)[keyof typeof TransactionKind];

export const TRANSACTION_KINDS: readonly TransactionKind[] = Object.freeze(Object.values(TransactionKind));
