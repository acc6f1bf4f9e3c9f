/**
 * Transaction-completed events (contracts transaction-completed.json) on the durable event stream,
 * one per server transaction when its final response goes out (a REGISTER the registrar answered
 * only with events.registrarTransactions), gathered into messages of JSON lines by an EventBatcher. Publishing never blocks the SIP path: a failed publish is counted and
 * logged, and the transaction goes on. Over NATS the publisher is the edge's disk spool
 * (event-spool.ts), shared with every other event producer.
 */
import { CONTRACT_VERSION, EventBatcher, subjects, type EventBatchLimits, type EventPublisher, type TransactionCompletedEvent } from '@sipmesh/contracts';
import type { SipRequest } from '../parser/sip-message.js';
import { partyOf } from './route-params.js';
import type { CompletedTransaction } from '../proxy/proxy-context.js';
import type { InboundMessage } from '../transport/transport.js';
import type { EdgeLogEventName } from '../log-events.js';

export interface EventCounters {
  inc(name: 'events_published' | 'events_failed', by?: number): void;
}

/** One event per message, at once: what a test wants when it reads the stream message by message. */
export const UNBATCHED: EventBatchLimits = { maxEvents: 1, maxBytes: Number.MAX_SAFE_INTEGER, maxDelayMs: 0 };

export class TransactionEvents {
  private lastFailureLog = 0;
  private readonly batcher: EventBatcher;
  // ISO text of the last millisecond formatted: at thousands of events a second many share it.
  private isoMs = Number.NaN;
  private isoText = '';

  constructor(
    publisher: EventPublisher,
    private readonly edgeId: string,
    private readonly counters: EventCounters,
    private readonly log: (event: EdgeLogEventName, fields: Record<string, unknown>) => void,
    limits: EventBatchLimits = UNBATCHED,
    private readonly now: () => number = Date.now,
    /** events.registrarTransactions: publish REGISTER transactions the registrar answered too. */
    private readonly registrarTransactions = true,
  ) {
    this.batcher = new EventBatcher(publisher, subjects.events.transactionCompleted, limits, {
      published: (n) => this.counters.inc('events_published', n),
      failed: (n, e) => {
        this.counters.inc('events_failed', n);
        const t = this.now();
        if (t - this.lastFailureLog > 10_000) {
          this.lastFailureLog = t;
          this.log('event_publish_failed', { error: e.message, events: n });
        }
      },
    });
  }

  /** Publishes the events still gathering (before the bus drains). */
  flush(): void {
    this.batcher.flush();
  }

  private iso(ms: number): string {
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.isoText = new Date(ms).toISOString();
    }
    return this.isoText;
  }

  completed(tx: CompletedTransaction, req: SipRequest, inbound: InboundMessage): void {
    // the registrar announces what a registration changed (registration events)
    if (!this.registrarTransactions && tx.policy === 'registrar' && tx.acc === undefined) return;
    const time = this.now();
    const event: TransactionCompletedEvent = {
      event_id: tx.txId,
      type: 'transaction.completed',
      version: CONTRACT_VERSION,
      time: this.iso(time),
      edge: this.edgeId,
      tx: tx.txId,
      method: req.method,
      ruri: req.requestUri,
      call_id: req.callId,
      cseq: req.cseq.seq,
      from: partyOf(req.from, req.fromUri),
      to: partyOf(req.to, req.toUri),
      source: { ip: inbound.source.ip, port: inbound.source.port, transport: inbound.source.transport },
      status: tx.status,
      reason: tx.reason,
      outcome: tx.outcome,
      attempts: tx.attempts,
      branches: tx.branches,
      started_at: new Date(tx.startedAt).toISOString(),
      duration_ms: Math.max(0, time - tx.startedAt),
    };
    if (tx.traceId !== undefined) event.trace_id = tx.traceId;
    if (tx.policy !== undefined) event.policy = tx.policy;
    if (tx.acc !== undefined) event.acc = tx.acc;
    if (tx.toTag !== undefined) event.to_tag = tx.toTag;
    if (tx.finalRuri !== undefined) event.final_ruri = tx.finalRuri;
    this.batcher.add(event.event_id, JSON.stringify(event));
  }
}
