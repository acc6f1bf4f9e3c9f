/**
 * Registrar admin endpoints under `prefix` (empty in its own process, `/registrar` in embedded
 * mode beside the router's): every admin command at `POST <prefix>/rpc/<command>`, `GET
 * <prefix>/rpc` listing them, and `GET <prefix>/location/<aor>` as a shortcut for ul.lookup.
 */
import express, { type Express } from 'express';
import { mountAdminCommands } from '@sipmesh/runtime';
import type { RegistrarApp } from '../app.js';
import { ADMIN_COMMANDS } from './admin-commands.js';

export function mountRegistrarAdmin(app: Express, registrar: RegistrarApp, prefix: string): void {
  const router = express.Router();
  mountAdminCommands(router as unknown as Express, ADMIN_COMMANDS, registrar, 'REGISTRAR_ERR');
  router.get('/location/:aor', async (req, res) => {
    const lookup = ADMIN_COMMANDS.find((c) => c.name === 'ul.lookup');
    try {
      res.json(await lookup?.run({ aor: req.params.aor }, registrar));
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      res.status(status).json({ error: { code: 'REGISTRAR_ERR_COMMAND_FAILED', message: (e as Error).message } });
    }
  });
  if (prefix === '') app.use(router);
  else app.use(prefix, router);
}
