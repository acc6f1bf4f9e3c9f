/**
 * The event spool's directory: numbered segment files (`0000000000000001.seg`, ...) of records in
 * the format of event-spool-record.ts. One segment at a time is appended to; a segment is closed
 * when it reaches segmentBytes or when the replay needs it, and deleted whole once replayed.
 * Appends and closes run one after another, never overlapping; every append is fdatasync'ed. Only
 * fs/promises: nothing here blocks the event loop.
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { EdgeLogEventName } from '../log-events.js';
import { parseSpoolSegment, type SpoolRecord } from './event-spool-record.js';

export interface SpoolSegment {
  readonly file: string;
  /** Size of the file. */
  readonly bytes: number;
  /** Whole records in it. */
  readonly messages: number;
}

interface OpenSegment {
  readonly file: string;
  bytes: number;
  messages: number;
}

const SEGMENT_NAME = /^(\d{16})\.seg$/;
const segmentName = (seq: number): string => `${String(seq).padStart(16, '0')}.seg`;

export class SpoolFiles {
  private readonly closedSegments: SpoolSegment[] = [];
  private active: { segment: OpenSegment; handle: FileHandle } | undefined;
  private tail: Promise<void> = Promise.resolve();
  private bytes = 0;

  /** Creates the directory when missing and picks up the segments an earlier run left in it. */
  static async open(dir: string, segmentBytes: number, log?: (event: EdgeLogEventName, fields: Record<string, unknown>) => void): Promise<SpoolFiles> {
    await mkdir(dir, { recursive: true });
    const restored: SpoolSegment[] = [];
    let lastSeq = 0;
    for (const name of (await readdir(dir)).sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (match === null) continue;
      lastSeq = Number(match[1]);
      const file = path.join(dir, name);
      const content = await readFile(file);
      const { records, validBytes } = parseSpoolSegment(content);
      if (validBytes < content.length) log?.('event_spool_torn', { file, validBytes, discardedBytes: content.length - validBytes });
      if (records.length === 0) await unlink(file);
      else restored.push({ file, bytes: content.length, messages: records.length });
    }
    return new SpoolFiles(dir, segmentBytes, lastSeq + 1, restored);
  }

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private nextSeq: number,
    restored: readonly SpoolSegment[],
  ) {
    for (const segment of restored) {
      this.closedSegments.push(segment);
      this.bytes += segment.bytes;
    }
  }

  /** Bytes of every segment file. */
  get diskBytes(): number {
    return this.bytes;
  }

  /** Closed segments, oldest first. */
  get closed(): readonly SpoolSegment[] {
    return this.closedSegments;
  }

  /** True while a segment is open for appending. */
  get writing(): boolean {
    return this.active !== undefined;
  }

  /**
   * Appends `messages` encoded records to the open segment (a new one once it holds segmentBytes)
   * and syncs them to disk. On failure the segment is closed, so that whatever part of the write
   * reached it is the torn tail of its last record, and the error is thrown.
   */
  append(records: Buffer, messages: number): Promise<void> {
    return this.serial(async () => {
      try {
        const { segment, handle } = await this.openSegment();
        await handle.appendFile(records);
        await handle.datasync();
        segment.bytes += records.length;
        segment.messages += messages;
        this.bytes += records.length;
      } catch (e) {
        await this.closeNow();
        throw e;
      }
    });
  }

  /** Closes the open segment: it joins the closed ones (or is deleted when it holds nothing). */
  closeActive(): Promise<void> {
    return this.serial(() => this.closeNow());
  }

  /** The records of a closed segment, up to a torn tail. */
  async read(segment: SpoolSegment): Promise<SpoolRecord[]> {
    return parseSpoolSegment(await readFile(segment.file)).records;
  }

  /** Stops counting a closed segment and deletes its file. */
  async delete(segment: SpoolSegment): Promise<void> {
    this.forget(segment);
    await unlink(segment.file);
  }

  /** Stops counting a closed segment and leaves its file (a later start finds it again). */
  forget(segment: SpoolSegment): void {
    const i = this.closedSegments.indexOf(segment);
    if (i < 0) return;
    this.closedSegments.splice(i, 1);
    this.bytes -= segment.bytes;
  }

  private serial(op: () => Promise<void>): Promise<void> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async openSegment(): Promise<{ segment: OpenSegment; handle: FileHandle }> {
    if (this.active !== undefined && this.active.segment.bytes >= this.segmentBytes) await this.closeNow();
    if (this.active === undefined) {
      const file = path.join(this.dir, segmentName(this.nextSeq++));
      this.active = { segment: { file, bytes: 0, messages: 0 }, handle: await open(file, 'a') };
      await syncDirectory(this.dir);
    }
    return this.active;
  }

  private async closeNow(): Promise<void> {
    const active = this.active;
    if (active === undefined) return;
    this.active = undefined;
    const { segment } = active;
    if (segment.messages > 0) this.closedSegments.push(segment);
    await active.handle.close().catch(() => undefined);
    if (segment.messages === 0) await unlink(segment.file).catch(() => undefined);
  }
}

/** Makes a new file's directory entry durable; best effort, as not every platform can sync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // the file's own data is synced on every append all the same
  }
}
