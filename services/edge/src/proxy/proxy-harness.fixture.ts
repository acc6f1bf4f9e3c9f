/**
 * An edge core in a box, for unit tests of the proxy pipeline: the real `EdgeCore`, transaction
 * table and next-hop resolver, on a `ManualTimerWheel` (time moves only when a test says so), with
 * a transport set that records every datagram it is asked to send and a router that captures route
 * requests and answers only when the test tells it to. Messages go in and come out as bytes, so
 * tests assert what a SIP peer would see on the wire.
 */
import { edgeLogEvents } from '../log-events.js';
import type { DialogEvent, RouteAnswer, RouteParams } from '@sipmesh/contracts';
import { DialogTracker } from '../dialogs/dialog-tracker.js';
import { EdgeMedia } from '../media/edge-media.js';
import type { MediaClient } from '../media/media-client.js';
import { MediaSessions } from '../media/media-sessions.js';
import { loadConfig } from '@sipmesh/runtime';
import { edgeConfigSchema, type EdgeConfig } from '../config/edge-config.js';
import { deriveTransactionTimers, ManualTimerWheel, TransactionTable } from '../transaction/index.js';
import type { InboundMessage, Listener, SendResult, TransportAddress, TransportProtocol } from '../transport/transport.js';
import { EdgeCore, type EdgeCounter } from './edge-core.js';
import { NextHopResolver, type Resolver } from './next-hop.js';
import { OurAddresses } from './our-addresses.js';
import { REGISTRAR_TARGET, type CompletedTransaction, type RouteAsker, type StartedCall, type Suspended, type TransportSet } from './proxy-context.js';

export const EDGE_IP = '192.0.2.10';
/** The caller: behind NAT, its Via names a private address and the datagrams come from elsewhere. */
export const CALLER: TransportAddress = { transport: 'udp', ip: '198.51.100.7', port: 5062 };
/** Downstream peers (RFC 5737 documentation addresses). */
export const CALLEE_A: TransportAddress = { transport: 'udp', ip: '203.0.113.20', port: 5060 };
export const CALLEE_B: TransportAddress = { transport: 'udp', ip: '203.0.113.21', port: 5060 };

export const UDP_LISTENER: Listener = { transport: 'udp', ip: EDGE_IP, port: 5060, advertiseHost: EDGE_IP, advertisePort: 5060, name: undefined };
export const TCP_LISTENER: Listener = { transport: 'tcp', ip: EDGE_IP, port: 5060, advertiseHost: EDGE_IP, advertisePort: 5060, name: undefined };

/** A SIP message from lines: joined with CRLF, the header block closed by an empty line, then the body. */
export function sip(lines: readonly string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

export interface SentDatagram {
  readonly atMs: number;
  readonly dest: TransportAddress;
  readonly connectionId: number | undefined;
  readonly bytes: Buffer;
  /** The bytes as text (tests only: the wire is UTF-8/ASCII here). */
  readonly text: string;
}

/** First line of a message. */
export function startLine(text: string): string {
  return text.slice(0, text.indexOf('\r\n'));
}

/** Every header line (name: value, as sent) whose name is `name` (case-insensitive), in order. */
export function headerLines(text: string, name: string): string[] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const wanted = name.toLowerCase();
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === wanted);
}

/** The single header line named `name`; throws when there is none or more than one. */
export function headerLine(text: string, name: string): string {
  const lines = headerLines(text, name);
  if (lines.length !== 1) throw new Error(`expected one ${name} line, found ${lines.length} in:\n${text}`);
  return lines[0] as string;
}

