import type { Msg } from '@nats-io/transport-node';
import type { BusMessage, PublishOptions, RespondOptions } from './bus.js';
import { parseJsonPayload } from './json-payload.js';

/** NATS status code the server uses for "no responders". */
const NO_RESPONDERS_STATUS = 503;

export interface NatsResponder {
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): void;
}

/**
 * A view over a NATS message. Everything is read on access: headers are converted to a Map
 * only when asked for, and the client itself decodes reply and headers lazily.
 * Multi-valued NATS headers show their first value.
 */
export class NatsBusMessage implements BusMessage {
  private headerMap: ReadonlyMap<string, string> | undefined | null = null;

  constructor(
    private readonly msg: Msg,
    private readonly bus: NatsResponder,
  ) {}

  get subject(): string {
    return this.msg.subject;
  }

  get data(): Uint8Array {
    return this.msg.data;
  }

  get reply(): string | undefined {
    const reply = this.msg.reply;
    return reply === undefined || reply === '' ? undefined : reply;
  }

  get noResponders(): boolean {
    return this.msg.data.length === 0 && this.msg.headers?.code === NO_RESPONDERS_STATUS;
  }

  get headers(): ReadonlyMap<string, string> | undefined {
    if (this.headerMap === null) {
      const source = this.msg.headers;
      if (source === undefined) {
        this.headerMap = undefined;
      } else {
        const map = new Map<string, string>();
        for (const [key, values] of source) {
          const first = values[0];
          if (first !== undefined) map.set(key, first);
        }
        this.headerMap = map;
      }
    }
    return this.headerMap;
  }

  json<T>(): T {
    return parseJsonPayload<T>(this.msg.data);
  }

  respond(data: Uint8Array, opts?: RespondOptions): boolean {
    const reply = this.reply;
    if (reply === undefined) return false;
    this.bus.publish(reply, data, opts);
    return true;
  }
}
