/**
 * media-control configuration: the rtpengine instances in named sets (Kamailio's
 * rtpengine_sock / rtpengine table with setid and weight), the ng client's timing, health
 * checks, call affinity (memory or Redis), flag profiles, plus the common service sections.
 * `resolveMediaConfig` turns the validated document into parsed instances and compiled
 * profiles, so every mistake stops the service at start.
 */
import { isIP } from 'node:net';
import { ConfigError, ConfigErrorCode, serviceConfigSections, serviceEnvMap, type ConfigIssue, type ServiceConfig } from '@sipmesh/runtime';
import { FlagsError } from '../flags.js';
import { compileProfiles, type MediaProfile, type MediaProfileConfig } from '../profiles.js';

export const MEDIA_ADMIN_PORT = 9073;

const flagSource = {
  anyOf: [{ type: 'string' }, { type: 'object' }],
  description: 'A Kamailio-style flag string or an object of ng keys',
} as const;

const instanceList = {
  type: 'array',
  minItems: 1,
  items: {
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: { url: { type: 'string', minLength: 1 }, weight: { type: 'integer', minimum: 0, maximum: 1000 } },
      },
    ],
  },
} as const;

export const mediaConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'media1', description: 'media-control instance id (logs, metrics, admin subjects, NATS connection name)' },
    rtpengine: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sets: {
          type: 'object',
          // `default` is required; checked by resolveMediaConfig (a `required` here would need a
          // `properties` entry, which would split this setting in the config reference).
          additionalProperties: instanceList,
          default: { default: ['udp:127.0.0.1:2223'] },
          description:
            'Instance sets by name (`default` required): each a list of `udp:host:port[=weight]` strings (Kamailio rtpengine_sock) or `{url, weight}` objects; `host:port` is accepted too. Weight 0: never picked for new calls (a drained spare); default 1',
        },
        sock: {
          type: 'string',
          default: '',
          description: 'Kamailio-style shortcut for the default set: space- or comma-separated `udp:host:port[=weight]`; when set it replaces sets.default',
        },
        defaultSet: { type: 'string', minLength: 1, default: 'default', description: 'Set of a new call whose offer names none' },
        timeoutMs: { type: 'integer', minimum: 50, maximum: 60000, default: 2000, 'x-unit': 'ms', description: 'How long an ng command waits for its reply, retransmissions and queueing included' },
        retransmitMs: { type: 'integer', minimum: 10, maximum: 10000, default: 250, 'x-unit': 'ms', description: 'Resend an unanswered ng command (same cookie) this often' },
        maxInFlightPerInstance: { type: 'integer', minimum: 1, default: 64, description: 'ng commands sent and unanswered per instance; more wait in a queue (paces bursts)' },
        maxQueuedPerInstance: { type: 'integer', minimum: 1, default: 10000, description: 'ng commands waiting per instance before new ones fail at once' },
        stateBucket: {
          type: 'string',
          pattern: '^[A-Za-z0-9_-]+$',
          default: 'sipmesh-media',
          description: 'Settings bucket (NATS KV) holding which instances an operator disabled, shared by every media-control',
        },
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        pingIntervalMs: { type: 'integer', minimum: 100, maximum: 60000, default: 2000, 'x-unit': 'ms', description: 'How often every instance gets an ng ping' },
        pingTimeoutMs: { type: 'integer', minimum: 50, maximum: 30000, default: 1000, 'x-unit': 'ms', description: 'A ping not answered within this is a failure' },
        downAfterFailures: { type: 'integer', minimum: 1, maximum: 10, default: 2, description: 'Failures in a row (pings, or commands that timed out) that mark an instance down: no new calls' },
        upAfterSuccesses: { type: 'integer', minimum: 1, maximum: 10, default: 1, description: 'Pings answered in a row that bring a down instance back' },
      },
    },
    affinity: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        store: { enum: ['memory', 'redis'], default: 'memory', description: 'Where Call-ID -> instance lives: memory (one media-control) or Redis (shared by every media-control)' },
        redisUrl: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'Redis of the redis store' },
        keyPrefix: { type: 'string', default: 'sipmesh:media:', description: 'Prefix of every affinity key in Redis' },
        ttlSec: {
          type: 'integer',
          minimum: 1,
          maximum: 604800,
          default: 14400,
          'x-unit': 's',
          description: 'A call with no command for this long is forgotten (every command refreshes it); keep it above the longest call without re-INVITEs',
        },
      },
    },
    profiles: {
      type: 'object',
      default: {},
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { description: { type: 'string' }, offer: flagSource, answer: flagSource, delete: flagSource },
      },
      description:
        'Flag sets by name, used as `profile:<name>`: {description, offer, answer, delete}, each flags. Built in: nat-pub-to-priv, nat-priv-to-pub, webrtc-to-sip, sip-to-webrtc, transcoding, transcode-pcma, transcode-pcmu, dtmf; a profile of the same name replaces the built-in',
    },
    ...serviceConfigSections({ adminPort: MEDIA_ADMIN_PORT }),
  },
} as const;

export type RtpengineEntry = string | { url: string; weight?: number };

export interface MediaConfig extends ServiceConfig {
  id: string;
  rtpengine: {
    sets: Record<string, RtpengineEntry[]>;
    sock: string;
    defaultSet: string;
    timeoutMs: number;
    retransmitMs: number;
    maxInFlightPerInstance: number;
    maxQueuedPerInstance: number;
    stateBucket: string;
  };
  health: { pingIntervalMs: number; pingTimeoutMs: number; downAfterFailures: number; upAfterSuccesses: number };
  affinity: { store: 'memory' | 'redis'; redisUrl: string; keyPrefix: string; ttlSec: number };
  profiles: Record<string, MediaProfileConfig>;
}

