/**
 * The admin commands on both faces, against a running router on the in-process bus: dialplan,
 * mtree, lcr and dispatcher commands give what kamcmd would, errors say what is missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { subjects } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, LocalBus, startAdminServer, type AdminServer } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterApp, type RouterApp } from '../app.js';
import { mountRouterAdmin } from './router-admin.js';
import { cityRecord, writeMmdb } from '../policy/geoip/mmdb-writer.fixture.js';

let dir: string;
let bus: LocalBus;
let router: RouterApp;
let admin: AdminServer;

const ROUTES = {
  dispatcher: { inline: '1 sip:192.0.2.10:5060\n1 sip:192.0.2.11:5060\n' },
  policies: {
    p: {
      steps: [
        { dialplan: { dpid: 1, source: { rows: [{ dpid: 1, pr: 0, match_op: 0, match_exp: '102', match_len: 0, subst_exp: '', repl_exp: '212341234', attrs: 'equal match' }] } } },
        { mtree: { tree: 'routing', source: { rows: [{ tprefix: '9', tvalue: '1' }, { tprefix: '91', tvalue: '2' }, { tprefix: '9196', tvalue: '3' }] } } },
        {
          lcr: {
            gateways: { rows: [{ id: 1, lcr_id: 1, gw_name: 'gw1', ip_addr: '192.0.2.20', port: 5060, uri_scheme: 1, transport: 1, strip: 0, prefix: '', defunct: 0 }] },
            rules: {
              rows: [
                { id: 1, lcr_id: 1, prefix: '44', stopper: 0, enabled: 1 },
                { id: 2, lcr_id: 1, prefix: '4420', from_uri: '^sip:1000@', stopper: 1, enabled: 1 },
                { id: 3, lcr_id: 1, prefix: '49', stopper: 0, enabled: 0 },
              ],
            },
            targets: { rows: [{ lcr_id: 1, rule_id: 1, gw_id: 1, priority: 1, weight: 1 }, { lcr_id: 1, rule_id: 2, gw_id: 1, priority: 2, weight: 10 }] },
          },
        },
        { pdt: { source: { rows: [{ sdomain: '*', prefix: '123', domain: 'rts.xswitch.cn' }, { sdomain: '*', prefix: '1239', domain: 'other.example' }, { sdomain: 'sip.xswitch.cn', prefix: '55', domain: 'gw.example' }] }, sdomain: 'from_domain', fallback: true } },
        {
          prefix_route: {
            source: { rows: [{ prefix: '021', route: 'SH' }, { prefix: '010', route: 'BJ' }] },
            routes: { BJ: { routes: [{ dst_uri: 'sip:kb-fs1:5080' }] }, SH: { reply: { code: 403, reason: 'Forbidden' } } },
          },
        },
        { geoip2: { path: 'city.mmdb' } },
        { dispatcher: { set: 1 } },
      ],
    },
  },
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-admin-'));
  writeFileSync(path.join(dir, 'routes.json'), JSON.stringify(ROUTES));
  writeFileSync(path.join(dir, 'city.mmdb'), writeMmdb([{ network: '81.2.69.0/24', data: cityRecord({ cc: 'GB', country: 'United Kingdom', city: 'London' }) }]));
  bus = new LocalBus();
  const registry = createMetricsRegistry({ service: 'router', processMetrics: false });
  router = await createRouterApp({ id: 'r7', routesFile: path.join(dir, 'routes.json'), validateRequests: true, bus, logger: createLogger({ service: 'router', level: 'silent' }), registry, tracing: false });
  admin = await startAdminServer({ host: '127.0.0.1', port: 0, registry, ready: () => ({ ready: true, reasons: [] }), routes: (app) => mountRouterAdmin(app, router) });
});

afterAll(async () => {
  await admin.close();
  await router.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

async function onBus(command: string, params: Record<string, unknown> = {}, instance?: string): Promise<{ result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  const subject = instance ? subjects.routerInstanceAdmin(instance, command) : subjects.routerAdmin(command);
  const reply = await bus.request(subject, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a1', params })), { timeoutMs: 2000 });
  return reply.json();
}

describe('router admin commands', () => {
  it('translates a number with dialplan as kamcmd dialplan.translate 1 s:102 does', async () => {
    expect((await onBus('dialplan.translate', { dpid: 1, input: '102' })).result).toEqual({ input: '102', output: '212341234', attrs: 'equal match' });
    expect((await onBus('dialplan.translate', { dpid: 1, input: '555' })).error?.code).toBe(404);
    expect((await onBus('dialplan.translate', { dpid: 9, input: '102' })).error?.message).toMatch(/no dialplan 9 is loaded \(known: 1\)/);
    expect((await onBus('dialplan.dump', { dpid: 1 })).result?.['rules']).toHaveLength(1);
  });

  it('matches mtree prefixes (9 / 91 / 9196), longest or all along the path', async () => {
    expect((await onBus('mtree.match', { tree: 'routing', key: '91961234', mode: 0 })).result).toEqual({ tree: 'routing', key: '91961234', prefix: '9196', values: ['3'] });
    expect((await onBus('mtree.match', { tree: 'routing', key: '91961234', mode: 2 })).result?.['values']).toEqual(['3', '2', '1']);
    expect((await onBus('mtree.match', { tree: 'routing', key: '8' })).error?.code).toBe(404);
  });

  it('lists the lcr gateways a number would try', async () => {
    const r = (await onBus('lcr.lookup', { number: '441000' })).result as { gateways: { gw_name: string; ruri: string }[] };
    expect(r.gateways.map((g) => g.gw_name)).toEqual(['gw1']);
    expect(r.gateways[0]?.ruri).toMatch(/^sip:441000@192\.0\.2\.20/);
  });

  it('answers lcr.load_gws and lcr.dump_rules with Kamailio\'s parameters and fields', async () => {
    const gws = (await onBus('lcr.load_gws', { lcr_id: 1, uri_user: '442000', caller_uri: 'sip:1000@example.com' })).result as { gateways: { gw_name: string; rule_id: number }[] };
    expect(gws.gateways.map((g) => `${g.gw_name} ${g.rule_id}`)).toEqual(['gw1 2']);
    expect((await onBus('lcr.load_gws', { uri_user: '44' })).error?.code).toBe(-32602);
    const all = (await onBus('lcr.dump_rules')).result as { rules: { id: number; prefix: string; from_uri: string; stopper: number; targets: unknown[] }[] };
    // the disabled rule 3 is not loaded, as in Kamailio
    expect(all.rules.map((r) => `${r.id} ${r.prefix} ${r.stopper}`)).toEqual(['1 44 0', '2 4420 1']);
    expect(all.rules[1]).toMatchObject({ lcr_id: 1, from_uri: '^sip:1000@', targets: [{ gw_id: 1, gw_name: 'gw1', priority: 2, weight: 10 }] });
    const some = (await onBus('lcr.dump_rules', { lcr_id: 1, prefix: '442' })).result as { rules: { id: number }[] };
    expect(some.rules.map((r) => r.id)).toEqual([2]);
  });

  it('lists mtree entries and prefix_route entries (kamcmd mtree.list, prefix_route.dump)', async () => {
    expect((await onBus('mtree.list', { tree: 'routing' })).result).toEqual({
      tree: 'routing',
      entries: [
        { tprefix: '9', tvalue: '1' },
        { tprefix: '91', tvalue: '2' },
        { tprefix: '9196', tvalue: '3' },
      ],
    });
    expect(((await onBus('mtree.list', { tree: 'routing', prefix: '91' })).result?.['entries'] as unknown[]).length).toBe(2);
    expect((await onBus('mtree.list', { tree: 'other' })).error?.code).toBe(404);
    const pr = (await onBus('prefix_route.dump')).result as { tables: { step: string; entries: unknown[] }[] };
    expect(pr.tables).toHaveLength(1);
    expect(pr.tables[0]?.entries).toEqual([
      { prefix: '010', route: 'BJ' },
      { prefix: '021', route: 'SH' },
    ]);
  });

  it('changes dispatcher state on the router addressed, seen in dispatcher.list', async () => {
    expect((await onBus('dispatcher.set_state', { state: 'i', group: 1, address: 'sip:192.0.2.11:5060' }, 'r7')).result).toEqual({ status: 'Ok. Dispatcher state updated.' });
    const list = (await onBus('dispatcher.list')).result as { RECORDS: { SET: { TARGETS: { DEST: { URI: string; FLAGS: string } }[] } }[] };
    const flags = Object.fromEntries(list.RECORDS.flatMap((r) => r.SET.TARGETS.map((t) => [t.DEST.URI, t.DEST.FLAGS])));
    expect(flags['sip:192.0.2.11:5060']?.charAt(0)).toBe('I');
    expect((await onBus('dispatcher.set_state', { state: 'x', group: 1, address: 'all' })).error?.code).toBe(-32602);
  });

  it('dumps the lcr gateways and lists pdt entries with filters, as kamcmd lcr.dump_gws and pdt.list do', async () => {
    const gws = (await onBus('lcr.dump_gws')).result as { gateways: Record<string, unknown>[] };
    expect(gws.gateways).toEqual([expect.objectContaining({ lcr_id: 1, gw_id: 1, gw_name: 'gw1', ip_addr: '192.0.2.20', port: 5060, transport: 'udp', defunct_until: 0 })]);
    const all = (await onBus('pdt.list')).result as { entries: { sdomain: string; prefix: string; domain: string }[] };
    expect(all.entries.map((e) => `${e.sdomain} ${e.prefix} ${e.domain}`)).toEqual(['* 123 rts.xswitch.cn', '* 1239 other.example', 'sip.xswitch.cn 55 gw.example']);
    const some = (await onBus('pdt.list', { sdomain: '*', prefix: '1239', domain: '.' })).result as { entries: unknown[] };
    expect(some.entries).toEqual([{ sdomain: '*', prefix: '1239', domain: 'other.example' }]);
  });

  it('reloads the data under the module names kamcmd uses', async () => {
    for (const name of ['dispatcher.reload', 'dialplan.reload', 'mtree.reload', 'lcr.reload', 'pdt.reload', 'cr.reload', 'cr.reload_routes', 'prefix_route.reload']) {
      expect((await onBus(name)).result, name).toEqual({ status: 'ok' });
    }
    expect((await onBus('dialplan.translate', { dpid: 1, input: '102' })).result?.['output']).toBe('212341234');
  });

  it('tells where an address is from the loaded geoip2 database', async () => {
    expect((await onBus('geoip2.match', { ip: '81.2.69.160' })).result).toMatchObject({ ip: '81.2.69.160', cc: 'GB', city: 'London' });
    expect((await onBus('geoip2.match', { ip: '10.0.0.1' })).error?.code).toBe(404);
    expect((await onBus('carrierroute.dump')).error?.message).toBe('no carrierroute is loaded');
    expect((await onBus('cr.dump_routes')).error?.message).toBe('no carrierroute is loaded');
  });

  it('serves the same commands over HTTP, and lists them', async () => {
    const post = (command: string, body: unknown): Promise<Response> => fetch(`${admin.url}/rpc/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post('dialplan.translate', { dpid: 1, input: '102' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ output: '212341234' });
    expect((await post('mtree.match', { tree: 'nope', key: '9' })).status).toBe(404);
    expect((await post('dialplan.translate', { input: '102' })).status).toBe(400);
    expect((await post('no.such', {})).status).toBe(404);
    const list = (await (await fetch(`${admin.url}/rpc`)).json()) as { commands: { name: string }[] };
    expect(list.commands.map((c) => c.name)).toContain('lcr.lookup');
  });
});
