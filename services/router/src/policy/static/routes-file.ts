/** Schema of the static routes file (YAML or JSON), validated once when the file is loaded. */
import type { RouteAnswer } from '@sipmesh/contracts';
import { dispatcherAlgorithmNames, kamailioAlgorithmNumbers } from '../dispatcher/algorithms.js';
import { limitSchema, type LimitSpec } from '../call-limit/call-limit.js';

/** One rule of a `rules` list. */
export const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    match: {
      type: 'object',
      additionalProperties: false,
      properties: {
        method: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        ruri_user: { type: 'string' },
        ruri_host: { type: 'string' },
        from_user: { type: 'string' },
        from_host: { type: 'string' },
        to_user: { type: 'string' },
        source_ip: { type: 'string' },
      },
    },
    routing: { enum: ['serial', 'parallel'] },
    routes: { type: 'array', minItems: 1, items: { type: 'object' } },
    reply: {
      type: 'object',
      properties: { code: { type: 'integer', minimum: 100, maximum: 699 }, reason: { type: 'string' }, headers: { type: 'array', items: { type: 'string' } } },
      required: ['code', 'reason'],
    },
    dispatcher: {
      type: 'object',
      additionalProperties: false,
      properties: {
        set: { type: 'integer', minimum: 0 },
        algorithm: {
          description: 'Selection algorithm by name or by Kamailio ds_select_dst number (0-13); default round-robin',
          oneOf: [{ enum: dispatcherAlgorithmNames }, { type: 'integer', minimum: 0, maximum: kamailioAlgorithmNumbers.length - 1 }],
        },
        failover: { type: 'boolean', default: true, description: 'Other usable destinations follow as failover routes (Kamailio flags bit 2)' },
        routing: { enum: ['serial', 'parallel'] },
        limit: { type: 'integer', minimum: 0, description: 'Most destinations in the answer, the selected one included; 0 = no limit' },
        use_default: { type: 'boolean', description: 'The last destination of the set is only the final fallback (Kamailio use_default)' },
        hash_pvar: { type: 'string', description: 'Template hashed by algorithm hash-pvar (7), e.g. "$fU" or "$fU@$ci"' },
        hash_user_only: { type: 'boolean', description: 'Hash only the user part of From/To/R-URI (Kamailio flags bit 1)' },
      },
      required: ['set'],
    },
    on_failure: { type: 'object' },
    limit: limitSchema,
    record_route: { type: 'boolean' },
    acc: {
      type: 'object',
      additionalProperties: false,
      description: "Accounting of the request (Kamailio's setflag FLT_ACC / FLT_ACCMISSED / FLT_ACCFAILED before t_relay): acc writes answered transactions, missed the failed INVITEs to missed_calls, failed the failed ones to acc; a dialog's later requests (BYE) keep the flags",
      properties: {
        flags: { type: 'array', items: { enum: ['acc', 'missed', 'failed'] }, uniqueItems: true },
        extra: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] }, description: 'Extra CDR fields' },
      },
    },
    media: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      description: "Anchor the call's media in rtpengine (Kamailio's rtpengine_offer / rtpengine_answer): the flags of the offer (the caller's SDP) and of the answer (the callee's), each a Kamailio flag string (\"replace-origin replace-session-connection ICE=remove\"), an object of ng keys, or \"profile:<name>\" of a media-control profile; set picks the rtpengine set",
      properties: {
        offer: { type: ['string', 'object'] },
        answer: { type: ['string', 'object'] },
        set: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
  },
  oneOf: [{ required: ['routes'] }, { required: ['reply'] }, { required: ['dispatcher'] }],
} as const;

/** The routes file schema, with a `steps` entry for each known step kind. */
export function routesFileSchema(kinds: readonly { key: string; schema: object }[]): object {
  const step = { type: 'object', additionalProperties: false, properties: Object.fromEntries(kinds.map((k) => [k.key, k.schema])), minProperties: 1, maxProperties: 1 };
  return { ...routesFileBase, $defs: { ...routesFileBase.$defs, step } };
}