export const mediaEnvMap = {
  ...serviceEnvMap,
  SIPMESH_MEDIA_ID: 'id',
  SIPMESH_RTPENGINE_SOCK: 'rtpengine.sock',
  SIPMESH_MEDIA_RTPENGINE_SETS: 'rtpengine.sets',
  SIPMESH_MEDIA_DEFAULT_SET: 'rtpengine.defaultSet',
  SIPMESH_MEDIA_AFFINITY_STORE: 'affinity.store',
  SIPMESH_REDIS_URL: 'affinity.redisUrl',
  SIPMESH_MEDIA_REDIS_URL: 'affinity.redisUrl',
  SIPMESH_MEDIA_PROFILES: 'profiles',
} as const;

/** One rtpengine's ng listener, as configured. */
export interface RtpengineAddress {
  readonly host: string;
  readonly port: number;
  /** `host:port` (`[v6]:port`): the instance's identity everywhere (affinity, admin, metrics). */
  readonly key: string;
}

export interface RtpengineMember extends RtpengineAddress {
  readonly weight: number;
}

/**
 * `udp:host:port`, `host:port`, `udp:[v6]:port`, with an optional `=weight` (Kamailio's
 * rtpengine_sock syntax). Only UDP: rtpengine's ng listener is UDP (its TCP/WS forms are not
 * the Kamailio module's). A host name is refused: the client matches replies by source address.
 */
export function parseRtpengineUrl(text: string): { ok: true; value: RtpengineMember } | { ok: false; reason: string } {
  let rest = text.trim();
  let weight: number | undefined;
  const eq = rest.lastIndexOf('=');
  if (eq >= 0) {
    const w = rest.slice(eq + 1);
    if (!/^\d{1,4}$/.test(w) || Number(w) > 1000) return { ok: false, reason: `"${text}": weight must be an integer 0-1000` };
    weight = Number(w);
    rest = rest.slice(0, eq);
  }
  const scheme = /^([a-z][a-z0-9]*):(?=.*:\d+$)/i.exec(rest);
  if (scheme !== null) {
    if (scheme[1]?.toLowerCase() !== 'udp') return { ok: false, reason: `"${text}": only udp: is supported (rtpengine's ng listener)` };
    rest = rest.slice(scheme[0].length);
  }
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(rest) ?? /^([^:[\]]+):(\d{1,5})$/.exec(rest);
  if (m === null) return { ok: false, reason: `"${text}" is not udp:host:port` };
  const host = (m[1] as string).toLowerCase();
  const port = Number(m[2]);
  const family = isIP(host);
  if (family === 0) return { ok: false, reason: `"${text}": the host must be an IP address` };
  if (port < 1 || port > 65535) return { ok: false, reason: `"${text}": port out of range` };
  const key = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { ok: true, value: { host, port, key, weight: weight ?? 1 } };
}

export interface ResolvedMediaConfig {
  readonly config: MediaConfig;
  /** Set name -> members in configured order. */
  readonly sets: ReadonlyMap<string, readonly RtpengineMember[]>;
  readonly profiles: ReadonlyMap<string, MediaProfile>;
}

/** Parses the instances and compiles the profiles; throws ConfigError listing every problem. */
export function resolveMediaConfig(config: MediaConfig): ResolvedMediaConfig {
  const issues: ConfigIssue[] = [];
  const sets = new Map<string, RtpengineMember[]>();
  const entries: [string, readonly RtpengineEntry[]][] = Object.entries(config.rtpengine.sets);
  if (config.rtpengine.sock.trim() !== '') {
    const fromSock = config.rtpengine.sock.split(/[\s,]+/).filter((s) => s !== '');
    const at = entries.findIndex(([name]) => name === 'default');
    entries.splice(at < 0 ? 0 : at, at < 0 ? 0 : 1, ['default', fromSock]);
  }
  for (const [name, list] of entries) {
    const path = name === 'default' && config.rtpengine.sock.trim() !== '' ? 'rtpengine.sock' : `rtpengine.sets.${name}`;
    if (!/^[A-Za-z0-9_-]+$/.test(name)) issues.push({ path, message: 'a set name is letters, digits, _ and -' });
    const members: RtpengineMember[] = [];
    list.forEach((entry, i) => {
      const parsed = parseRtpengineUrl(typeof entry === 'string' ? entry : entry.url);
      if (!parsed.ok) {
        issues.push({ path: `${path}[${i}]`, message: parsed.reason });
        return;
      }
      const member = typeof entry === 'string' || entry.weight === undefined ? parsed.value : { ...parsed.value, weight: entry.weight };
      if (members.some((m) => m.key === member.key)) issues.push({ path: `${path}[${i}]`, message: `${member.key} is listed twice in the set` });
      else members.push(member);
    });
    if (list.length === 0) issues.push({ path, message: 'a set needs at least one instance' });
    sets.set(name, members);
  }
  if (!sets.has('default')) issues.push({ path: 'rtpengine.sets.default', message: 'is required (the set of calls that name none)' });
  if (!sets.has(config.rtpengine.defaultSet)) issues.push({ path: 'rtpengine.defaultSet', message: `no set "${config.rtpengine.defaultSet}" (sets: ${[...sets.keys()].join(', ')})` });
  let profiles: ReadonlyMap<string, MediaProfile> = new Map();
  try {
    profiles = compileProfiles(config.profiles);
  } catch (error) {
    if (!(error instanceof FlagsError)) throw error;
    issues.push({ path: 'profiles', message: error.message });
  }
  if (issues.length > 0) throw new ConfigError(ConfigErrorCode.invalid, issues, 'invalid configuration');
  return { config, sets, profiles };
}
