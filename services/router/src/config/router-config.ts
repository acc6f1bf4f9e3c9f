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
    ...serviceConfigSections({ adminPort: ROUTER_ADMIN_PORT }),
  },
} as const;

export interface RouterConfig extends ServiceConfig {
  id: string;
  routesFile: string;
  validateRequests: boolean;
}

export const routerEnvMap = {
  ...serviceEnvMap,
  SIPMESH_ROUTER_ID: 'id',
  SIPMESH_ROUTES_FILE: 'routesFile',
} as const;
