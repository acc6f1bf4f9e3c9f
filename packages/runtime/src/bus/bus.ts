/**
 * The bus every service talks through. Two implementations share this contract: `NatsBus`
 * (distributed mode) and `LocalBus` (embedded mode, one process). Code above the bus never
 * knows which one it has, so the contract is written in NATS terms and LocalBus reproduces
 * them: subjects with `*` and `>` wildcards, queue groups, no-responders status messages,
 * asynchronous delivery, drain.
 */

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Message headers; `undefined` when the publisher sent none (a status message has an empty map). */
  readonly headers: ReadonlyMap<string, string> | undefined;
  readonly reply: string | undefined;
  /**
   * True for the NATS "503 no responders" status message: the server (or LocalBus) sends it
   * to the reply subject of a message published to a subject nobody subscribes to.
   */
  readonly noResponders: boolean;
  /** Parses `data` as UTF-8 JSON; throws on malformed input. */
  json<T>(): T;
  /** Publishes to `reply`; returns false when the message has no reply subject. */
  respond(data: Uint8Array, opts?: RespondOptions): boolean;
}

export interface RespondOptions {
  headers?: Record<string, string>;
}

export interface PublishOptions {
  reply?: string;
  headers?: Record<string, string>;
}

export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
}

export interface RequestOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
}

export interface PublishEventOptions {
  /** Deduplication id: a second event with the same id inside the duplicate window is dropped. */
  msgId: string;
  headers?: Record<string, string>;
}

export interface EnsureStreamOptions {
  /** Oldest message age kept; 0 or absent keeps messages until another limit applies. */
  maxAgeMs?: number;
  /** Total stream size kept; absent means unlimited. */
  maxBytes?: number;
  /** Window inside which a repeated `msgId` is a duplicate. NATS default: 2 minutes. */
  duplicateWindowMs?: number;
}

import type { SettingsBucket } from './settings-bucket.js';

/**
 * A handler may return a promise: `drain()` waits for it before closing, so a handler that
 * answers asynchronously still gets its reply out during a graceful shutdown. Any other
 * return value is ignored.
 */
export type BusHandler = (msg: BusMessage) => unknown;

export interface BusSubscription {
  readonly subject: string;
  readonly queue: string | undefined;
  /** Stops delivery at once; messages already queued for this subscription are dropped. */
  unsubscribe(): void;
}

export const BusStatus = {
  connected: 'connected',
  reconnecting: 'reconnecting',
  closed: 'closed',
} as const;
export type BusStatus = (typeof BusStatus)[keyof typeof BusStatus];

export type BusKind = 'nats' | 'local';

export interface Bus {
  readonly kind: BusKind;
  readonly status: BusStatus;
  /** Throws `BusError` (invalid subject, payload too large, closed, reconnect buffer full). */
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): void;
  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): BusSubscription;
  /**
   * Rejects with `BusError` code `BUS_NO_RESPONDERS` as soon as the no-responders status
   * arrives (nobody subscribes to `subject`), `BUS_TIMEOUT` after `timeoutMs`.
   */
  request(subject: string, data: Uint8Array, opts: RequestOptions): Promise<BusMessage>;
  /** Durable publish (JetStream; LocalBus keeps a bounded in-memory log), deduplicated by `msgId`. */
  publishEvent(subject: string, data: Uint8Array, opts: PublishEventOptions): Promise<void>;
  /** Creates the stream or updates its subjects and limits; LocalBus: no-op. */
  ensureStream(name: string, subjects: readonly string[], opts?: EnsureStreamOptions): Promise<void>;
  /** Resolves when everything published so far has been handed over (NATS: server round trip). */
  flush(): Promise<void>;
  /**
   * Graceful close, as NATS drain: stop receiving, deliver what was already received, wait
   * for handlers still running, flush, close.
   */
  drain(): Promise<void>;
  /** Immediate close: pending requests reject with `BUS_CLOSED`. */
  close(): Promise<void>;
  /** Registers a status listener; returns a function that removes it. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  /** The live settings bucket `name` (NATS KV, created when missing; LocalBus: in memory, one per name). */
  settings(name: string): Promise<SettingsBucket>;
}
