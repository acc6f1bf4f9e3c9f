/**
 * Builds a running edge from a validated config: transports, transaction layer, proxy core,
 * route client and events over the given bus. `main.ts` (one process) and the embedded launcher
 * (edge and router in one process) both use it.
 */
import { trace } from '@opentelemetry/api';
import { createValidators, EVENTS_STREAM, subjects, type EventPublisher } from '@sipmesh/contracts';
import { logEvent, type Bus, type Logger } from '@sipmesh/runtime';
import { edgeLogEvents, type EdgeLogEventName } from './log-events.js';
import type { Registry } from 'prom-client';
import { RouteClient } from './bus/route-client.js';
import { RegisterChallenger } from './bus/register-challenge.js';
import { EdgeRpc } from './bus/edge-rpc.js';
import { PolicySelector } from './bus/policy-selector.js';
import { OptionsProber } from './probe/options-probe.js';
import { TransactionEvents } from './bus/transaction-events.js';
import { SpoolingPublisher, spoolDirFor } from './bus/event-spool.js';
import { DialogEvents } from './bus/dialog-events.js';
import { DialogTracker } from './dialogs/dialog-tracker.js';
import { EdgeRequester } from './uac/edge-request.js';
import { BusMediaClient } from './bus/media-bus-client.js';
import { EdgeMedia } from './media/edge-media.js';
import { MediaSessions } from './media/media-sessions.js';
import { RequestSender } from './uac/request-sender.js';
import type { EdgeConfig } from './config/edge-config.js';
import { createEdgeMetrics, type EdgeMetrics } from './metrics.js';
import { EdgeCore } from './proxy/edge-core.js';
import { NextHopResolver } from './proxy/next-hop.js';
import { OurAddresses } from './proxy/our-addresses.js';
import type { StartedCall, TransportSet } from './proxy/proxy-context.js';
import { deriveTransactionTimers, HashedTimerWheel, systemClock, TransactionTable } from './transaction/index.js';
import { TcpTransport } from './transport/tcp-transport.js';
import type { InboundMessage, Listener, SendResult, TransportAddress, TransportProtocol } from './transport/transport.js';
import { UdpTransport } from './transport/udp-transport.js';

export interface EdgeAppOptions {
  config: EdgeConfig;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  /** Spans are made only when tracing is on. */
  tracing: boolean;
}

export interface EdgeApp {
  readonly listeners: readonly Listener[];
  readonly core: EdgeCore;
  readonly metrics: EdgeMetrics;
  /** What every event producer publishes through: the disk spool over NATS (events.spool), else the bus. */
  readonly eventPublisher: EventPublisher;
  /** True while the bus is connected (readiness). */
  ready(): { ready: boolean; reasons: string[] };
  stop(): Promise<void>;
}

