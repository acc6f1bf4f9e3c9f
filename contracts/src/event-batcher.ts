/**
 * Events for one stream subject, gathered into messages of JSON lines (contracts event-batch):
 * a message leaves when it holds `maxEvents` events or `maxBytes` of JSON, or `maxDelayMs` after
 * its first event. One stream write and one acknowledgement then carry many events, which is what
 * lets the edge publish an event per transaction and the registrar one per binding change at full load; `maxEvents: 1` publishes each event
 * on its own. The message id is the first event's id, so a resent batch is stored once; an event id
 * seen twice in one batch is dropped (the stream would have dropped it as a message). Messages go
 * through an EventPublisher: the bus, or the edge's disk spool that keeps them through a NATS outage.
 */
import { EVENT_COUNT_HEADER, encodeEvents } from './event-batch.js';

/** How a message reached the stream: straight, or by way of a producer's disk spool. */
export const EventDelivery = { published: 'published', spooled: 'spooled' } as const;
export type EventDelivery = (typeof EventDelivery)[keyof typeof EventDelivery];

/** The options of the runtime Bus's publishEvent (message id for deduplication, headers). */
export interface EventMessageOptions {
  msgId: string;
  headers?: Record<string, string>;
}

/**
 * What event producers publish through: the runtime Bus itself, or a spool in front of it. The
 * call of `Bus.publishEvent`; it resolves once the message is in the stream or in the spool
 * (`'spooled'`; a bus resolves with nothing, meaning published) and rejects when it is in neither.
 */
export interface EventPublisher {
  publishEvent(subject: string, data: Uint8Array, opts: EventMessageOptions): Promise<EventDelivery | void>;
}

export interface EventBatchLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly maxDelayMs: number;
}

export interface EventBatchOutcome {
  published(count: number): void;
  /** The stream was unreachable: the events wait in the disk spool, which publishes them later (and counts them). */
  spooled?(count: number): void;
  /** The events are lost: refused by the stream for good, or by a full spool. */
  failed(count: number, error: Error): void;
}

export class EventBatcher {
  private lines: string[] = [];
  private ids = new Set<string>();
  private firstId = '';
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly subject: string,
    private readonly limits: EventBatchLimits,
    private readonly outcome: EventBatchOutcome,
  ) {}

  /** Number of events waiting for their message. */
  get pending(): number {
    return this.lines.length;
  }

  add(eventId: string, json: string): void {
    if (this.ids.has(eventId)) return;
    if (this.lines.length > 0 && this.bytes + json.length + 1 > this.limits.maxBytes) this.flush();
    if (this.lines.length === 0) this.firstId = eventId;
    this.lines.push(json);
    this.ids.add(eventId);
    this.bytes += json.length + 1;
    if (this.lines.length >= this.limits.maxEvents || this.bytes >= this.limits.maxBytes) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.flush, this.limits.maxDelayMs);
    }
  }

  /** Publishes what is waiting now (also on stop, before the bus drains). */
  readonly flush = (): void => {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const lines = this.lines;
    if (lines.length === 0) return;
    const msgId = this.firstId;
    this.lines = [];
    this.ids = new Set();
    this.bytes = 0;
    const count = lines.length;
    let sent: Promise<EventDelivery | void>;
    try {
      sent = this.publisher.publishEvent(this.subject, encodeEvents(lines), { msgId, headers: { [EVENT_COUNT_HEADER]: String(count) } });
    } catch (e) {
      sent = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    sent.then(
      (delivery) => (delivery === EventDelivery.spooled ? this.outcome.spooled?.(count) : this.outcome.published(count)),
      (e: unknown) => this.outcome.failed(count, e instanceof Error ? e : new Error(String(e))),
    );
  };
}
