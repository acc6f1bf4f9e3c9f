/**
 * Registrar configuration: the location store, REGISTER rules (Kamailio registrar modparams),
 * digest authentication (auth, auth_db) and the ban on repeated failures, plus the common
 * service sections.
 */
import { eventBatchConfigSection, serviceConfigSections, serviceEnvMap, type EventBatchConfig, type ServiceConfig } from '@sipmesh/runtime';

export const REGISTRAR_ADMIN_PORT = 9071;

export const registrarConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'registrar1', description: 'Registrar instance id (logs, metrics, event ids, NATS connection name)' },
    location: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        store: { enum: ['memory', 'redis'], default: 'memory', description: 'Where bindings live: memory (embedded, lost on restart) or Redis (shared by every registrar, survives restarts)' },
        redisUrl: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'Redis of the redis store' },
        keyPrefix: { type: 'string', default: 'sipmesh:loc:', description: 'Prefix of every location key in Redis' },
        useDomain: { type: 'boolean', default: true, description: 'Addresses of record are user@domain; false: the user part alone (Kamailio use_domain=0)' },
        sweepIntervalMs: { type: 'integer', minimum: 1000, default: 10000, 'x-unit': 'ms', description: 'How often expired bindings are removed and announced (Kamailio timer_interval)' },
        recentAors: {
          type: 'integer',
          minimum: 0,
          default: 10000,
          description:
            'Redis store: how many AoRs this registrar remembers as it last read or wrote them (most recent first). A REGISTER of a remembered AoR, or of one that is new, is accepted and written in one Redis round trip instead of two; any other costs the two. 0: remember none (new AoRs still take one)',
        },
      },
    },
    register: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultExpiresSec: { type: 'integer', minimum: 1, default: 3600, 'x-unit': 's', description: 'Lifetime of a contact that names none (Kamailio default_expires)' },
        minExpiresSec: { type: 'integer', minimum: 0, default: 60, 'x-unit': 's', description: 'Shorter requested lifetimes get 423 Interval Too Brief with Min-Expires (min_expires)' },
        maxExpiresSec: { type: 'integer', minimum: 0, default: 86400, 'x-unit': 's', description: 'Longer requested lifetimes are cut to this; 0: no limit (max_expires)' },
        maxContacts: { type: 'integer', minimum: 0, default: 0, description: 'Most contacts per address of record; 0: no limit (max_contacts)' },
        pathMode: {
          enum: ['off', 'lazy', 'strict'],
          default: 'lazy',
          description: 'Path headers (RFC 3327) are always stored; off: never echoed in the 200; lazy: echoed when the phone sent Supported: path; strict: a REGISTER with Path and no Supported: path gets 420 (Kamailio path_mode 0/1/2)',
        },
        natTest: {
          type: 'integer',
          minimum: 0,
          maximum: 19,
          default: 19,
          description: 'nathelper nat_uac_test flags that mark a phone as behind NAT (1 private Contact, 2 Via address differs from the source, 16 Via port differs); its source address is then stored as received and used as the next hop; 0: never',
        },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'REGISTER must carry valid digest credentials (401 challenge otherwise)' },
        secret: { type: 'string', default: '', description: 'Secret of the stateless nonces, the same on every registrar instance; empty: a random one per process (then run one instance)' },
        nonceLifetimeSec: { type: 'integer', minimum: 5, default: 300, 'x-unit': 's', description: 'A nonce older than this is stale: the client is challenged again with stale=true (nonce_expire)' },
        algorithms: {
          type: 'array',
          items: { enum: ['MD5', 'SHA-256'] },
          minItems: 1,
          default: ['MD5'],
          description: 'Challenge algorithms, one WWW-/Proxy-Authenticate header each, in order (RFC 8760: put SHA-256 first when every phone supports it)',
        },
        redisKeyPrefix: { type: 'string', default: 'sipmesh:', description: 'Prefix of the nonce-count (`<prefix>nc:`) and ban (`<prefix>authban:`) keys in Redis, used when location.store is redis' },
        useDomain: { type: 'boolean', default: false, description: 'Subscribers are looked up by user and realm; false: by user alone, whatever the realm (Kamailio auth_db use_domain, default 0)' },
        qop: { enum: ['auth', 'none'], default: 'auth', description: 'qop="auth" with nonce counts (replay protection), or the RFC 2069 form' },
        credentials: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            source: { enum: ['file', 'database'], default: 'file', description: 'Subscribers from a file (embedded) or the Kamailio subscriber table' },
            file: { type: 'string', default: 'config/subscribers.csv', description: 'Subscriber file: CSV (username,domain,password) or YAML/JSON list' },
          },
        },
        ban: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxFailures: { type: 'integer', minimum: 0, default: 10, description: 'Failed authentications of one user or one source within windowSec that ban it; 0: never ban' },
            windowSec: { type: 'integer', minimum: 1, default: 300, 'x-unit': 's', description: 'Window failures are counted in' },
            banSec: { type: 'integer', minimum: 1, default: 300, 'x-unit': 's', description: 'How long a ban lasts: every request of the user or source gets 403 Try later' },
          },
        },
      },
    },
    nat: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        keepalive: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true, description: 'Ping every binding behind NAT (see register.natTest) with OPTIONS from the edge that owns it, to its received address (Kamailio nathelper natping_interval with sipping)' },
            intervalSec: { type: 'integer', minimum: 1, default: 30, 'x-unit': 's', description: 'Seconds between ping rounds (natping_interval); keep it under the shortest NAT UDP timeout on the way' },
            maxFailures: { type: 'integer', minimum: 0, default: 3, description: 'Rounds in a row without any answer that remove the binding (announced as removed); 0: never remove' },
            timeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 5000, 'x-unit': 'ms', description: 'How long a ping waits for an answer' },
            from: { type: 'string', default: '', description: 'From URI of the pings (sipping_from); empty: sip:sipmesh@<edge address>' },
            concurrency: { type: 'integer', minimum: 1, default: 100, description: 'Pings in flight at once' },
            tcp: {
              enum: ['crlf', 'options'],
              default: 'crlf',
              description:
                'Bindings registered over TCP: crlf writes a CRLFCRLF keep-alive (RFC 5626) on the connection the phone registered over and counts a failure when it is closed; options sends an OPTIONS over it as over UDP',
            },
          },
        },
      },
    },
    uac: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        source: { enum: ['none', 'file', 'database'], default: 'none', description: 'Outbound registrations to carriers (Kamailio uacreg): none, a file of uacreg rows, or the uacreg table of database.url' },
        file: { type: 'string', default: 'config/uacreg.yaml', description: 'uacreg rows (YAML/JSON list or CSV with the table\'s column names) when source is file' },
        contactAddr: { type: 'string', default: '', description: 'host[:port] of the Contact of every registration (Kamailio reg_contact_addr); empty: the address of the edge that sends it' },
        timerIntervalSec: { type: 'integer', minimum: 1, default: 10, 'x-unit': 's', description: 'A registration is refreshed when at most this + 3 s of it remain (reg_timer_interval; the book uses 10)' },
        retryIntervalSec: { type: 'integer', minimum: 0, default: 30, 'x-unit': 's', description: 'First retry after a failed registration, doubling on each further failure (reg_retry_interval); 0: never retry' },
        maxRetryIntervalSec: { type: 'integer', minimum: 1, default: 300, 'x-unit': 's', description: 'Longest wait between retries' },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 5000, 'x-unit': 'ms', description: 'How long a REGISTER waits for the carrier' },
        userAgent: { type: 'string', default: 'sipmesh', description: 'User-Agent of the REGISTERs; empty: none' },
      },
    },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: '', description: 'PostgreSQL connection string (subscriber, uacreg tables, Kamailio schemas); empty: no database' },
        migrate: { type: 'boolean', default: true, description: 'Create missing tables at start' },
      },
    },
    events: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Registration events (added, refreshed, removed) on the event stream; expiries, which every registrar sweeping the same binding announces under the same id, go one per message so the stream drops the repeats',
      properties: { batch: eventBatchConfigSection() },
    },
    ...serviceConfigSections({ adminPort: REGISTRAR_ADMIN_PORT }),
  },
} as const;

