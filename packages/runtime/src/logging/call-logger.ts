/**
 * Logging bound to one SIP call/transaction. A CallLogger is two references (base logger and
 * context); the pino child carrying `{callId, txKey, branch}` is created on the first line
 * actually written and reused afterwards. Transactions that log nothing cost nothing more.
 */
import type { Logger } from 'pino';
import type { EventLevel } from './log-level.js';
import { logEvent, type LogEvent } from './log-event.js';

export interface CallContext {
  readonly callId?: string;
  readonly txKey?: string;
  readonly branch?: string;
}

export class CallLogger {
  private child: Logger | undefined;

  constructor(
    private readonly base: Logger,
    private readonly context: CallContext,
  ) {}

  isEnabled(level: EventLevel): boolean {
    return this.base.isLevelEnabled(level);
  }

  event(event: LogEvent, fields?: Record<string, unknown>): void {
    if (!this.base.isLevelEnabled(event.level)) return;
    logEvent(this.logger(), event, fields);
  }

  /** The bound pino logger, created on first use. */
  logger(): Logger {
    this.child ??= this.base.child({ callId: this.context.callId, txKey: this.context.txKey, branch: this.context.branch });
    return this.child;
  }
}
