/**
 * Builds a running registrar: the location store (memory or Redis), the subscribers (file or the
 * Kamailio subscriber table), the digest authenticator, and the three bus endpoints the edge and
 * the router ask — register, lookup, auth — in the registrar queue group, plus registration
 * events, the periodic sweep of expired bindings and the admin commands.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createValidators, CONTRACT_VERSION, EventBatcher, EVENTS_STREAM, REGISTRAR_ADMIN_QUEUE, subjects, type AuthCheckResult, type RegistrationEvent, type RouteParams } from '@sipmesh/contracts';
import { declareMetrics, runMigrations, serveAdminCommandsOnBus, type Bus, type BusSubscription, type Logger } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import {
  AuthResultKind,
  DigestAuthenticator,
  digestConfig,
  FileCredentialSource,
  MemoryBanTracker,
  MemoryNonceCountTracker,
  PgCredentialSource,
  RedisBanTracker,
  RedisAuthAcceptor,
  RedisNonceCountTracker,
  type CredentialSource,
  type DigestAuthenticatorOptions,
} from './auth/index.js';
import type { RegistrarConfig } from './config/registrar-config.js';
import { MemoryLocationStore, RedisLocationStore, remainingSeconds, type Binding, type LocationStore, type SweepResult } from './location/index.js';
import { DEFAULT_REGISTER_CONFIG, lookupTargets, type RegisterConfig } from './register/index.js';
import { ADMIN_COMMANDS } from './service/admin-commands.js';
import { locationContact } from './service/location-view.js';
import { handleRegister } from './service/register-handler.js';
import { RedisAcceptAndSave } from './service/accept-and-save.js';
import { NatKeepalive, type KeepaliveRound } from './service/nat-keepalive.js';
import { Lease } from './service/lease.js';
import { OutboundRegistrations } from './uac/outbound-registrations.js';
import { loadUacEntriesFile, loadUacEntriesTable } from './uac/uac-entry.js';
import { serveRpc } from './service/rpc-endpoint.js';

export interface RegistrarAppOptions {
  config: RegistrarConfig;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  tracing: boolean;
}

export type SubscriberChange = { ok: true } | { ok: false; status: 404 | 409 | 422 | 503; message: string };

export interface RegistrarApp {
  readonly id: string;
  readonly store: LocationStore;
  readonly useDomain: boolean;
  /** Where subscribers come from: `file:<path>` or `database`. */
  readonly credentialSource: string;
  /** Reads the subscriber file or table again; on failure the loaded subscribers stay. */
  reloadSubscribers(): Promise<{ ok: true; subscribers: number } | { ok: false; error: string }>;
  /** kamctl add / rm / passwd (database source only). */
  addSubscriber(username: string, domain: string, password: string): Promise<SubscriberChange>;
  removeSubscriber(username: string, domain: string): Promise<SubscriberChange>;
  setPassword(username: string, domain: string, password: string): Promise<SubscriberChange>;
  /** ul.rm / ul.rm_contact: removes bindings and announces them; resolves to what was removed. */
  removeBindings(aor: string, contact?: string): Promise<Binding[]>;
  /** Outbound registrations to carriers (uacreg); empty when uac.source is none. */
  readonly uac: OutboundRegistrations;
  /** One NAT keep-alive round now (the timer runs one every nat.keepalive.intervalSec). */
  natPing(): Promise<KeepaliveRound>;
  /** One sweep of expired bindings now (the timer runs it every location.sweepIntervalMs). */
  sweep(): Promise<SweepResult>;
  ready(): boolean;
  stop(): Promise<void>;
}

