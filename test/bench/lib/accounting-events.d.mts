/** Types of accounting-events.mjs. */
export interface AccountingEventMessage {
  subject: string;
  msgId: string;
  count: number;
  lines: string[];
}
export interface AccountingEventOptions {
  calls: number;
  perMessage?: number;
  edge?: string;
  startMs?: number;
  callsPerSecond?: number;
  seed?: number;
}
export function accountingEventMessages(o: AccountingEventOptions): {
  messages: AccountingEventMessage[];
  events: number;
  expected: { calls: number; transactionEvents: number; dialogEvents: number; accRows: number; cdrs: number; totalDurationMs: number };
  bytes: number;
};
