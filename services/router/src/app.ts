/**
 * Builds a running router: loads the routes file, serves its policies on the bus, reloads on
 * request keeping the old policies when the new file is wrong.
 */
import { trace } from '@opentelemetry/api';
import { createValidators } from '@sipmesh/contracts';
import { declareMetrics, MemoryCallProfiles, RedisCallProfiles, type Bus, type CallProfiles, type Logger } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import { loadRoutesFile } from './policy/static/load-routes-file.js';
import type { Dispatcher } from './policy/dispatcher/dispatcher.js';
import { DispatcherProber } from './service/dispatcher-prober.js';
import { serveAdminOnBus } from './service/admin-bus.js';
import { CallLoadFeed } from './service/call-load-feed.js';
import { DispatcherStateFollower } from './service/dispatcher-state-follower.js';
import { migrate } from './data/migrations.js';
import { PgTableReader } from './data/pg-table-reader.js';
import { ReloadNotifier } from './data/reload-notifier.js';
import { RouteService } from './service/route-service.js';
import { RegistrarClient } from './service/registrar-client.js';
import type { CallLimitStore } from './policy/call-limit/call-limit.js';
import { routerConfigSchema, type RouterConfig } from './config/router-config.js';

export interface RouterAppOptions {
  /** Router instance id (event ids, probe ids). */
  id?: string;
  routesFile: string;
  validateRequests: boolean;
  /** Routing data in PostgreSQL (Kamailio tables); absent or empty url: files only. */
  database?: { url: string; migrate: boolean; notifyChannel: string };
  /** Where rules with a call `limit` count calls; default: in this process, calls count 43200 s at most. */
  calls?: RouterConfig['calls'];
  bus: Bus;
  logger: Logger;
  registry: Registry;
  tracing: boolean;
}

export interface RouterApp {
  readonly service: RouteService;
  /** Loads the routes file again; on any error the running policies stay. */
  reload(): Promise<{ ok: true; policies: string[] } | { ok: false; errors: string[] }>;
  /** The dispatcher of the routes file now serving (dispatcher.list, set_state). */
  dispatcher(): Dispatcher;
  /** Data the loaded steps exposed for admin commands: kind → key → data. */
  exposed(): ReadonlyMap<string, ReadonlyMap<string, unknown>>;
  /** Keepalive probing of the dispatcher destinations (one round on demand, for admin and tests). */
  readonly prober: DispatcherProber;
  /**
   * The calls counted by rules with a `limit` (dlg.profile_* commands). Whoever consumes the edge's
   * dialog.ended events removes ended calls from the same store (in embedded mode, this one).
   */
  readonly calls: CallProfiles;
  stop(): Promise<void>;
}

