export { createRegistrarApp } from './app.js';
export type { RegistrarApp, RegistrarAppOptions, SubscriberChange } from './app.js';
export { mountRegistrarAdmin } from './service/registrar-admin.js';
export { ADMIN_COMMANDS as REGISTRAR_ADMIN_COMMANDS } from './service/admin-commands.js';
export { REGISTRAR_ADMIN_PORT, registrarConfigSchema, registrarEnvMap } from './config/registrar-config.js';
export type { RegistrarConfig } from './config/registrar-config.js';