/** The body of a message (after the empty line). */
export function bodyOf(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

/** The branch parameter of the top Via of a message. */
export function topBranch(text: string): string {
  const via = headerLines(text, 'via')[0] ?? '';
  const m = /;branch=([^;,\s]+)/.exec(via);
  if (!m?.[1]) throw new Error(`no branch in ${via}`);
  return m[1];
}

export interface RouteAsk {
  readonly tx: Suspended;
  readonly params: RouteParams;
  readonly traceHeaders: Record<string, string> | undefined;
  /** The policy asked (subject sipmesh.route.v1.<policy>), or 'registrar' (sipmesh.registrar.v1.register). */
  readonly policy: string;
}

/** The router side of suspend/continue, driven by the test. */
export class TestRouter implements RouteAsker {
  readonly asks: RouteAsk[] = [];
  readonly forgotten: string[] = [];

  ask(tx: Suspended, params: RouteParams, traceHeaders: Record<string, string> | undefined, policy: string | typeof REGISTRAR_TARGET): void {
    this.asks.push({ tx, params, traceHeaders, policy: policy === REGISTRAR_TARGET ? 'registrar' : policy });
  }

  forget(txId: string): void {
    this.forgotten.push(txId);
  }

  /** The most recent route request. */
  last(): RouteAsk {
    const a = this.asks[this.asks.length - 1];
    if (!a) throw new Error('no route request was made');
    return a;
  }

  /** Answers the most recent route request with an rtjson answer. */
  answer(answer: Omit<RouteAnswer, 'version'> & { version?: string }): void {
    this.last().tx.onAnswer({ version: '1.0', ...answer });
  }
}

/** Records sends; `refuse` makes sends to one address fail as a transport would. */
export class RecordingTransports implements TransportSet {
  readonly sent: SentDatagram[] = [];
  readonly refuse = new Set<string>();

  constructor(
    private readonly listeners: readonly Listener[],
    private readonly now: () => number,
  ) {}

  send(dest: TransportAddress, data: Buffer, connectionId?: number): SendResult {
    if (this.refuse.has(`${dest.transport}:${dest.ip}:${String(dest.port)}`)) return { ok: false, code: 'EDGE_ERR_SEND_FAILED', detail: 'refused by test' };
    // Copied: the core may hand out views of buffers it reuses.
    const bytes = Buffer.from(data);
    this.sent.push({ atMs: this.now(), dest: { ...dest }, connectionId, bytes, text: bytes.toString('utf8') });
    return { ok: true };
  }

  listenerFor(protocol: TransportProtocol): Listener | undefined {
    return this.listeners.find((l) => l.transport === protocol);
  }

  /** Connections asked to stay open, and for how long. */
  readonly keptOpen: { connectionId: number; forMs: number }[] = [];

  keepOpen(connectionId: number, forMs: number): boolean {
    this.keptOpen.push({ connectionId, forMs });
    return true;
  }
}

export interface HarnessOptions {
  /** Dotted config paths, as on the command line (`route.deadlineMs`, `sip.unmatchedCancel`). */
  config?: Record<string, unknown>;
  listeners?: readonly Listener[];
  /** Next-hop resolution; default the real resolver (synchronous for IP literals). */
  resolver?: Resolver;
  /** Track calls (dialog-tracker.ts); their dialog events collect in `dialogEvents`. */
  calls?: boolean;
  /** Media anchoring with this client (a FakeMediaClient), unless config `media.enabled` is false; its mode from `media.onUnavailable`. */
  media?: MediaClient;
  /** What the edge asks through, made around the test router (e.g. a RegisterChallenger); default the test router itself. */
  wrapRouter?: (router: TestRouter, counters: { inc(name: string): void }) => RouteAsker;
}

export interface CompletedRecord {
  readonly tx: CompletedTransaction;
  readonly method: string;
  readonly source: TransportAddress;
}

export class ProxyHarness {
  readonly wheel = new ManualTimerWheel();
  readonly config: EdgeConfig;
  readonly router = new TestRouter();
  readonly transports: RecordingTransports;
  readonly table: TransactionTable;
  readonly core: EdgeCore;
  readonly completed: CompletedRecord[] = [];
  readonly dialogEvents: DialogEvent[] = [];
  readonly calls: DialogTracker | undefined;
  readonly media: EdgeMedia | undefined;
  readonly logs: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  private readonly counterValues = new Map<string, number>();
  private readonly listeners: readonly Listener[];
  private taken = 0;

  constructor(options: HarnessOptions = {}) {
    this.listeners = options.listeners ?? [UDP_LISTENER, TCP_LISTENER];
    // loadConfig validates and fills the schema defaults; the result is deep-frozen and only read.
    this.config = loadConfig<EdgeConfig>({
      schema: edgeConfigSchema,
      env: {},
      overrides: { id: 'edge1', domains: ['example.com'], ...options.config },
    }) as EdgeConfig;
    const t = this.config.timers;
    const profiles = deriveTransactionTimers({ t1Ms: t.t1Ms, t2Ms: t.t2Ms, t4Ms: t.t4Ms, timerCMs: Math.max(t.frInvTimerMs, 181_000), timerDMs: 32_000 });
    if (!profiles.ok) throw new Error(profiles.error.message);
    this.table = new TransactionTable({ maxTransactions: this.config.transactions.maxActive });
    this.transports = new RecordingTransports(this.listeners, () => this.wheel.now());
    const log = (event: Parameters<EdgeCore['log']>[0], fields: Record<string, unknown>): void => {
      this.logs.push({ level: edgeLogEvents[event].level, event, fields });
    };
    const counters = { inc: (name: EdgeCounter, by = 1) => this.counterValues.set(name, (this.counterValues.get(name) ?? 0) + by) };
    const media =
      options.media !== undefined && this.config.media.enabled
        ? new EdgeMedia({ client: options.media, sessions: new MediaSessions(this.config.dialogs.maxDurationS * 1000, () => this.wheel.now()), onUnavailable: this.config.media.onUnavailable, counters, log })
        : undefined;
    this.media = media;
    const calls = options.calls
      ? new DialogTracker({
          edgeId: this.config.id,
          maxDurationMs: this.config.dialogs.maxDurationS * 1000,
          now: () => this.wheel.now(),
          sink: { emit: (e) => this.dialogEvents.push(e) },
          ...(media ? { onTimeout: (c: { dialogId: string; callId: string; fromTag: string }) => media.timedOut(c.callId, c.fromTag, c.dialogId) } : {}),
        })
      : undefined;
    this.calls = calls;
    this.core = new EdgeCore({
      config: this.config,
      wheel: this.wheel,
      timers: profiles.value,
      table: this.table,
      ours: new OurAddresses(this.listeners, this.config.domains),
      resolver: options.resolver ?? new NextHopResolver(new Set(this.listeners.map((l) => l.transport))),
      transports: this.transports,
      router: options.wrapRouter?.(this.router, { inc: (name) => counters.inc(name as EdgeCounter) }) ?? this.router,
      counters,
      tracer: undefined,
      now: () => this.wheel.now(),
      onCompleted: (tx, req, inbound) => {
        this.completed.push({ tx, method: req.method, source: inbound.source });
        calls?.completed(tx);
      },
      ...(calls ? { onCallStarted: (call: StartedCall) => calls.started(call) } : {}),
      ...(media ? { media } : {}),
      log,
    });
  }

  /** Delivers bytes to the edge as if they arrived from `from` on the listener of its transport. */
  receive(data: Buffer, from: TransportAddress = CALLER, connectionId?: number): void {
    const listener = this.listeners.find((l) => l.transport === from.transport);
    if (!listener) throw new Error(`no ${from.transport} listener`);
    const inbound: InboundMessage = { data, source: from, listener, connectionId };
    this.core.onInbound(inbound);
  }

  /** Datagrams sent since the previous `take()`. */
  take(): SentDatagram[] {
    const out = this.transports.sent.slice(this.taken);
    this.taken = this.transports.sent.length;
    return out;
  }

  /** Exactly one datagram sent since the previous `take()`; throws otherwise. */
  takeOne(): SentDatagram {
    const out = this.take();
    if (out.length !== 1) throw new Error(`expected one datagram, got ${out.length}:\n${out.map((d) => `-> ${d.dest.ip}:${d.dest.port}\n${d.text}`).join('\n')}`);
    return out[0] as SentDatagram;
  }

  advance(ms: number): void {
    this.wheel.advance(ms);
  }

  counter(name: EdgeCounter | 'register_challenges_local'): number {
    return this.counterValues.get(name) ?? 0;
  }
}

/** Default route answer of the tests: one route to CALLEE_A. */
export const TO_CALLEE_A = { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] } as const;

/**
 * Receives `request`, answers its route request with `answer` and returns the request the edge
 * forwarded (the 100 Trying and anything else sent before are discarded).
 */
export function relay(h: ProxyHarness, request: Buffer, answer: Omit<RouteAnswer, 'version'> = { routes: [...TO_CALLEE_A.routes] }): SentDatagram {
  h.receive(request);
  h.take();
  h.router.answer(answer);
  return h.takeOne();
}
