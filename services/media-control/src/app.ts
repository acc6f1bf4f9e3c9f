/**
 * Builds a running media-control: the ng client, the rtpengine instances with their health
 * checks, the affinity store (memory or Redis), the flag profiles, and the three bus methods
 * the edge asks (`sipmesh.media.v1.offer|answer|delete`, queue group MEDIA_QUEUE), plus the
 * admin commands and the shared enable/disable switches.
 */
import { Redis } from 'ioredis';
import { createValidators, MEDIA_ADMIN_QUEUE, subjects } from '@sipmesh/contracts';
import { declareMetrics, serveAdminCommandsOnBus, type Bus, type BusSubscription, type Logger, type Readiness } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import { MemoryAffinityStore, RedisAffinityStore, type AffinityEntry, type AffinitySession, type AffinityStore } from './affinity.js';
import { parseRtpengineUrl, resolveMediaConfig, type MediaConfig } from './config/media-config.js';
import { HealthState } from './health.js';
import { InstancePool, type InstanceSnapshot } from './instances.js';
import { MediaController } from './media-controller.js';
import { NgClient } from './ng/ng-client.js';
import type { NgReply } from './ng/ng-messages.js';
import type { MediaProfile } from './profiles.js';
import { ADMIN_COMMANDS } from './service/admin-commands.js';
import { serveMediaRpc, type MediaMethod } from './service/rpc-endpoint.js';

export interface MediaControlAppOptions {
  config: MediaConfig;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  tracing: boolean;
}

export interface InstanceView extends InstanceSnapshot {
  /** Calls the affinity store places on the instance. */
  readonly sessions: number;
  /** rtpengine's own count of its sessions (`statistics`), when asked with `stats`. */
  readonly rtpengineSessions?: number | string;
}

export interface SessionsView {
  readonly count: number;
  readonly sessions: readonly AffinitySession[];
  /** Call-IDs each instance lists (ng `list`), when asked. */
  readonly rtpengine?: Readonly<Record<string, readonly string[] | string>>;
}

export interface MediaControlApp {
  readonly id: string;
  readonly controller: MediaController;
  readonly instances: InstancePool;
  readonly affinity: AffinityStore;
  readonly profiles: ReadonlyMap<string, MediaProfile>;
  readonly ng: NgClient;
  /** rtpengine.show */
  showInstances(options?: { stats?: boolean }): Promise<{ instances: InstanceView[] }>;
  /** rtpengine.enable: `url` is udp:host:port, host:port or `all`; shared with every media-control. */
  setEnabled(url: string, enabled: boolean): Promise<{ ok: true; instances: InstanceSnapshot[] } | { ok: false; reason: string }>;
  /** rtpengine.ping: one health round now. */
  ping(): Promise<InstanceSnapshot[]>;
  /** media.sessions */
  sessions(options: { limit: number; instance?: string; rtpengine?: boolean }): Promise<SessionsView>;
  /** media.query: undefined when no instance knows the call. */
  query(callId: string): Promise<{ callId: string; affinity: AffinityEntry | undefined; instance: string; rtpengine: NgReply } | undefined>;
  /** Serving, the affinity store reachable, and an instance of the default set up and enabled. */
  ready(): Readiness;
  stop(): Promise<void>;
}

/** Settings-bucket key of an instance's disabled switch (KV keys: no `:`, `[`, `]`). */
function disabledKey(instance: string): string {
  return `rtpengine.disabled.${instance.replace(/[[\]]/g, '').replace(/:/g, '_')}`;
}

