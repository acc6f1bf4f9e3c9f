/**
 * Dialog events to CDRs (cdr-rows.ts, cdr-store.ts), and the call-limit slots they free: every
 * call that ended, or was closed because its edge restarted, leaves the call profiles the router
 * put it in, inside the batch's transaction (a failure stores nothing and the batch comes back).
 * Within a batch the events of one call are merged first; an edge's reset splits the batch, so
 * calls it started before are closed and calls after it are not.
 */
import type { ContractValidators } from '@sipmesh/contracts';
import type { Logger } from '@sipmesh/runtime';
import { cdrPatch, mergePatch, recoveredEnd, type CdrPatch, type RecoveredEnd } from './cdr-rows.js';
import type { CdrStep, CdrStore } from './cdr-store.js';
import type { BatchSink, EventBatch } from './event-consumer.js';

/** Where the router counts concurrent calls (CallProfiles of the runtime); only removal is needed here. */
export interface CallSlots {
  remove(dialogIds: string[]): Promise<number>;
}

export interface CdrCounters {
  events(outcome: 'stored' | 'invalid', n: number): void;
  closedByReset(n: number): void;
}

export class CdrSink implements BatchSink<PreparedCdrs> {
  constructor(
    private readonly cdrs: CdrStore,
    private readonly slots: CallSlots | undefined,
    private readonly validators: ContractValidators,
    private readonly counters: CdrCounters,
    private readonly logger: Logger,
  ) {}

  prepare(batch: EventBatch): PreparedCdrs {
    const steps: CdrStep[] = [];
    const ended: string[] = [];
    let patches = new Map<string, CdrPatch>();
    let recovered: RecoveredEnd[] = [];
    let stored = 0;
    let invalid = 0;
    for (const { event } of batch.events) {
      const type = (event as { type?: unknown } | null)?.type;
      if (type === 'dialog.reset') {
        const v = this.validators.dialogReset(event);
        if (!v.ok) {
          invalid++;
          this.logger.warn({ errors: v.errors }, 'dialog reset event out of contract; skipped');
          continue;
        }
        steps.push({ patches: [...patches.values()], recovered, reset: { edge: v.value.edge, time: new Date(v.value.time) } });
        patches = new Map();
        recovered = [];
        stored++;
        continue;
      }
      const v = this.validators.dialog(event);
      if (!v.ok) {
        invalid++;
        this.logger.warn({ errors: v.errors }, 'dialog event out of contract; skipped');
        continue;
      }
      const e = v.value;
      stored++;
      if (e.type === 'dialog.ended') ended.push(e.dialog_id);
      if (e.recovered === true) {
        recovered.push(recoveredEnd(e));
        continue;
      }
      const p = cdrPatch(e);
      const before = patches.get(p.dialog_id);
      patches.set(p.dialog_id, before ? mergePatch(before, p) : p);
    }
    steps.push({ patches: [...patches.values()], recovered });
    return { steps, ended, stored, invalid };
  }

  /** A batch with an edge's reset is stored alone, after the batches before it. */
  ordered(p: PreparedCdrs): boolean {
    return p.steps.some((s) => s.reset !== undefined);
  }

  async write(p: PreparedCdrs): Promise<void> {
    const { steps, ended, stored, invalid } = p;
    const slots = this.slots;
    const result = await this.cdrs.write(steps, ended, async (gone) => {
      if (slots && gone.length > 0) await slots.remove(gone);
    });
    this.counters.events('stored', stored);
    this.counters.events('invalid', invalid);
    if (result.closed.length > 0) {
      this.counters.closedByReset(result.closed.length);
      this.logger.info({ calls: result.closed.length }, 'calls of a restarted edge closed');
    }
  }
}

interface PreparedCdrs {
  readonly steps: CdrStep[];
  readonly ended: string[];
  readonly stored: number;
  readonly invalid: number;
}
