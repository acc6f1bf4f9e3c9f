/**
 * Router admin endpoints: `GET /policies`, `POST /reload` (Kamailio dispatcher.reload / kamcmd
 * reload), `GET /dispatcher/list` and `POST /dispatcher/set_state` in Kamailio's RPC shapes,
 * `POST /dispatcher/ping` for one keepalive round now, and every admin command at `POST /rpc/<command>`.
 */
import express, { type Express } from 'express';
import type { RouterApp } from '../app.js';
import { dispatcherListRpc, dispatcherSetStateRpc } from '../policy/dispatcher/dispatcher-rpc.js';
import { ADMIN_COMMANDS } from './admin-commands.js';
import { mountAdminCommands } from '@sipmesh/runtime';

export function mountRouterAdmin(app: Express, router: RouterApp): void {
  app.get('/policies', (_req, res) => {
    res.json({ policies: router.service.policyNames });
  });
  // Every admin command, as on the bus: POST /rpc/dialplan.translate {"dpid":1,"input":"102"}
  mountAdminCommands(app, ADMIN_COMMANDS, router, 'ROUTER_ERR');
  app.get('/dispatcher/list', (_req, res) => {
    res.json(dispatcherListRpc(router.dispatcher()));
  });
  app.post('/dispatcher/set_state', express.json(), (req, res) => {
    const body = (req.body ?? {}) as { state?: unknown; group?: unknown; address?: unknown };
    if (typeof body.state !== 'string' || typeof body.group !== 'number' || typeof body.address !== 'string') {
      res.status(400).json({ error: { code: 'ROUTER_ERR_BAD_REQUEST', message: 'expected {"state": "a|i|d|t[p]", "group": <set id>, "address": "<uri>|all"}' } });
      return;
    }
    const r = dispatcherSetStateRpc((g, a, st) => router.prober.setStateByAdmin(g, a, st), body.state, body.group, body.address);
    if (r.ok) res.json({ status: r.message });
    else res.status(r.message === 'Unknown State Value' ? 400 : 404).json({ error: { code: 'ROUTER_ERR_SET_STATE', message: r.message } });
  });
  app.post('/dispatcher/ping', async (_req, res) => {
    await router.prober.probeAll();
    res.json(dispatcherListRpc(router.dispatcher()));
  });
  app.post('/reload', async (_req, res) => {
    const r = await router.reload();
    if (r.ok) res.json({ status: 'reloaded', policies: r.policies });
    else res.status(422).json({ error: { code: 'ROUTER_ERR_RELOAD_REJECTED', message: 'routes file rejected; running policies kept', details: r.errors } });
  });
}
