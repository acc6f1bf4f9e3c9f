/** Router admin endpoints: `GET /policies`, `POST /reload` (Kamailio dispatcher.reload / kamcmd reload). */
import type { Express } from 'express';
import type { RouterApp } from '../app.js';

export function mountRouterAdmin(app: Express, router: RouterApp): void {
  app.get('/policies', (_req, res) => {
    res.json({ policies: router.service.policyNames });
  });
  app.post('/reload', async (_req, res) => {
    const r = await router.reload();
    if (r.ok) res.json({ status: 'reloaded', policies: r.policies });
    else res.status(422).json({ error: { code: 'ROUTER_ERR_RELOAD_REJECTED', message: 'routes file rejected; running policies kept', details: r.errors } });
  });
}
