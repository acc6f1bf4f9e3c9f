// Bus
export type {
  Bus,
  BusHandler,
  BusKind,
  BusMessage,
  BusSubscription,
  EnsureStreamOptions,
  PublishEventOptions,
  PublishOptions,
  RequestOptions,
  RespondOptions,
  SubscribeOptions,
} from './bus/bus.js';
export { BusStatus } from './bus/bus.js';
export { BusError, BusErrorCode, isBusError } from './bus/bus-error.js';
export type { HandlerErrorListener } from './bus/handler-runner.js';
export { LocalBus } from './bus/local-bus.js';
export type { LocalBusOptions } from './bus/local-bus.js';
export type { StoredEvent } from './bus/local-event-log.js';
export { NatsBus, connectNatsBus } from './bus/nats-bus.js';
export type { NatsBusOptions } from './bus/nats-bus.js';
export { isValidSubject, SubjectKind } from './bus/subject.js';

// Tracing
export { startTracing, TraceExporterKind, TracingError, TracingErrorCode } from './tracing/start-tracing.js';
export type { TracingHandle, TracingOptions } from './tracing/start-tracing.js';
export { extractTraceContext, injectTraceHeaders, isTracePropagationEnabled } from './tracing/trace-headers.js';
export type { SpanRecord } from './tracing/json-lines-span-exporter.js';

// Logging
export { createLogger, LoggingError, LoggingErrorCode, setLogLevel } from './logging/create-logger.js';
export type { Logger, LoggerOptions } from './logging/create-logger.js';
export { CallLogger } from './logging/call-logger.js';
export type { CallContext } from './logging/call-logger.js';
export { defineLogEvents, logEvent } from './logging/log-event.js';
export type { LogEvent, LogEventTable } from './logging/log-event.js';
export { isLogLevel, LogLevel } from './logging/log-level.js';
export type { EventLevel } from './logging/log-level.js';

// Config
export { loadConfig } from './config/load-config.js';
export type { LoadConfigOptions } from './config/load-config.js';
export { ConfigError, ConfigErrorCode } from './config/config-error.js';
export type { ConfigIssue } from './config/config-error.js';
export type { ConfigSchema, JsonSchemaType } from './config/config-schema.js';
export { listConfigSettings, renderConfigReference } from './config/config-reference.js';
export type { ConfigReferenceOptions, ConfigSetting } from './config/config-reference.js';
export type { DeepReadonly } from './config/deep-freeze.js';

// Metrics and admin HTTP
export { createMetricsRegistry } from './metrics/metrics-registry.js';
export type { MetricsRegistryOptions } from './metrics/metrics-registry.js';
export { declareMetrics, MetricType } from './metrics/declare-metrics.js';
export type { CounterSpec, DeclaredMetrics, GaugeSpec, HistogramSpec, MetricSpec, MetricTable } from './metrics/declare-metrics.js';
export { AdminErrorCode, startAdminServer } from './admin/admin-server.js';
export type { AdminServer, AdminServerOptions, Readiness } from './admin/admin-server.js';

// Lifecycle
export { lifecycleEvents, runService } from './lifecycle/run-service.js';
export type { RunServiceOptions, ServiceProcess, Stoppable } from './lifecycle/run-service.js';

// Service plumbing shared by every service
export { connectConfiguredBus, eventBatchConfigSection, serviceConfigSections, serviceEnvMap, startConfiguredTracing } from './service/service-config.js';
export type { EventBatchConfig, ServiceConfig } from './service/service-config.js';
export { runBusService } from './service/run-bus-service.js';
export type { BusServiceParts, BusServiceSpec } from './service/run-bus-service.js';
export { parseServiceArgs } from './service/service-args.js';
export type { ServiceArgs } from './service/service-args.js';
export { LocalSettingsBucket } from './bus/settings-bucket.js';
export type { SettingsBucket } from './bus/settings-bucket.js';

// Database
export { runMigrations } from './data/migrations.js';
export type { MigrationOptions, MigrationResult } from './data/migrations.js';

// Admin commands (kamcmd-style) over HTTP and the bus
export { CommandError, intParam, mountAdminCommands, serveAdminCommandsOnBus, stringParam } from './admin/admin-commands.js';
export type { AdminBusSubjects, AdminCommand } from './admin/admin-commands.js';

// SIP facts every SIP-aware service decides alike (nat_uac_test)
export { isPrivateAddress, natUacTest, NatTest, viaSentBy } from './sip/nat-detection.js';
export type { NatFacts } from './sip/nat-detection.js';
// Digest authentication: algorithms, and the client answering a 401/407
export { DigestAlgorithm, digestHash, digestHexLength, isMd5Family, isSessionAlgorithm, parseDigestAlgorithm } from './sip/digest-algorithm.js';
export { answerChallenge, digestResponse, parseChallengeParams, parseChallenges, quoteString } from './sip/digest-client.js';
export { DEFAULT_NONCE_LIFETIME_SEC, digestChallenge, NonceIssuer, NonceStatus } from './sip/digest-nonce.js';
export type { DigestChallengeSettings, NonceCheck, NonceOptions } from './sip/digest-nonce.js';
export type { DigestAnswer, DigestChallenge, DigestCredentials, DigestResponseInput } from './sip/digest-client.js';

// Concurrent-call limits (Kamailio dialog profiles): in memory (embedded) or shared in Redis
export { CallProfilesError, CallProfilesErrorCode, isCallProfileName } from './calls/call-profiles.js';
export type { CallProfileEntry, CallProfiles, CallProfileSize, TryAddResult } from './calls/call-profiles.js';
export { MemoryCallProfiles } from './calls/memory-call-profiles.js';
export type { MemoryCallProfilesOptions } from './calls/memory-call-profiles.js';
export { DEFAULT_CALL_PROFILES_KEY_PREFIX, RedisCallProfiles } from './calls/redis-call-profiles.js';
export type { RedisCallProfilesConnectOptions, RedisCallProfilesOptions } from './calls/redis-call-profiles.js';
export { luaScript, runLua } from './data/redis-lua.js';
export type { LuaScript } from './data/redis-lua.js';
export { serveJsonRpc } from './bus/json-rpc-endpoint.js';
export type { JsonRpcEndpointOptions, JsonRpcFailure } from './bus/json-rpc-endpoint.js';
