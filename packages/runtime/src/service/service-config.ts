/**
 * Config sections every service has (bus, admin HTTP, logging, tracing), as schema fragments a
 * service spreads into its own schema, and the plumbing that turns them into running parts.
 */
import { connectNatsBus } from '../bus/nats-bus.js';
import { LocalBus } from '../bus/local-bus.js';
import type { Bus } from '../bus/bus.js';
import { startTracing, type TracingHandle } from '../tracing/start-tracing.js';

export function serviceConfigSections(defaults: { adminPort: number }) {
  return {
    nats: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: '', description: 'NATS server URL(s), comma-separated; empty runs embedded on the in-process bus' },
        name: { type: 'string', default: '', description: 'Connection name shown by the NATS server (default: service and id)' },
      },
    },
    admin: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Serve /health, /ready and /metrics' },
        host: { type: 'string', default: '127.0.0.1', description: 'Admin HTTP bind address' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: defaults.adminPort, description: 'Admin HTTP port (0 picks a free one)' },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'Log level' },
        pretty: { type: 'boolean', default: false, description: 'Human-readable lines instead of JSON' },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        exporter: { enum: ['none', 'otlp', 'file'], default: 'none', description: 'OpenTelemetry span export: none, OTLP/HTTP, or JSON lines to a file' },
        otlpUrl: { type: 'string', default: '', description: 'OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces' },
        filePath: { type: 'string', default: '', description: 'File for the `file` exporter (one JSON line per span)' },
        sampleRatio: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Share of new traces recorded' },
      },
    },
  } as const;
}

/**
 * `events.batch` of a service that publishes events (contracts EventBatcher): a message of JSON
 * lines goes when it holds maxEvents events or maxBytes of JSON, or maxDelayMs after its first event.
 */
export function eventBatchConfigSection() {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Events leave in messages of JSON lines (one event per line): a message goes when it holds maxEvents events or maxBytes of JSON, or maxDelayMs after its first event',
    properties: {
      maxEvents: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'Events per message at most; 1 publishes every event on its own' },
      maxBytes: { type: 'integer', minimum: 1024, maximum: 8388608, default: 262144, 'x-unit': 'bytes', description: 'JSON per message at most (keep it under the NATS server max_payload)' },
      maxDelayMs: { type: 'integer', minimum: 0, maximum: 1000, default: 5, 'x-unit': 'ms', description: 'Longest an event waits for its message to fill' },
    },
  } as const;
}

export interface EventBatchConfig {
  maxEvents: number;
  maxBytes: number;
  maxDelayMs: number;
}

export interface ServiceConfig {
  nats: { url: string; name: string };
  admin: { enabled: boolean; host: string; port: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; pretty: boolean };
  tracing: { exporter: 'none' | 'otlp' | 'file'; otlpUrl: string; filePath: string; sampleRatio: number };
}

/** Environment overrides shared by all services. */
export const serviceEnvMap = {
  NATS_URL: 'nats.url',
  SIPMESH_LOG_LEVEL: 'log.level',
  SIPMESH_LOG_PRETTY: 'log.pretty',
  SIPMESH_TRACING: 'tracing.exporter',
  SIPMESH_TRACE_FILE: 'tracing.filePath',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'tracing.otlpUrl',
  SIPMESH_TRACE_SAMPLE_RATIO: 'tracing.sampleRatio',
} as const;

/** The bus the config asks for: NATS when a URL is set, else the in-process bus. */
export async function connectConfiguredBus(nats: ServiceConfig['nats'], defaultName: string): Promise<Bus> {
  if (nats.url === '') return new LocalBus();
  return connectNatsBus({ servers: nats.url.split(',').map((s) => s.trim()), name: nats.name || defaultName, waitForServer: true });
}

export function startConfiguredTracing(tracing: ServiceConfig['tracing'], serviceName: string, instanceId: string): TracingHandle {
  return startTracing({
    serviceName,
    serviceInstanceId: instanceId,
    exporter: tracing.exporter,
    sampleRatio: tracing.sampleRatio,
    ...(tracing.filePath !== '' ? { filePath: tracing.filePath } : {}),
    ...(tracing.otlpUrl !== '' ? { otlpUrl: tracing.otlpUrl } : {}),
  });
}
