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
    ...serviceConfigSections({ adminPort: ROUTER_ADMIN_PORT }),
  },
} as const;

export interface RouterConfig extends ServiceConfig {
  id: string;
  routesFile: string;
  database: { url: string; migrate: boolean; notifyChannel: string };
  validateRequests: boolean;
}

export const routerEnvMap = {
  ...serviceEnvMap,
  SIPMESH_ROUTER_ID: 'id',
  SIPMESH_ROUTES_FILE: 'routesFile',
  SIPMESH_ROUTER_DATABASE_URL: 'database.url',
} as const;
