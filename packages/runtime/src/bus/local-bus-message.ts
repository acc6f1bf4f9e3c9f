import type { BusMessage, RespondOptions } from './bus.js';
import { parseJsonPayload } from './json-payload.js';

/** What a LocalBus message needs from its bus to answer itself. */
export interface LocalResponder {
  publish(subject: string, data: Uint8Array, opts?: RespondOptions & { reply?: string }): void;
}

/** One object per publish, shared by every subscriber it is delivered to (it is immutable). */
export class LocalBusMessage implements BusMessage {
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: ReadonlyMap<string, string> | undefined,
    readonly reply: string | undefined,
    readonly noResponders: boolean,
    private readonly bus: LocalResponder,
  ) {}

  json<T>(): T {
    return parseJsonPayload<T>(this.data);
  }

  respond(data: Uint8Array, opts?: RespondOptions): boolean {
    if (this.reply === undefined) return false;
    this.bus.publish(this.reply, data, opts);
    return true;
  }
}