export interface RegistrarConfig extends ServiceConfig {
  id: string;
  location: { store: 'memory' | 'redis'; redisUrl: string; keyPrefix: string; useDomain: boolean; sweepIntervalMs: number; recentAors: number };
  register: { defaultExpiresSec: number; minExpiresSec: number; maxExpiresSec: number; maxContacts: number; pathMode: 'off' | 'lazy' | 'strict'; natTest: number };
  auth: {
    enabled: boolean;
    secret: string;
    nonceLifetimeSec: number;
    algorithms: ('MD5' | 'SHA-256')[];
    qop: 'auth' | 'none';
    useDomain: boolean;
    redisKeyPrefix: string;
    credentials: { source: 'file' | 'database'; file: string };
    ban: { maxFailures: number; windowSec: number; banSec: number };
  };
  nat: { keepalive: { enabled: boolean; intervalSec: number; maxFailures: number; timeoutMs: number; from: string; concurrency: number; tcp: 'crlf' | 'options' } };
  uac: { source: 'none' | 'file' | 'database'; file: string; contactAddr: string; timerIntervalSec: number; retryIntervalSec: number; maxRetryIntervalSec: number; timeoutMs: number; userAgent: string };
  database: { url: string; migrate: boolean };
  events: { batch: EventBatchConfig };
}

export const registrarEnvMap = {
  ...serviceEnvMap,
  SIPMESH_REGISTRAR_ID: 'id',
  SIPMESH_LOCATION_STORE: 'location.store',
  SIPMESH_REDIS_URL: 'location.redisUrl',
  SIPMESH_AUTH_SECRET: 'auth.secret',
  SIPMESH_REGISTRAR_DATABASE_URL: 'database.url',
} as const;