export async function createRegistrarApp(options: RegistrarAppOptions): Promise<RegistrarApp> {
  const { config, bus, logger } = options;
  const validators = createValidators();
  const metrics = declareMetrics(options.registry, {
    sipmesh_registrar_registers_total: { type: 'counter', help: 'REGISTER requests answered, by reply code', labelNames: ['code'] },
    sipmesh_registrar_auth_total: { type: 'counter', help: 'Digest checks, by kind (register, request) and result (ok, challenge, banned, unavailable)', labelNames: ['kind', 'result'] },
    sipmesh_registrar_lookups_total: { type: 'counter', help: 'Location lookups, by result (found, none)', labelNames: ['result'] },
    sipmesh_registrar_binding_changes_total: { type: 'counter', help: 'Bindings added, refreshed, removed and expired', labelNames: ['action'] },
    sipmesh_registrar_nat_pings_total: { type: 'counter', help: 'NAT keep-alive pings, by outcome (ok, failed, skipped: owning edge not running, removed: binding dropped)', labelNames: ['outcome'] },
    sipmesh_registrar_uac_registers_total: { type: 'counter', help: 'Outbound registrations to carriers, by outcome (registered, challenged, failed)', labelNames: ['outcome'] },
    sipmesh_registrar_presumed_aors_total: {
      type: 'counter',
      help: 'REGISTERs accepted and written in one Redis script, by whether the AoR was as presumed (right: one round trip; wrong: decided again, two)',
      labelNames: ['result'],
    },
    sipmesh_registrar_requests_failed_total: { type: 'counter', help: 'Bus requests answered with a JSON-RPC error, by subject', labelNames: ['subject'] },
  });
  const useDomain = config.location.useDomain;
  const registerConfig: RegisterConfig = {
    ...DEFAULT_REGISTER_CONFIG,
    defaultExpiresSec: config.register.defaultExpiresSec,
    minExpiresSec: config.register.minExpiresSec,
    maxExpiresSec: config.register.maxExpiresSec,
    maxContacts: config.register.maxContacts,
    pathMode: config.register.pathMode,
    useDomain,
  };

  // Many registrations per stream write: at full load one message per binding change cost the
  // registrar and nats-server about a tenth of a registration's CPU.
  let lastEventFailureLog = 0;
  const registrationEvents = new EventBatcher(bus, subjects.events.registration, config.events.batch, {
    published: () => undefined,
    failed: (n, e) => {
      const now = Date.now();
      if (now - lastEventFailureLog < 10_000) return;
      lastEventFailureLog = now;
      logger.warn({ err: e.message, events: n }, 'registration events not published');
    },
  });
  const announce = (action: RegistrationEvent['action'], b: Binding, nowMs: number, extra: Partial<RegistrationEvent> = {}): void => {
    metrics.sipmesh_registrar_binding_changes_total.inc({ action });
    const stamp = action === 'added' || action === 'refreshed' ? b.lastModifiedMs : action === 'expired' ? b.expiresAtMs : nowMs;
    const event: RegistrationEvent = {
      // Deterministic for expiries: every registrar sweeping the same binding names the same event (deduplicated).
      event_id: `${b.ruid}-${action}-${stamp}`,
      type: 'registration',
      version: CONTRACT_VERSION,
      time: new Date(nowMs).toISOString(),
      registrar: config.id,
      action,
      aor: b.aor,
      contact: b.contact,
      expires: action === 'added' || action === 'refreshed' ? remainingSeconds(b, nowMs) : 0,
      edge: b.edge,
      ...(b.received !== undefined ? { received: b.received } : {}),
      ...(b.userAgent !== undefined ? { user_agent: b.userAgent } : {}),
      call_id: b.callId,
      ...extra,
    };
    if (action === 'expired') {
      // alone in its message: the stream drops the same expiry announced by another registrar
      bus.publishEvent(subjects.events.registration, Buffer.from(JSON.stringify(event)), { msgId: event.event_id }).catch((e: unknown) => {
        logger.warn({ err: e, aor: b.aor, action }, 'registration event not published');
      });
    } else {
      registrationEvents.add(event.event_id, JSON.stringify(event));
    }
  };
  const onExpired = (aor: string, bindings: readonly Binding[]): void => {
    const now = Date.now();
    for (const b of bindings) announce('expired', b, now);
    if (bindings.length === 0) logger.debug({ aor }, 'an AoR expired in Redis before its bindings were read');
  };

  // Location store.
  let redis: Redis | undefined;
  let redisStore: RedisLocationStore | undefined;
  let store: LocationStore;
  if (config.location.store === 'redis') {
    // Auto-pipelining: the commands of concurrent REGISTERs issued in one event-loop tick leave in one write.
    redis = new Redis(config.location.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, enableAutoPipelining: true, connectionName: `sipmesh-registrar-${config.id}` });
    redis.on('error', (e: Error) => logger.warn({ err: e.message }, 'redis connection error'));
    try {
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new Error(`location store: Redis at ${config.location.redisUrl} is unreachable: ${(e as Error).message}`, { cause: e });
    }
    redisStore = new RedisLocationStore({ redis, keyPrefix: config.location.keyPrefix, onExpired, keyGraceMs: config.location.sweepIntervalMs * 2, recentAors: config.location.recentAors });
    store = redisStore;
  } else {
    store = new MemoryLocationStore({ onExpired });
  }

  // Subscribers.
  let pool: pg.Pool | undefined;
  if (config.database.url) {
    pool = new pg.Pool({ connectionString: config.database.url, max: 4 });
    pool.on('error', (e) => logger.warn({ err: e.message }, 'database connection error'));
    if (config.database.migrate) {
      const m = await runMigrations(pool, { dir: new URL('../migrations/', import.meta.url), scope: 'registrar' });
      if (m.applied.length > 0) logger.info({ applied: m.applied }, 'database migrated');
    }
  }
  const closeAll = async (): Promise<void> => {
    await store.close();
    redis?.disconnect();
    await pool?.end();
  };
  let credentials: CredentialSource;
  let pgCredentials: PgCredentialSource | undefined;
  let credentialSource: string;
  const subscriberFile = resolve(config.auth.credentials.file);
  const loadFile = async (): Promise<{ ok: true; source: FileCredentialSource } | { ok: false; error: string }> => {
    const loaded = await FileCredentialSource.load(subscriberFile, { useDomain: config.auth.useDomain });
    return loaded.ok ? loaded : { ok: false, error: `${loaded.error.code}: ${loaded.error.reason}` };
  };
  if (config.auth.credentials.source === 'database') {
    if (!pool) {
      await closeAll();
      throw new Error('auth.credentials.source is database but database.url is empty');
    }
    pgCredentials = new PgCredentialSource(pool, { useDomain: config.auth.useDomain, onError: (e) => logger.warn({ err: e.message }, 'subscriber lookup failed') });
    const first = await pgCredentials.reload();
    if (!first.ok) {
      await closeAll();
      throw new Error(`subscribers: ${first.error.reason}`);
    }
    credentials = pgCredentials;
    credentialSource = 'database';
    logger.info({ subscribers: first.value }, 'subscribers loaded from the database');
  } else if (config.auth.enabled) {
    const first = await loadFile();
    if (!first.ok) {
      await closeAll();
      throw new Error(`subscribers: ${first.error} (set auth.credentials.file, or auth.enabled=false to register without authentication)`);
    }
    credentials = first.source;
    credentialSource = `file:${subscriberFile}`;
    logger.info({ subscribers: first.source.size, file: subscriberFile }, 'subscribers loaded');
  } else {
    credentials = new FileCredentialSource([], { useDomain: config.auth.useDomain });
    credentialSource = 'none';
  }

  // Digest authentication; the secret and the trackers are shared through Redis when the bindings are.
  const secret = config.auth.secret || randomBytes(32).toString('hex');
  if (!config.auth.secret && config.location.store === 'redis') {
    logger.warn('auth.secret is empty: nonces of this registrar are not accepted by other registrar instances');
  }
  const digest = digestConfig({
    secret,
    nonceLifetimeSec: config.auth.nonceLifetimeSec,
    algorithms: config.auth.algorithms,
    qop: config.auth.qop,
    opaque: '',
    useDomain: config.auth.useDomain,
    ban: config.auth.ban,
  });
  const credentialsRef: CredentialSource = { find: (user, domain) => credentials.find(user, domain) };
  let authState: Pick<DigestAuthenticatorOptions, 'bans' | 'nonceCounts' | 'acceptor'>;
  let acceptAndSave: RedisAcceptAndSave | undefined;
  if (redis) {
    const nonceCounts = new RedisNonceCountTracker(redis, { keyPrefix: `${config.auth.redisKeyPrefix}nc:` });
    const bans = new RedisBanTracker(redis, digest.ban, { keyPrefix: `${config.auth.redisKeyPrefix}authban:` });
    const acceptor = new RedisAuthAcceptor(redis, bans, nonceCounts);
    authState = { nonceCounts, bans, acceptor };
    if (redisStore) acceptAndSave = new RedisAcceptAndSave(redis, redisStore, acceptor);
  } else {
    authState = { nonceCounts: new MemoryNonceCountTracker(), bans: new MemoryBanTracker(digest.ban) };
  }
  const authenticator = new DigestAuthenticator({ config: digest, credentials: credentialsRef, ...authState });

  const uacFile = resolve(config.uac.file);
  const uac = new OutboundRegistrations(
    { contactAddr: config.uac.contactAddr, timerIntervalSec: config.uac.timerIntervalSec, retryIntervalSec: config.uac.retryIntervalSec, maxRetryIntervalSec: config.uac.maxRetryIntervalSec, timeoutMs: config.uac.timeoutMs, userAgent: config.uac.userAgent },
    {
      bus,
      validators,
      logger,
      lease: new Lease(redis, `${config.location.keyPrefix}uacreg-lease`),
      load: () => (config.uac.source === 'file' ? loadUacEntriesFile(uacFile) : config.uac.source === 'database' && pool ? loadUacEntriesTable(pool) : Promise.resolve({ ok: true, entries: [] })),
      count: (outcome) => metrics.sipmesh_registrar_uac_registers_total.inc({ outcome }),
    },
  );
  if (config.uac.source === 'database' && !pool) {
    await closeAll();
    throw new Error('uac.source is database but database.url is empty');
  }
  const uacStarted = await uac.start();
  if (!uacStarted.ok) {
    await closeAll();
    throw new Error(`outbound registrations: ${uacStarted.reason}`);
  }

  if (bus.kind === 'nats') {
    // Registration events go to the same stream as the edge's transaction events; whichever starts first creates it.
    await bus.ensureStream(EVENTS_STREAM, [subjects.events.all], { maxAgeMs: 24 * 3600_000, duplicateWindowMs: 120_000 }).catch((e: unknown) => {
      logger.warn({ err: e }, 'event stream not ensured; registration events may be lost until it exists');
    });
  }

  const subs: BusSubscription[] = [];
  const failed = (subject: string) => (outcome: 'ok' | 'error') => {
    if (outcome === 'error') metrics.sipmesh_registrar_requests_failed_total.inc({ subject });
  };

  subs.push(
    serveRpc<RouteParams>({
      bus,
      subject: subjects.register,
      validate: validators.routeRequest,
      logger,
      done: failed('register'),
      handle: async ({ params }) => {
        const handled = await handleRegister(params, {
          store,
          register: registerConfig,
          authenticator: config.auth.enabled ? authenticator : undefined,
          ...(acceptAndSave ? { acceptAndSave } : {}),
          natTest: config.register.natTest,
          now: Date.now,
        });
        metrics.sipmesh_registrar_registers_total.inc({ code: String(handled.reply.code) });
        if (handled.kind === 'auth') {
          metrics.sipmesh_registrar_auth_total.inc({ kind: 'register', result: handled.outcome });
          if (handled.outcome !== 'challenge' || handled.reason !== 'no-credentials') {
            logger.info({ to: params.to.uri, source: params.source, outcome: handled.outcome, reason: handled.reason, user: handled.user }, 'REGISTER not authenticated');
          }
        } else {
          if (config.auth.enabled) metrics.sipmesh_registrar_auth_total.inc({ kind: 'register', result: 'ok' });
          const { outcome, facts } = handled;
          if (handled.presumed !== undefined) metrics.sipmesh_registrar_presumed_aors_total.inc({ result: handled.presumed });
          if (outcome.error) logger.info({ to: params.to.uri, source: params.source, code: outcome.code, error: outcome.error }, 'REGISTER refused');
          const extra = { source: { ip: facts.source.ip, port: facts.source.port, transport: facts.source.transport } };
          for (const b of outcome.changes.added) announce('added', b, facts.now, extra);
          for (const b of outcome.changes.refreshed) announce('refreshed', b, facts.now, extra);
          for (const b of outcome.changes.removed) announce('removed', b, facts.now, extra);
        }
        return { version: CONTRACT_VERSION, reply: handled.reply, policy: 'registrar' };
      },
    }),
  );

  subs.push(
    serveRpc({
      bus,
      subject: subjects.lookup,
      validate: validators.locationLookup,
      logger,
      done: failed('lookup'),
      handle: async ({ params }) => {
        const now = Date.now();
        let targets = await lookupTargets(store, params.aor, useDomain);
        if (targets.length === 0) {
          // uac_reg_lookup: a call from a carrier to the Contact we registered there is for its local user.
          const local = uac.localUserOf(params.aor.replace(/^sips?:/i, '').split('@')[0] ?? '');
          if (local) targets = await lookupTargets(store, local.domain ? `${local.user}@${local.domain}` : local.user, useDomain);
        }
        const groups = targets.map((g) => g.map((t) => locationContact(t.binding, now)));
        metrics.sipmesh_registrar_lookups_total.inc({ result: groups.length > 0 ? 'found' : 'none' });
        return { version: CONTRACT_VERSION, aor: params.aor, groups };
      },
    }),
  );

  subs.push(
    serveRpc({
      bus,
      subject: subjects.auth,
      validate: validators.authCheck,
      logger,
      done: failed('auth'),
      handle: async ({ params }): Promise<AuthCheckResult> => {
        const r = await authenticator.authenticate({
          method: params.method,
          requestUri: params.ruri,
          credentialsHeaderValues: params.credentials,
          realm: params.realm,
          ...(params.check_user !== undefined ? { checkUser: params.check_user } : {}),
          sourceIp: params.source_ip,
        });
        metrics.sipmesh_registrar_auth_total.inc({ kind: 'request', result: r.result });
        if (r.result === AuthResultKind.ok) return { version: CONTRACT_VERSION, result: 'ok', user: r.user, realm: r.realm };
        if (r.result === AuthResultKind.banned) {
          logger.info({ realm: params.realm, source: params.source_ip, detail: r.detail }, 'request from a banned user or source');
          return { version: CONTRACT_VERSION, result: 'banned', realm: params.realm, reason: 'banned', reply: { code: 403, reason: 'Try later' } };
        }
        const c = authenticator.challengeHeaders(params.realm, r.stale, params.method === 'REGISTER');
        return { version: CONTRACT_VERSION, result: 'challenge', realm: params.realm, reason: r.reason, reply: { code: c.code, reason: c.reason, headers: [...c.headers] } };
      },
    }),
  );

  // Subscriber changes made through one registrar reach the caches of all of them.
  subs.push(
    bus.subscribe(subjects.subscribersChanged, () => {
      void app.reloadSubscribers();
    }),
  );
  const subscribersChanged = (): void => {
    try {
      bus.publish(subjects.subscribersChanged, Buffer.from('{}'));
    } catch (e) {
      logger.warn({ err: e }, 'subscriber change not announced to the other registrars');
    }
  };

  let sweeping = false;
  const sweep = async (): Promise<SweepResult> => {
    const r = await store.sweep();
    if (r.bindings > 0) logger.info({ expired: r.bindings }, 'expired bindings removed');
    return r;
  };
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch((e: unknown) => logger.warn({ err: e }, 'sweep of expired bindings failed; next round retries'))
      .finally(() => {
        sweeping = false;
      });
  }, config.location.sweepIntervalMs);
  timer.unref();

  const change = async (op: () => Promise<{ ok: true } | { ok: false; error: { code: string; reason: string } }>): Promise<SubscriberChange> => {
    if (!pgCredentials) return { ok: false, status: 409, message: `subscribers come from ${credentialSource}: edit it and run subscriber.reload` };
    const r = await op();
    if (r.ok) {
      subscribersChanged();
      return { ok: true };
    }
    const status = r.error.code.endsWith('NOT_FOUND') ? 404 : r.error.code.endsWith('EXISTS') ? 409 : r.error.code.endsWith('INVALID') ? 422 : 503;
    return { ok: false, status, message: r.error.reason };
  };

  const keepalive = new NatKeepalive(config.nat.keepalive, {
    bus,
    store,
    validators,
    logger,
    ...(redis ? { redis, leaseKey: `${config.location.keyPrefix}natping-lease` } : {}),
    remove: async (b) => {
      await app.removeBindings(b.aor, b.contact);
    },
    count: (outcome) => metrics.sipmesh_registrar_nat_pings_total.inc({ outcome }),
  });
  keepalive.start();

  let stopped = false;
  const app: RegistrarApp = {
    id: config.id,
    store,
    useDomain,
    credentialSource,
    reloadSubscribers: async () => {
      if (pgCredentials) {
        const r = await pgCredentials.reload();
        if (!r.ok) {
          logger.error({ error: r.error }, 'subscriber reload failed; the loaded subscribers stay');
          return { ok: false, error: r.error.reason };
        }
        return { ok: true, subscribers: r.value };
      }
      if (credentialSource === 'none') return { ok: true, subscribers: 0 };
      const r = await loadFile();
      if (!r.ok) {
        logger.error({ error: r.error }, 'subscriber reload failed; the loaded subscribers stay');
        return r;
      }
      credentials = r.source;
      logger.info({ subscribers: r.source.size, file: subscriberFile }, 'subscribers reloaded');
      return { ok: true, subscribers: r.source.size };
    },
    addSubscriber: (u, d, p) => change(() => (pgCredentials as PgCredentialSource).add(u, d, p)),
    removeSubscriber: (u, d) => change(() => (pgCredentials as PgCredentialSource).remove(u, d)),
    setPassword: (u, d, p) => change(() => (pgCredentials as PgCredentialSource).setPassword(u, d, p)),
    removeBindings: async (aor, contact) => {
      const removed = contact === undefined ? await store.remove(aor) : await store.removeContact(aor, contact);
      const now = Date.now();
      for (const b of removed) announce('removed', b, now);
      return removed;
    },
    uac,
    natPing: () => keepalive.round(),
    sweep,
    ready: () => !stopped && (redis === undefined || redis.status === 'ready'),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await keepalive.stop();
      await uac.stop();
      stopAdminBus();
      for (const s of subs) s.unsubscribe();
      registrationEvents.flush();
      await closeAll();
    },
  };
  const stopAdminBus = serveAdminCommandsOnBus(
    bus,
    { any: subjects.registrarAdmin, instance: (command) => subjects.registrarInstanceAdmin(config.id, command), queue: REGISTRAR_ADMIN_QUEUE },
    ADMIN_COMMANDS,
    app,
  );
  logger.info({ store: config.location.store, auth: config.auth.enabled, subscribers: credentialSource }, 'registrar serving');
  return app;
}