export async function createMediaControlApp(options: MediaControlAppOptions): Promise<MediaControlApp> {
  const { bus, logger } = options;
  const resolved = resolveMediaConfig(options.config);
  const { config, sets, profiles } = resolved;
  const validators = createValidators();
  const metrics = declareMetrics(options.registry, {
    sipmesh_media_commands_total: { type: 'counter', help: 'Media requests answered, by method (offer, answer, delete) and outcome (ok, invalid, unavailable, rejected, error)', labelNames: ['method', 'outcome'] },
    sipmesh_media_deletes_total: { type: 'counter', help: 'Deletes answered, by whether rtpengine had the call (deleted true/false)', labelNames: ['deleted'] },
    sipmesh_media_ng_duration_seconds: {
      type: 'histogram',
      help: 'ng command round trips (retransmissions and queueing included), by command, instance and outcome (ok or the NgError code)',
      labelNames: ['command', 'instance', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    },
    sipmesh_media_instance_up: { type: 'gauge', help: 'Health of each rtpengine instance (1 up, 0 down or unknown)', labelNames: ['instance'] },
    sipmesh_media_instance_enabled: { type: 'gauge', help: 'Whether an operator left the instance enabled for new calls (1) or disabled it (0)', labelNames: ['instance'] },
    sipmesh_media_instance_changes_total: { type: 'counter', help: 'Health changes of the instances, by the state entered', labelNames: ['instance', 'state'] },
    sipmesh_media_failovers_total: { type: 'counter', help: 'New calls moved on from an instance, by set, instance and reason (NgError code)', labelNames: ['set', 'instance', 'reason'] },
    sipmesh_media_sessions: { type: 'gauge', help: 'Calls the affinity store places on each instance (all media-control processes, when in Redis)', labelNames: ['instance'] },
  });

  const ng = new NgClient({
    timeoutMs: config.rtpengine.timeoutMs,
    retransmitMs: config.rtpengine.retransmitMs,
    maxInFlightPerInstance: config.rtpengine.maxInFlightPerInstance,
    maxQueuedPerInstance: config.rtpengine.maxQueuedPerInstance,
    onDroppedReply: (drop) => logger.debug({ reason: drop.reason, from: drop.from, detail: drop.detail }, 'ng reply dropped'),
  });
  const pool = new InstancePool({
    sets,
    ping: (instance, o) => ng.ping(instance, o),
    health: config.health,
    onHealthChange: ({ instance, from, to, reason }) => {
      metrics.sipmesh_media_instance_up.set({ instance: instance.key }, to === HealthState.up ? 1 : 0);
      metrics.sipmesh_media_instance_changes_total.inc({ instance: instance.key, state: to });
      const fields = { instance: instance.key, from, to, reason };
      if (to === HealthState.up) logger.info(fields, 'rtpengine up');
      else logger.warn(fields, 'rtpengine down');
    },
  });
  const keys = pool.all().map((i) => i.key);
  for (const key of keys) {
    metrics.sipmesh_media_instance_up.set({ instance: key }, 0);
    metrics.sipmesh_media_instance_enabled.set({ instance: key }, 1);
  }

  let redis: Redis | undefined;
  let affinity: AffinityStore;
  if (config.affinity.store === 'redis') {
    redis = new Redis(config.affinity.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, enableAutoPipelining: true, connectionName: `sipmesh-media-${config.id}` });
    redis.on('error', (e: Error) => logger.warn({ err: e.message }, 'redis connection error'));
    try {
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new Error(`affinity store: Redis at ${config.affinity.redisUrl} is unreachable: ${(e as Error).message}`, { cause: e });
    }
    affinity = new RedisAffinityStore(redis, config.affinity.keyPrefix, config.affinity.ttlSec);
  } else {
    affinity = new MemoryAffinityStore(config.affinity.ttlSec);
  }

  // The operator's switches, shared by every media-control and kept across restarts.
  let stopWatching: (() => void) | undefined;
  const bucket = await bus.settings(config.rtpengine.stateBucket).catch((e: unknown) => {
    logger.warn({ err: e, bucket: config.rtpengine.stateBucket }, 'settings bucket unavailable: rtpengine.enable applies to this media-control only');
    return undefined;
  });
  const applySwitch = (key: string, value: string | undefined): void => {
    const instance = pool.all().find((i) => disabledKey(i.key) === key);
    if (instance === undefined) return;
    const enabled = value === undefined;
    if (instance.enabled !== enabled) logger.info({ instance: instance.key, enabled }, enabled ? 'rtpengine enabled' : 'rtpengine disabled');
    pool.setEnabled(instance.key, enabled);
    metrics.sipmesh_media_instance_enabled.set({ instance: instance.key }, enabled ? 1 : 0);
  };
  if (bucket !== undefined) stopWatching = await bucket.watch(applySwitch);

  const controller = new MediaController({
    ng,
    pool,
    affinity,
    profiles,
    defaultSet: config.rtpengine.defaultSet,
    logger,
    observer: {
      ngCommand: (command, instance, seconds, outcome) => metrics.sipmesh_media_ng_duration_seconds.observe({ command, instance, outcome }, seconds),
      failover: (set, instance, reason) => metrics.sipmesh_media_failovers_total.inc({ set, instance, reason }),
    },
  });

  // Health: one round before serving (so the first call finds the instances' states), then periodic.
  const updateSessions = async (): Promise<void> => {
    await affinity.prune(keys);
    for (const [key, n] of await affinity.count(keys)) metrics.sipmesh_media_sessions.set({ instance: key }, n);
  };
  const healthRound = async (): Promise<void> => {
    await pool.pingAll();
    await updateSessions().catch((e: unknown) => logger.debug({ err: e }, 'session count not updated'));
  };
  await healthRound();
  const healthTimer = setInterval(() => void healthRound(), config.health.pingIntervalMs);
  healthTimer.unref();

  const subs: BusSubscription[] = [];
  const handlers: Record<MediaMethod, (p: Parameters<MediaController['offer']>[0]) => ReturnType<MediaController['offer']>> = {
    offer: (p) => controller.offer(p),
    answer: (p) => controller.answer(p),
    delete: (p) => controller.delete(p),
  };
  for (const method of ['offer', 'answer', 'delete'] as const) {
    subs.push(
      serveMediaRpc({
        bus,
        method,
        validate: validators.media,
        logger,
        handle: handlers[method],
        done: (outcome, result) => {
          metrics.sipmesh_media_commands_total.inc({ method, outcome });
          if (method === 'delete' && result?.deleted !== undefined) metrics.sipmesh_media_deletes_total.inc({ deleted: String(result.deleted) });
        },
      }),
    );
  }

  const matchInstances = (url: string): string[] | undefined => {
    if (url === 'all') return keys;
    const parsed = parseRtpengineUrl(url);
    if (!parsed.ok || pool.get(parsed.value.key) === undefined) return undefined;
    return [parsed.value.key];
  };

  let stopped = false;
  const app: MediaControlApp = {
    id: config.id,
    controller,
    instances: pool,
    affinity,
    profiles,
    ng,
    showInstances: async (o = {}) => {
      const counts = await affinity.count(keys).catch(() => new Map<string, number>());
      const stats = new Map<string, number | string>();
      if (o.stats === true) {
        await Promise.all(
          pool.all().map(async (i) => {
            try {
              const reply = await ng.request(i, 'statistics', {}, { timeoutMs: config.health.pingTimeoutMs });
              const current = (reply['statistics'] as { currentstatistics?: { sessionsown?: number } } | undefined)?.currentstatistics;
              stats.set(i.key, current?.sessionsown ?? 'unknown');
            } catch (e) {
              stats.set(i.key, `error: ${(e as Error).message}`);
            }
          }),
        );
      }
      return {
        instances: pool.snapshot().map((s) => ({ ...s, sessions: counts.get(s.instance) ?? 0, ...(stats.has(s.instance) ? { rtpengineSessions: stats.get(s.instance) as number | string } : {}) })),
      };
    },
    setEnabled: async (url, enabled) => {
      const targets = matchInstances(url);
      if (targets === undefined) return { ok: false, reason: `no rtpengine ${url} (instances: ${keys.join(', ')})` };
      for (const key of targets) {
        if (bucket === undefined) applySwitch(disabledKey(key), enabled ? undefined : '1');
        else if (enabled) await bucket.delete(disabledKey(key));
        else await bucket.put(disabledKey(key), '1');
      }
      // The bucket's watcher applies the change here too; a put is seen by the time it resolves
      // on the local bucket, and within a round trip on NATS: apply now so the answer shows it.
      for (const key of targets) applySwitch(disabledKey(key), enabled ? undefined : '1');
      return { ok: true, instances: pool.snapshot().filter((s) => targets.includes(s.instance)) };
    },
    ping: async () => {
      await healthRound();
      return pool.snapshot();
    },
    sessions: async (o) => {
      const which = o.instance === undefined ? keys : keys.filter((k) => k === o.instance);
      const list = await affinity.list(which, o.limit);
      const counts = await affinity.count(which);
      let rtpengine: Record<string, readonly string[] | string> | undefined;
      if (o.rtpengine === true) {
        rtpengine = {};
        for (const key of which) {
          const instance = pool.get(key);
          if (instance === undefined) continue;
          rtpengine[key] = await ng.list(instance, { limit: o.limit }).catch((e: unknown) => `error: ${(e as Error).message}`);
        }
      }
      return { count: [...counts.values()].reduce((a, b) => a + b, 0), sessions: list, ...(rtpengine !== undefined ? { rtpengine } : {}) };
    },
    query: async (callId) => {
      const entry = await affinity.get(callId);
      const tried = entry !== undefined ? [pool.get(entry.instance)].filter((i) => i !== undefined) : pool.all().filter((i) => i.health.state !== HealthState.down);
      for (const instance of tried) {
        try {
          const reply = await ng.query(instance, { 'call-id': callId });
          return { callId, affinity: entry, instance: instance.key, rtpengine: reply };
        } catch {
          // Not on this one.
        }
      }
      return undefined;
    },
    ready: () => {
      const reasons: string[] = [];
      if (stopped) reasons.push('stopped');
      if (redis !== undefined && redis.status !== 'ready') reasons.push(`affinity store: Redis ${redis.status}`);
      if (!pool.hasCandidate(config.rtpengine.defaultSet)) {
        reasons.push(`no rtpengine of set "${config.rtpengine.defaultSet}" is up and enabled (${pool.describeSet(config.rtpengine.defaultSet)})`);
      }
      return reasons.length === 0 ? true : { ready: false, reasons };
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(healthTimer);
      stopAdminBus();
      for (const s of subs) s.unsubscribe();
      stopWatching?.();
      await pool.stop();
      await ng.close();
      await affinity.close();
      redis?.disconnect();
    },
  };
  const stopAdminBus = serveAdminCommandsOnBus(
    bus,
    { any: subjects.mediaAdmin, instance: (command) => subjects.mediaInstanceAdmin(config.id, command), queue: MEDIA_ADMIN_QUEUE },
    ADMIN_COMMANDS,
    app,
  );
  const round = pool.snapshot();
  logger.info(
    { store: config.affinity.store, sets: Object.fromEntries([...sets].map(([name, ms]) => [name, ms.map((m) => `${m.key}=${m.weight}`)])), up: round.filter((s) => s.health === 'up').map((s) => s.instance) },
    'media-control serving',
  );
  return app;
}
