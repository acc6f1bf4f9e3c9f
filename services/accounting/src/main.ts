/**
 * sipmesh accounting as its own process: `node services/accounting/dist/main.js --nats
 * nats://127.0.0.1:4222 [--config accounting.yaml] [--id accounting1] [--set path=value ...]`.
 */
import { createLogger, createMetricsRegistry, loadConfig, parseServiceArgs, runService, startAdminServer, type Stoppable } from '@sipmesh/runtime';
import { createAccountingApp } from './app.js';
import { cdrRoutes } from './cdr-query.js';
import { accountingConfigSchema, accountingEnvMap, type AccountingConfig } from './config/accounting-config.js';

const USAGE = 'usage: sipmesh-accounting --nats url [--config file.yaml] [--id accounting1] [--set path=value ...]';

void runService({
  name: 'accounting',
  start: async (): Promise<Stoppable[]> => {
    const args = parseServiceArgs(process.argv.slice(2), { id: 'id' });
    if (args.help) {
      console.log(USAGE);
      return [];
    }
    const file = args.configFile ?? process.env['SIPMESH_ACCOUNTING_CONFIG'];
    const config = loadConfig<AccountingConfig>({ schema: accountingConfigSchema, ...(file ? { file } : {}), env: process.env, envMap: accountingEnvMap, overrides: args.overrides }) as AccountingConfig;
    const logger = createLogger({ service: 'accounting', level: config.log.level, pretty: config.log.pretty, bindings: { accounting: config.id } });
    const registry = createMetricsRegistry({ service: 'accounting', labels: { instance: config.id } });
    const app = await createAccountingApp({ config, logger, registry });
    const stoppables: Stoppable[] = [{ name: 'accounting', stop: () => app.stop() }];
    if (config.admin.enabled) {
      const admin = await startAdminServer({ host: config.admin.host, port: config.admin.port, registry, ready: () => ({ ready: true, reasons: [] }), routes: cdrRoutes(app.pool) });
      logger.info({ url: admin.url }, 'admin HTTP listening');
      stoppables.push({ name: 'admin', stop: () => admin.close() });
    }
    return stoppables;
  },
});
