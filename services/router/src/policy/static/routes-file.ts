/** Schema of the static routes file (YAML or JSON), validated once when the file is loaded. */
export const routesFileSchema = {
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
      },
    },
    policies: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z0-9_-]+$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { rules: { type: 'array', items: { $ref: '#/$defs/rule' } } },
        required: ['rules'],
      },
    },
  },
  required: ['policies'],
  $defs: {
    rule: {
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
            algorithm: { oneOf: [{ enum: ['hash-call-id', 'hash-from', 'hash-to', 'hash-ruri', 'round-robin', 'random', 'priority'] }, { type: 'integer' }] },
            failover: { type: 'boolean', default: true },
            routing: { enum: ['serial', 'parallel'] },
          },
          required: ['set'],
        },
        on_failure: { type: 'object' },
        record_route: { type: 'boolean' },
      },
      oneOf: [{ required: ['routes'] }, { required: ['reply'] }, { required: ['dispatcher'] }],
    },
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

export interface RuleSpec {
  name?: string;
  match?: RuleMatchSpec;
  routing?: 'serial' | 'parallel';
  routes?: Record<string, unknown>[];
  reply?: { code: number; reason: string; headers?: string[] };
  dispatcher?: { set: number; algorithm?: string | number; failover?: boolean; routing?: 'serial' | 'parallel' };
  on_failure?: Record<string, unknown>;
  record_route?: boolean;
}

export interface RoutesFile {
  dispatcher?: { list?: string; inline?: string };
  policies: Record<string, { rules: RuleSpec[] }>;
}
