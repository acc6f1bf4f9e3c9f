/**
 * LocalBus's stand-in for a JetStream stream: a ring of the most recent events plus the
 * duplicate window (ids seen in the last `duplicateWindowMs`, kept independently of the
 * ring, as JetStream does). Ids expire in insertion order, so pruning pops from the front
 * of a Map.
 */

export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: ReadonlyMap<string, string>;
  readonly msgId: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

export interface LocalEventLogOptions {
  capacity: number;
  duplicateWindowMs: number;
  now: () => number;
}

export class LocalEventLog {
  private readonly ring: Array<StoredEvent | undefined>;
  private readonly seen = new Map<string, number>();
  private lastSeq = 0;
  private readonly options: LocalEventLogOptions;

  constructor(options: LocalEventLogOptions) {
    if (!(options.capacity >= 1)) throw new RangeError('event log capacity must be at least 1');
    this.options = options;
    this.ring = new Array<StoredEvent | undefined>(options.capacity);
  }

  /** Sequence number of the newest event (0 when empty). */
  get seq(): number {
    return this.lastSeq;
  }

  /** Stores the event; returns undefined when `msgId` is a duplicate inside the window. */
  append(subject: string, data: Uint8Array, headers: ReadonlyMap<string, string>, msgId: string): StoredEvent | undefined {
    const time = this.options.now();
    this.pruneSeen(time);
    if (this.seen.has(msgId)) return undefined;
    this.seen.set(msgId, time + this.options.duplicateWindowMs);
    const event: StoredEvent = { seq: ++this.lastSeq, subject, data, headers, msgId, time };
    this.ring[event.seq % this.ring.length] = event;
    return event;
  }

  /** Events with a sequence number above `afterSeq` still in the ring, oldest first. */
  since(afterSeq = 0): StoredEvent[] {
    const oldest = Math.max(afterSeq + 1, this.lastSeq - this.ring.length + 1, 1);
    const out: StoredEvent[] = [];
    for (let seq = oldest; seq <= this.lastSeq; seq++) {
      const event = this.ring[seq % this.ring.length];
      if (event !== undefined) out.push(event);
    }
    return out;
  }

  private pruneSeen(now: number): void {
    for (const [id, expiresAt] of this.seen) {
      if (expiresAt > now) return;
      this.seen.delete(id);
    }
  }
}
