export { accRows } from './acc-rows.js';
export type { AccRow, AccRows } from './acc-rows.js';
export { AccStore } from './acc-store.js';
export { createAccountingApp } from './app.js';
export type { AccountingApp } from './app.js';
export { accountingConfigSchema, accountingEnvMap, ACCOUNTING_ADMIN_PORT } from './config/accounting-config.js';
export type { AccountingConfig } from './config/accounting-config.js';
