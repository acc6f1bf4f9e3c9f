/**
 * Publishes made while NatsBus is reconnecting. The NATS v3 client resets its outbound
 * buffer on every dial attempt, so anything published while disconnected would be lost;
 * NatsBus keeps those messages here, bounded in bytes like the Go client's reconnect
 * buffer, and replays them in order once the connection is back.
 */
import type { MsgHdrs } from '@nats-io/transport-node';

export interface BufferedPublish {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly headers: MsgHdrs | undefined;
}

export class ReconnectBuffer {
  private entries: BufferedPublish[] = [];
  private bytes = 0;

  constructor(private readonly limitBytes: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** Returns false when the message does not fit. */
  push(entry: BufferedPublish): boolean {
    const cost = entry.data.byteLength + entry.subject.length;
    if (this.bytes + cost > this.limitBytes) return false;
    this.entries.push(entry);
    this.bytes += cost;
    return true;
  }

  /** Removes and returns everything buffered, oldest first. */
  take(): BufferedPublish[] {
    const out = this.entries;
    this.entries = [];
    this.bytes = 0;
    return out;
  }
}