export async function createEdgeApp(options: EdgeAppOptions): Promise<EdgeApp> {
  const { config, bus, logger } = options;
  const metrics = createEdgeMetrics(options.registry);
  const profiles = deriveTransactionTimers({ t1Ms: config.timers.t1Ms, t2Ms: config.timers.t2Ms, t4Ms: config.timers.t4Ms, timerCMs: 181_000 /* profile default; every INVITE branch sets its own Timer C (frInvTimerMs) */, timerDMs: 32_000 });
  if (!profiles.ok) throw new Error(`edge timers: ${profiles.error.message}`);
  if (config.route.deadlineMs >= config.timers.frTimerMs) throw new Error(`route.deadlineMs (${config.route.deadlineMs}) must be below timers.frTimerMs (${config.timers.frTimerMs})`);
  // The offer is made before any branch starts: waiting longer than fr_timer would outlive the caller's patience.
  if (config.media.enabled && config.media.timeoutMs >= config.timers.frTimerMs) throw new Error(`media.timeoutMs (${config.media.timeoutMs}) must be below timers.frTimerMs (${config.timers.frTimerMs})`);
  const log = (event: EdgeLogEventName, fields: Record<string, unknown>): void => logEvent(logger, edgeLogEvents[event], fields);
  const wheel = new HashedTimerWheel({ clock: systemClock, onError: (e) => log('timer_failed', { err: e }) });
  const table = new TransactionTable({ maxTransactions: config.transactions.maxActive });

  // Transports deliver into the core, which needs the transports: bound once the core exists.
  const bound: { core: EdgeCore | undefined; uac: RequestSender | undefined } = { core: undefined, uac: undefined };
  const events = {
    message: (m: InboundMessage) => bound.core?.onInbound(m),
    framingError: (source: TransportAddress, code: string, detail: string) => log('stream_framing_error', { source, code, detail }),
    sendError: (dest: TransportAddress, detail: string) => {
      log('stream_send_failed', { dest, detail });
      bound.core?.transportFailed(dest);
      bound.uac?.transportFailed(dest);
    },
  };
  const udpListen = config.listen.filter((l) => l.transport === 'udp');
  const tcpListen = config.listen.filter((l) => l.transport === 'tcp');
  const udp = udpListen.length > 0 ? await UdpTransport.bind(udpListen.map((l) => ({ ip: l.ip, port: l.port, advertise: l.advertise, name: l.name, recvBufferBytes: config.udp.recvBufferBytes })), events) : undefined;
  let tcp: TcpTransport | undefined;
  try {
    tcp = tcpListen.length > 0 ? await TcpTransport.bind(tcpListen.map((l) => ({ ip: l.ip, port: l.port, advertise: l.advertise, name: l.name })), { ...config.tcp, maxMessageBytes: config.sip.maxMessageBytes, maxHeaderBytes: config.sip.maxHeaderBytes }, events) : undefined;
  } catch (e) {
    await udp?.close();
    throw e;
  }
  const listeners = [...(udp?.listeners ?? []), ...(tcp?.listeners ?? [])];
  const transports: TransportSet = {
    send(dest: TransportAddress, data: Buffer, connectionId?: number): SendResult {
      if (dest.transport === 'udp' && udp) return udp.send(dest, data);
      if (dest.transport === 'tcp' && tcp) return tcp.send(dest, data, connectionId);
      return { ok: false, code: 'EDGE_ERR_SEND_FAILED', detail: `no ${dest.transport} transport` };
    },
    listenerFor(protocol: TransportProtocol): Listener | undefined {
      return listeners.find((l) => l.transport === protocol);
    },
    keepOpen(connectionId: number, forMs: number): boolean {
      return tcp?.keepOpen(connectionId, forMs) ?? false;
    },
  };

  const validators = createValidators();
  const router = new RouteClient(bus, config.id, validators, metrics, log);
  router.start();
  const challenge = config.registrar.challenge;
  if (challenge.enabled && challenge.secret === '') throw new Error("registrar.challenge.enabled needs registrar.challenge.secret: the registrars' auth.secret, or their nonces and the edge's would not match");
  const asker = challenge.enabled ? new RegisterChallenger(router, { ...challenge, opaque: '' }, metrics) : router;
  const resolver = new NextHopResolver(new Set(listeners.map((l) => l.transport)));
  // One spool for every event producer, so their messages keep one order through an outage. The
  // in-process bus never fails a publish: no spool there.
  const spool =
    config.events.enabled && config.events.spool.enabled && bus.kind === 'nats'
      ? await SpoolingPublisher.open(bus, { dir: spoolDirFor(config.events.spool.dir, config.id), maxBytes: config.events.spool.maxBytes, counters: metrics, log })
      : undefined;
  const eventPublisher: EventPublisher = spool ?? bus;
  const txEvents = config.events.enabled ? new TransactionEvents(eventPublisher, config.id, metrics, log, config.events.batch, Date.now, config.events.registrarTransactions) : undefined;
  const dialogEvents = config.events.enabled && config.dialogs.enabled ? new DialogEvents(eventPublisher, config.id, metrics, log, config.events.batch) : undefined;
  const media = config.media.enabled
    ? new EdgeMedia({
        client: new BusMediaClient(bus, validators, { edgeId: config.id, timeoutMs: config.media.timeoutMs }, metrics),
        // An anchored call the edge never sees end is forgotten a little after the longest call.
        sessions: new MediaSessions(config.dialogs.maxDurationS * 1000 + 3_600_000, Date.now),
        onUnavailable: config.media.onUnavailable,
        counters: metrics,
        log,
      })
    : undefined;
  const calls = dialogEvents
    ? new DialogTracker({
        edgeId: config.id,
        maxDurationMs: config.dialogs.maxDurationS * 1000,
        now: Date.now,
        sink: dialogEvents,
        ...(media ? { onTimeout: (c: { dialogId: string; callId: string; fromTag: string }) => media.timedOut(c.callId, c.fromTag, c.dialogId) } : {}),
      })
    : undefined;
  if (txEvents && bus.kind === 'nats') {
    await bus.ensureStream(EVENTS_STREAM, [subjects.events.all], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 });
  }

  const policies = new PolicySelector(config.route.policy, {
    rejected: (key, value, reason) => log('setting_rejected', { key, value, reason }),
    canary: () => metrics.inc('route_canary'),
  });
  let stopWatch: (() => void) | undefined;
  if (config.route.settingsBucket !== '') {
    try {
      const bucket = await bus.settings(config.route.settingsBucket);
      stopWatch = await bucket.watch((key, value) => {
        policies.apply(key, value);
        if (key.startsWith('policy.') || key.startsWith('canary.')) log('setting_changed', { key, value: value ?? null });
      });
    } catch (e) {
      // No live settings (a NATS server without JetStream): route.policy serves.
      log('settings_unavailable', { bucket: config.route.settingsBucket, error: (e as Error).message });
    }
  }

  const core = new EdgeCore({
    policies,
    config,
    wheel,
    timers: profiles.value,
    table,
    ours: new OurAddresses(listeners, config.domains),
    resolver,
    transports,
    router: asker,
    counters: metrics,
    tracer: options.tracing ? trace.getTracer('sipmesh-edge') : undefined,
    now: Date.now,
    onCompleted: (tx, req, inbound) => {
      txEvents?.completed(tx, req, inbound);
      calls?.completed(tx);
    },
    ...(calls ? { onCallStarted: (call: StartedCall) => calls.started(call) } : {}),
    ...(media ? { media } : {}),
    log,
  });
  bound.core = core;
  if (calls && dialogEvents) {
    calls.start();
    dialogEvents.announceStart();
  }
  const uac = new RequestSender({ wheel, timers: profiles.value, table, resolver, transports, now: Date.now });
  bound.uac = uac;
  const rpc = new EdgeRpc(bus, config.id, validators, new OptionsProber(config.id, uac, (dest) => tcp?.ping(dest) ?? false), new EdgeRequester(config.id, uac));
  rpc.start();

  metrics.readGaugesFrom({
    sipmesh_edge_transactions_live: () => table.size,
    sipmesh_edge_suspended: () => router.suspendedCount,
    sipmesh_edge_tcp_connections: () => tcp?.connectionCount ?? 0,
    sipmesh_edge_calls_open: () => calls?.size ?? 0,
    sipmesh_edge_event_spool_bytes: () => spool?.pendingBytes ?? 0,
    sipmesh_edge_event_spool_messages: () => spool?.pendingMessages ?? 0,
  });

  for (const l of listeners) {
    log('listening', { transport: l.transport, ip: l.ip, port: l.port, advertise: `${l.advertiseHost}:${l.advertisePort}` });
  }
  for (const { listener, bytes } of udp?.receiveBufferBytes() ?? []) {
    // The kernel caps SO_RCVBUF at net.core.rmem_max without an error; a small buffer turns short
    // event-loop pauses into dropped datagrams (and retransmissions) under load.
    if (config.udp.recvBufferBytes > 0 && bytes < config.udp.recvBufferBytes) {
      log('udp_buffer_small', { ip: listener.ip, port: listener.port, requested: config.udp.recvBufferBytes, granted: bytes });
    }
  }
  return {
    listeners,
    core,
    metrics,
    eventPublisher,
    ready: () => (bus.status === 'connected' ? { ready: true, reasons: [] } : { ready: false, reasons: [`bus ${bus.status}`] }),
    async stop() {
      stopWatch?.();
      router.stop();
      rpc.stop();
      await udp?.close();
      await tcp?.close();
      wheel.close();
      // calls still open end now (hangup edge-stopped); what gathered so far leaves before the bus drains
      calls?.stop();
      txEvents?.flush();
      dialogEvents?.flush();
      // after the batchers' last messages: what the stream has not acknowledged stays on disk for the next start
      await spool?.stop();
    },
  };
}
