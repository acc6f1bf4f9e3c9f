/**
 * Transaction events to Kamailio's acc and missed_calls rows (acc-rows.ts), a batch in one
 * transaction of the AccStore.
 */
import type { ContractValidators } from '@sipmesh/contracts';
import type { Logger } from '@sipmesh/runtime';
import { accRows, type AccRow } from './acc-rows.js';
import type { AccStore } from './acc-store.js';
import type { BatchSink, EventBatch } from './event-consumer.js';

export interface AccCounters {
  /** Events read, by outcome: accounted (gave rows), ignored (no flag that applies), invalid. */
  events(outcome: 'accounted' | 'ignored' | 'invalid', n: number): void;
  rows(table: 'acc' | 'missed_calls', n: number): void;
}

export class AccSink implements BatchSink<PreparedAcc> {
  constructor(
    private readonly accStore: AccStore,
    private readonly validators: ContractValidators,
    private readonly counters: AccCounters,
    private readonly logger: Logger,
  ) {}

  prepare(batch: EventBatch): PreparedAcc {
    const acc: AccRow[] = [];
    const missed: AccRow[] = [];
    let accounted = 0;
    let ignored = 0;
    let invalid = 0;
    for (const { event } of batch.events) {
      const v = this.validators.transactionCompleted(event);
      if (!v.ok) {
        invalid++;
        this.logger.warn({ errors: v.errors }, 'transaction event out of contract; skipped');
        continue;
      }
      const rows = accRows(v.value);
      if (rows.acc) acc.push(rows.acc);
      if (rows.missed) missed.push(rows.missed);
      if (rows.acc || rows.missed) accounted++;
      else ignored++;
    }
    return { acc, missed, accounted, ignored, invalid };
  }

  async write(p: PreparedAcc): Promise<void> {
    const stored = await this.accStore.write(p);
    this.counters.rows('acc', stored.acc);
    this.counters.rows('missed_calls', stored.missed);
    this.counters.events('accounted', p.accounted);
    this.counters.events('ignored', p.ignored);
    this.counters.events('invalid', p.invalid);
  }
}

interface PreparedAcc {
  readonly acc: AccRow[];
  readonly missed: AccRow[];
  readonly accounted: number;
  readonly ignored: number;
  readonly invalid: number;
}