export async function createRouterApp(options: RouterAppOptions): Promise<RouterApp> {
  const { logger } = options;
  const validators = createValidators();
  const metrics = declareMetrics(options.registry, {
    sipmesh_router_decisions_total: { type: 'counter', help: 'Route requests answered, by policy and outcome', labelNames: ['policy', 'outcome'] },
    sipmesh_router_reloads_total: { type: 'counter', help: 'Routes file loads, by result', labelNames: ['result'] },
    sipmesh_router_decision_seconds: {
      type: 'histogram',
      help: 'Time a policy takes to decide one route request (in the router, bus and JSON excluded)',
      labelNames: ['policy'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    },
    sipmesh_router_shadow_total: { type: 'counter', help: 'Shadow policy evaluations, by whether they agreed with the acting policy', labelNames: ['policy', 'shadow', 'result'] },
    sipmesh_router_probes_total: { type: 'counter', help: 'Dispatcher keepalives, by outcome (up, down, unavailable: no edge could send it)', labelNames: ['outcome'] },
    sipmesh_router_destination_transitions_total: { type: 'counter', help: 'Dispatcher destinations going down or coming back up', labelNames: ['direction'] },
    sipmesh_router_destination_states_followed_total: { type: 'counter', help: 'Dispatcher destination states taken over from another router\'s keepalives' },
    sipmesh_router_call_limit_total: { type: 'counter', help: 'Initial INVITEs checked against call limits, by outcome (added, refused: 503, error: store failed, 500)', labelNames: ['outcome'] },
  });
  // Call profiles first: a Redis that is unreachable stops the start before anything else runs.
  const callsConfig = options.calls;
  const callProfiles: CallProfiles =
    callsConfig?.store === 'redis'
      ? await RedisCallProfiles.connect({
          url: callsConfig.redisUrl,
          keyPrefix: callsConfig.keyPrefix,
          timeoutMs: callsConfig.timeoutMs,
          connectionName: `sipmesh-router-${options.id ?? 'router1'}`,
          onConnectionError: (e) => logger.warn({ err: e.message }, 'call profiles: redis connection error'),
        })
      : new MemoryCallProfiles();
  const prober = new DispatcherProber(
    options.bus,
    options.id ?? 'router1',
    validators,
    {
      probe: (outcome) => metrics.sipmesh_router_probes_total.inc({ outcome }),
      transition: (direction) => metrics.sipmesh_router_destination_transitions_total.inc({ direction }),
    },
    logger,
  );
  let current: Dispatcher | undefined;
  const callLoad = new CallLoadFeed(options.bus, () => current, logger);
  callLoad.start();
  const follower = new DispatcherStateFollower(options.bus, options.id ?? 'router1', validators, () => current, logger, () => metrics.sipmesh_router_destination_states_followed_total.inc());
  follower.start();
  let exposed: ReadonlyMap<string, ReadonlyMap<string, unknown>> = new Map();
  const service = new RouteService(
    options.bus,
    validators,
    {
      decided: (policy, outcome) => metrics.sipmesh_router_decisions_total.inc({ policy, outcome }),
      decisionTime: (policy, seconds) => metrics.sipmesh_router_decision_seconds.observe({ policy }, seconds),
      shadowed: (policy, shadow, result) => metrics.sipmesh_router_shadow_total.inc({ policy, shadow, result }),
    },
    logger,
    options.tracing ? trace.getTracer('sipmesh-router') : undefined,
    options.validateRequests,
  );
  const registrar = new RegistrarClient({ bus: options.bus, validators, routerId: options.id ?? 'router1' });
  const calls: CallLimitStore = {
    profiles: callProfiles,
    ttlMs: (options.calls?.maxDurationS ?? routerConfigSchema.properties.calls.properties.maxDurationS.default) * 1000,
    events: {
      added: (p, dialogId, entries) => {
        metrics.sipmesh_router_call_limit_total.inc({ outcome: 'added' });
        logger.debug({ callId: p.call_id, tx: p.tx, dialogId, profiles: entries.map((e) => `${e.profile}=${e.value}`) }, 'call counted');
      },
      refused: (p, full) => {
        metrics.sipmesh_router_call_limit_total.inc({ outcome: 'refused' });
        logger.info({ callId: p.call_id, tx: p.tx, profile: full.profile, value: full.value, size: full.size }, 'call limit reached');
      },
      failed: (p, err) => {
        metrics.sipmesh_router_call_limit_total.inc({ outcome: 'error' });
        logger.error({ callId: p.call_id, tx: p.tx, err }, 'call profile store failed');
      },
    },
  };
  const database = options.database?.url ? options.database : undefined;
  let reader: PgTableReader | undefined;
  if (database) {
    reader = PgTableReader.connect(database.url);
    if (database.migrate) {
      const m = await migrate(reader.db);
      if (m.applied.length > 0) logger.info({ applied: m.applied }, 'database migrated');
    }
  }
  const load = async (): Promise<{ ok: true; policies: string[] } | { ok: false; errors: string[] }> => {
    const loaded = await loadRoutesFile(options.routesFile, validators, reader ? { db: reader, registrar, calls } : { registrar, calls });
    if (!loaded.ok) {
      metrics.sipmesh_router_reloads_total.inc({ result: 'error' });
      logger.error({ file: options.routesFile, errors: loaded.errors }, 'routes file rejected; keeping the running policies');
      return loaded;
    }
    service.setPolicies(loaded.policies, loaded.shadows);
    current = loaded.dispatcher;
    exposed = loaded.exposed;
    prober.use(loaded.dispatcher, loaded.probing);
    metrics.sipmesh_router_reloads_total.inc({ result: 'ok' });
    logger.info({ file: options.routesFile, policies: [...loaded.policies.keys()], dispatcherSets: loaded.sets.size }, 'routes loaded');
    return { ok: true, policies: [...loaded.policies.keys()] };
  };
  // One load at a time: builds run in slices (a reload yields to route requests), so two loads at
  // once could finish out of order and leave the older data serving. A reload asked for while one
  // runs starts after it (it must see data at least as new as the request); askers meanwhile share it.
  type LoadResult = Awaited<ReturnType<typeof load>>;
  let running: Promise<LoadResult> | undefined;
  let queued: Promise<LoadResult> | undefined;
  const reload = (): Promise<LoadResult> => {
    if (!running) {
      running = load().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };
  const first = await reload();
  if (!first.ok) {
    callLoad.stop();
    follower.stop();
    await reader?.close();
    await callProfiles.close();
    throw new Error(`routes file ${options.routesFile}:\n  ${first.errors.join('\n  ')}`);
  }
  const notifier = database
    ? new ReloadNotifier({
        url: database.url,
        channel: database.notifyChannel,
        onNotify: () => {
          logger.info({ channel: database.notifyChannel }, 'routing data changed; reloading');
          void reload();
        },
        onError: (e) => logger.warn({ err: e, channel: database.notifyChannel }, 'routing data change notifications lost; retrying (loaded data keeps serving)'),
      })
    : undefined;
  await notifier?.start();
  const app: RouterApp = {
    service,
    reload,
    prober,
    dispatcher: () => current as Dispatcher,
    exposed: () => exposed,
    calls: callProfiles,
    stop: async () => {
      stopAdminBus();
      callLoad.stop();
      follower.stop();
      prober.stop();
      service.stop();
      await notifier?.stop();
      await reader?.close();
      await callProfiles.close();
    },
  };
  const stopAdminBus = serveAdminOnBus(options.bus, options.id ?? 'router1', app);
  return app;
}
