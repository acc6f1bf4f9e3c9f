/** Router configuration: the routes file and request handling, plus the common service sections. */
import { serviceConfigSections, serviceEnvMap, type ServiceConfig } from '@sipmesh/runtime';

export const ROUTER_ADMIN_PORT = 9070;

export const routerConfigSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'router1', description: 'Router instance id (logs, metrics, NATS connection name)' },
    routesFile: { type: 'string', default: 'config/routes.yaml', description: 'Static routes file (YAML or JSON): policies, rules, dispatcher sets; relative to the working directory. Its content reloads on SIGHUP or POST /reload (admin), the running policies stay when the new content is wrong' },
    validateRequests: { type: 'boolean', default: true, description: 'Validate every route request against the contract schema before deciding' },
    database: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: '', description: 'PostgreSQL connection string of the routing data (Kamailio-compatible tables read by steps with a `table` source); empty: files only' },
        migrate: { type: 'boolean', default: true, description: 'Create missing tables (Kamailio schemas) at start' },
        notifyChannel: { type: 'string', pattern: '^[a-z_][a-z0-9_]*$', default: 'sipmesh_routes', description: 'LISTEN channel: `NOTIFY sipmesh_routes` after changing routing tables reloads every router (the running data serves until the new is loaded)' },
      },
    },
    calls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Concurrent-call limits (rules with `limit`, Kamailio dialog profiles): where calls are counted',
      properties: {
        store: { enum: ['memory', 'redis'], default: 'memory', description: 'memory: counted in this router only (embedded, one router); redis: shared by every router, so a limit holds whichever router and edge a call reaches' },
        redisUrl: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'Redis of the redis store; unreachable at start stops the router' },
        keyPrefix: { type: 'string', default: 'sipmesh:calls:', description: 'Prefix of every call-profile key in Redis; whoever removes ended calls (accounting) must use the same' },
        timeoutMs: { type: 'integer', minimum: 10, default: 1000, 'x-unit': 'ms', description: 'Longest wait for the redis store per call; a slower or unreachable store answers 500 Exceeded Max Allowed Active Calls. Keep it below the edge route.deadlineMs' },
        maxDurationS: {
          type: 'integer',
          minimum: 1,
          default: 43200,
          'x-unit': 's',
          description: "How long a counted call holds its slot when its end never arrives (an edge lost for good): the edge's longest dialog (Kamailio dialog default_timeout)",
        },
      },
    },
    ...serviceConfigSections({ adminPort: ROUTER_ADMIN_PORT }),
  },
} as const;

export interface RouterConfig extends ServiceConfig {
  id: string;
  routesFile: string;
  database: { url: string; migrate: boolean; notifyChannel: string };
  validateRequests: boolean;
  calls: { store: 'memory' | 'redis'; redisUrl: string; keyPrefix: string; timeoutMs: number; maxDurationS: number };
}

export const routerEnvMap = {
  ...serviceEnvMap,
  SIPMESH_ROUTER_ID: 'id',
  SIPMESH_ROUTES_FILE: 'routesFile',
  SIPMESH_ROUTER_DATABASE_URL: 'database.url',
  SIPMESH_ROUTER_CALLS_STORE: 'calls.store',
  SIPMESH_ROUTER_CALLS_REDIS_URL: 'calls.redisUrl',
} as const;
