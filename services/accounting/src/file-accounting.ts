/**
 * Accounting in embedded mode (no PostgreSQL): the same records as the accounting service writes,
 * as JSON lines in daily files of a directory — `acc-<date>.jsonl`, `missed_calls-<date>.jsonl`
 * and `cdrs-<date>.jsonl` (UTC dates). A CDR is written when its call ends (the ended event
 * carries everything); calls that end frees their call-limit slots. Events come from the
 * in-process bus in order, so nothing needs merging; writes are appended asynchronously, in order.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createValidators, decodeEvents, subjects } from '@sipmesh/contracts';
import type { Bus, BusSubscription, Logger } from '@sipmesh/runtime';
import { accRows, type AccRow } from './acc-rows.js';
import { cdrPatch, recoveredEnd } from './cdr-rows.js';
import type { CallSlots } from './cdr-sink.js';

type Table = 'acc' | 'missed_calls' | 'cdrs';

export interface FileAccountingOptions {
  /** Directory of the files (created when missing). */
  dir: string;
  bus: Bus;
  logger: Logger;
  /** Where the router counts concurrent calls: ended calls leave it. */
  slots?: CallSlots;
}

export class FileAccounting {
  private readonly subs: BusSubscription[] = [];
  private readonly files = new Map<string, WriteStream>();
  private readonly validators = createValidators();
  private written = { acc: 0, missed_calls: 0, cdrs: 0 };

  constructor(private readonly options: FileAccountingOptions) {}

  start(): void {
    mkdirSync(this.options.dir, { recursive: true });
    const { bus } = this.options;
    this.subs.push(bus.subscribe(subjects.events.transactionCompleted, (m) => this.onTransactions(m.data)));
    this.subs.push(bus.subscribe(subjects.events.dialog('ended'), (m) => this.onEnded(m.data)));
  }

  /** Rows written since start, by table. */
  get counts(): Readonly<Record<Table, number>> {
    return this.written;
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    await Promise.all([...this.files.values()].map((f) => new Promise<void>((resolve) => f.end(resolve))));
    this.files.clear();
  }

  private onTransactions(data: Uint8Array): void {
    for (const raw of this.decode(data)) {
      const v = this.validators.transactionCompleted(raw);
      if (!v.ok) continue;
      const rows = accRows(v.value);
      if (rows.acc) this.write('acc', rows.acc.time, accLine(rows.acc));
      if (rows.missed) this.write('missed_calls', rows.missed.time, accLine(rows.missed));
    }
  }

  private onEnded(data: Uint8Array): void {
    const ended: string[] = [];
    for (const raw of this.decode(data)) {
      const v = this.validators.dialog(raw);
      if (!v.ok) {
        this.options.logger.warn({ errors: v.errors }, 'dialog event out of contract; skipped');
        continue;
      }
      const e = v.value;
      ended.push(e.dialog_id);
      const time = new Date(e.ended_at ?? e.time);
      if (e.recovered === true) {
        const r = recoveredEnd(e);
        this.write('cdrs', time, { dialog_id: r.dialog_id, callid: r.callid, edge: r.edge, end_time: r.end_time.toISOString(), bye_code: r.bye_code, recovered: true });
        continue;
      }
      const p = cdrPatch(e);
      this.write('cdrs', time, { ...p, start_time: p.start_time?.toISOString() ?? null, answer_time: p.answer_time?.toISOString() ?? null, end_time: p.end_time?.toISOString() ?? null });
    }
    if (ended.length > 0 && this.options.slots) {
      this.options.slots.remove(ended).catch((e: unknown) => this.options.logger.warn({ err: e }, 'call-limit slots of ended calls not freed'));
    }
  }

  private decode(data: Uint8Array): unknown[] {
    try {
      return decodeEvents(data);
    } catch (e) {
      this.options.logger.warn({ err: e }, 'unreadable event message; skipped');
      return [];
    }
  }

  private write(table: Table, time: Date, row: object): void {
    const name = `${table}-${(Number.isNaN(time.getTime()) ? new Date() : time).toISOString().slice(0, 10)}.jsonl`;
    let file = this.files.get(name);
    if (!file) {
      // Yesterday's files are done: close them when a new day's file opens.
      for (const [n, f] of this.files) {
        if (n.startsWith(`${table}-`)) {
          f.end();
          this.files.delete(n);
        }
      }
      file = createWriteStream(join(this.options.dir, name), { flags: 'a' });
      file.on('error', (e) => this.options.logger.error({ err: e, file: name }, 'accounting file not writable'));
      this.files.set(name, file);
    }
    file.write(`${JSON.stringify(row)}\n`);
    this.written[table]++;
  }
}

function accLine(r: AccRow): object {
  return { ...r, time: r.time.toISOString() };
}
