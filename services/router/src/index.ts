export { createRouterApp } from './app.js';
export type { RouterApp, RouterAppOptions } from './app.js';
export { routerConfigSchema, routerEnvMap, ROUTER_ADMIN_PORT } from './config/router-config.js';
export type { RouterConfig } from './config/router-config.js';
export { mountRouterAdmin } from './service/router-admin.js';
export type { Policy } from './policy/policy.js';
export { StaticPolicy } from './policy/static/static-policy.js';
export { loadRoutesFile, compileRoutes } from './policy/static/load-routes-file.js';
export { parseDispatcherList } from './policy/dispatcher/dispatcher-list.js';
