/**
 * Transaction-completed events (contracts transaction-completed.json) on the durable event stream,
 * one per server transaction when its final response goes out. Publishing never blocks the SIP
 * path: a failed publish is counted and logged, and the transaction goes on.
 */
import { CONTRACT_VERSION, subjects, type TransactionCompletedEvent } from '@sipmesh/contracts';
import type { Bus } from '@sipmesh/runtime';
import type { SipRequest } from '../parser/sip-message.js';
import { partyOf } from './route-params.js';
import type { CompletedTransaction } from '../proxy/proxy-context.js';
import type { InboundMessage } from '../transport/transport.js';
import type { EdgeLogEventName } from '../log-events.js';

export interface EventCounters {
  inc(name: 'events_published' | 'events_failed'): void;
}

export class TransactionEvents {
  private lastFailureLog = 0;

  constructor(
    private readonly bus: Bus,
    private readonly edgeId: string,
    private readonly counters: EventCounters,
    private readonly log: (event: EdgeLogEventName, fields: Record<string, unknown>) => void,
    private readonly now: () => number = Date.now,
  ) {}

  completed(tx: CompletedTransaction, req: SipRequest, inbound: InboundMessage): void {
    const time = this.now();
    const event: TransactionCompletedEvent = {
      event_id: tx.txId,
      type: 'transaction.completed',
      version: CONTRACT_VERSION,
      time: new Date(time).toISOString(),
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
    this.bus.publishEvent(subjects.events.transactionCompleted, Buffer.from(JSON.stringify(event)), { msgId: event.event_id }).then(
      () => this.counters.inc('events_published'),
      (e: unknown) => {
        this.counters.inc('events_failed');
        const t = this.now();
        if (t - this.lastFailureLog > 10_000) {
          this.lastFailureLog = t;
          this.log('event_publish_failed', { error: (e as Error).message });
        }
      },
    );
  }
}
