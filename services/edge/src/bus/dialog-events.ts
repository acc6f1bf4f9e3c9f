/**
 * Dialog events (contracts dialog.json) and the edge's start announcement (dialog-reset.json) on
 * the durable event stream. Like transaction events they leave in batched messages and never block
 * the SIP path: a failed publish is counted and logged.
 */
import { randomBytes } from 'node:crypto';
import { CONTRACT_VERSION, EventBatcher, subjects, type DialogEvent, type DialogResetEvent, type EventBatchLimits, type EventPublisher } from '@sipmesh/contracts';
import type { EdgeLogEventName } from '../log-events.js';
import type { DialogSink } from '../dialogs/dialog-tracker.js';
import { UNBATCHED, type EventCounters } from './transaction-events.js';

type Kind = 'started' | 'answered' | 'ended';

export class DialogEvents implements DialogSink {
  private readonly batchers: Record<Kind, EventBatcher>;
  private lastFailureLog = 0;
  /** Random id of this run of the edge (dialog.reset). */
  readonly bootId = randomBytes(6).toString('hex');

  constructor(
    private readonly bus: EventPublisher,
    private readonly edgeId: string,
    private readonly counters: EventCounters,
    private readonly log: (event: EdgeLogEventName, fields: Record<string, unknown>) => void,
    limits: EventBatchLimits = UNBATCHED,
  ) {
    const outcome = {
      published: (n: number) => this.counters.inc('events_published', n),
      failed: (n: number, e: Error) => this.failed(n, e),
    };
    this.batchers = {
      started: new EventBatcher(bus, subjects.events.dialog('started'), limits, outcome),
      answered: new EventBatcher(bus, subjects.events.dialog('answered'), limits, outcome),
      ended: new EventBatcher(bus, subjects.events.dialog('ended'), limits, outcome),
    };
  }

  emit(event: DialogEvent): void {
    const kind = event.type.slice('dialog.'.length) as Kind;
    this.batchers[kind].add(event.event_id, JSON.stringify(event));
  }

  /** Announces this run of the edge: calls it tracked in an earlier run that did not stop cleanly are closed by their consumers. */
  announceStart(now = Date.now()): void {
    const event: DialogResetEvent = {
      event_id: `${this.edgeId}.${this.bootId}.reset`,
      type: 'dialog.reset',
      version: CONTRACT_VERSION,
      time: new Date(now).toISOString(),
      edge: this.edgeId,
      boot_id: this.bootId,
    };
    const batcher = new EventBatcher(this.bus, subjects.events.dialog('reset'), UNBATCHED, {
      published: (n) => this.counters.inc('events_published', n),
      failed: (n, e) => this.failed(n, e),
    });
    batcher.add(event.event_id, JSON.stringify(event));
  }

  /** Publishes what is waiting (before the bus drains). */
  flush(): void {
    for (const b of Object.values(this.batchers)) b.flush();
  }

  private failed(n: number, e: Error): void {
    this.counters.inc('events_failed', n);
    const t = Date.now();
    if (t - this.lastFailureLog > 10_000) {
      this.lastFailureLog = t;
      this.log('event_publish_failed', { error: e.message, events: n });
    }
  }
}