const routesFileBase = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    dispatcher: {
      type: 'object',
      additionalProperties: false,
      properties: {
        list: { type: 'string', description: 'Path of a Kamailio dispatcher.list file, relative to the routes file' },
        inline: { type: 'string', description: 'dispatcher.list content inline' },
        table: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Table of the router database with Kamailio dispatcher columns (setid, destination, flags, priority, attrs); usually "dispatcher"' },
        probing: {
          type: 'object',
          additionalProperties: false,
          description: "Keepalive OPTIONS to the destinations, sent through an edge (Kamailio's ds_ping_* and ds_probing_* parameters)",
          properties: {
            ping_interval: { type: 'integer', minimum: 0, default: 0, description: 'Seconds between rounds; 0 = no probing (ds_ping_interval)' },
            probing_mode: { enum: [0, 1, 2, 3], default: 1, description: '0: only destinations flagged probing, until they are back; 1: every destination; 2: only inactive ones flagged probing; 3: flagged ones, continuously (ds_probing_mode)' },
            probing_threshold: { type: 'integer', minimum: 1, default: 1, description: 'Failed keepalives in a row before a destination goes inactive (ds_probing_threshold)' },
            inactive_threshold: { type: 'integer', minimum: 1, default: 1, description: 'Successful keepalives in a row before it is active again (ds_inactive_threshold)' },
            ping_reply_codes: { type: 'string', default: '', description: 'Replies besides 2xx that count as up, e.g. "class=3;code=403;code=488" (ds_ping_reply_codes); a 408 made locally never counts' },
            ping_from: { type: 'string', default: 'sip:dispatcher@localhost', description: 'From URI of the keepalives; a destination ping_from attribute wins (ds_ping_from)' },
            ping_timeout_ms: { type: 'integer', minimum: 100, maximum: 60000, default: 5000, description: 'Longest wait for a keepalive reply before it counts as failed' },
          },
        },
      },
    },
    policies: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_-]+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        description: 'A policy: `steps` run in order until one answers (404 No route when none does); `rules` alone is a policy of one rules step',
        properties: {
          rules: { type: 'array', items: { $ref: '#/$defs/rule' } },
          steps: { type: 'array', minItems: 1, items: { $ref: '#/$defs/step' } },
          shadow: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'Another policy of this file evaluated on the same requests: where its answer differs is counted and logged; only this policy answers' },
        },
        oneOf: [{ required: ['rules'] }, { required: ['steps'] }],
      },
    },
  },
  required: ['policies'],
  $defs: {
    rule: ruleSchema,
  },
} as const;

export interface RuleMatchSpec {
  method?: string | string[];
  ruri_user?: string;
  ruri_host?: string;
  from_user?: string;
  from_host?: string;
  to_user?: string;
  source_ip?: string;
}

export interface DispatcherActionSpec {
  set: number;
  algorithm?: string | number;
  failover?: boolean;
  routing?: 'serial' | 'parallel';
  limit?: number;
  use_default?: boolean;
  hash_pvar?: string;
  hash_user_only?: boolean;
}

export interface RuleSpec {
  name?: string;
  match?: RuleMatchSpec;
  routing?: 'serial' | 'parallel';
  routes?: Record<string, unknown>[];
  reply?: { code: number; reason: string; headers?: string[] };
  dispatcher?: DispatcherActionSpec;
  on_failure?: Record<string, unknown>;
  limit?: LimitSpec | LimitSpec[];
  record_route?: boolean;
  acc?: RouteAnswer['acc'];
  media?: RouteAnswer['media'];
}

export interface DefaultStepSpec {
  outbound_hint?: boolean;
  lookup_without_domain?: boolean;
}

/** Exactly one key is present, a step kind's (the schema says so). */
export type StepSpec = Readonly<Record<string, unknown>>;

export interface PolicySpec {
  rules?: RuleSpec[];
  steps?: StepSpec[];
  shadow?: string;
}

export interface ProbingSpec {
  ping_interval: number;
  probing_mode: 0 | 1 | 2 | 3;
  probing_threshold: number;
  inactive_threshold: number;
  ping_reply_codes: string;
  ping_from: string;
  ping_timeout_ms: number;
}

export interface RoutesFile {
  dispatcher?: { list?: string; inline?: string; table?: string; probing?: ProbingSpec };
  policies: Record<string, PolicySpec>;
}
