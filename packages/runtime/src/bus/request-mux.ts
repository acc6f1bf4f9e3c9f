/**
 * Request/reply over one wildcard inbox subscription per bus (`<prefix>.*`), as the NATS
 * clients do: a request is a publish with reply `<prefix>.<token>`, and the answer, or the
 * 503 no-responders status, is matched back by token. Both buses use it, so timeout and
 * no-responders behave identically; for NatsBus it also means requests go through the
 * reconnect buffer like any publish.
 */
import type { BusMessage } from './bus.js';
import { BusError, BusErrorCode } from './bus-error.js';

interface PendingRequest {
  readonly subject: string;
  readonly resolve: (msg: BusMessage) => void;
  readonly reject: (error: BusError) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface RegisteredRequest {
  readonly reply: string;
  readonly response: Promise<BusMessage>;
}

export class RequestMux {
  readonly inboxSubject: string;
  private readonly replyPrefix: string;
  private readonly pending = new Map<string, PendingRequest>();
  private nextToken = 0;

  constructor(inboxPrefix: string) {
    this.replyPrefix = `${inboxPrefix}.`;
    this.inboxSubject = `${inboxPrefix}.*`;
  }

  get size(): number {
    return this.pending.size;
  }

  register(subject: string, timeoutMs: number): RegisteredRequest {
    const token = (this.nextToken++).toString(36);
    let entry: PendingRequest | undefined;
    const response = new Promise<BusMessage>((resolve, reject) => {
      entry = { subject, resolve, reject, timer: undefined };
    });
    // The executor above ran synchronously, so `entry` is set.
    const pending = entry as PendingRequest;
    pending.timer = setTimeout(this.onTimeout, timeoutMs, token);
    this.pending.set(token, pending);
    return { reply: this.replyPrefix + token, response };
  }

  /** Fails a registered request before it was sent (the publish itself threw). */
  cancel(reply: string, error: BusError): void {
    const token = reply.slice(this.replyPrefix.length);
    this.settle(token)?.reject(error);
  }

  /** Handler for the inbox subscription. Late answers (after timeout) are dropped. */
  readonly onReply = (msg: BusMessage): void => {
    const token = msg.subject.slice(this.replyPrefix.length);
    const entry = this.settle(token);
    if (entry === undefined) return;
    if (msg.noResponders) {
      entry.reject(new BusError(BusErrorCode.noResponders, `no responders on ${entry.subject}`, { subject: entry.subject }));
    } else {
      entry.resolve(msg);
    }
  };

  rejectAll(code: BusErrorCode, message: string): void {
    for (const [token, entry] of this.pending) {
      this.settle(token);
      entry.reject(new BusError(code, message, { subject: entry.subject }));
    }
  }

  private readonly onTimeout = (token: string): void => {
    const entry = this.pending.get(token);
    if (entry === undefined) return;
    entry.timer = undefined;
    this.pending.delete(token);
    entry.reject(new BusError(BusErrorCode.timeout, `request to ${entry.subject} timed out`, { subject: entry.subject }));
  };

  private settle(token: string): PendingRequest | undefined {
    const entry = this.pending.get(token);
    if (entry === undefined) return undefined;
    this.pending.delete(token);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    return entry;
  }
}
