/**
 * The router's admin commands, named as Kamailio's RPCs (kamcmd `dispatcher.list`,
 * `dialplan.translate 1 s:102`, `mtree.match routing 9196 0`…), served alike over the admin HTTP
 * API (`POST /rpc/<command>` with a JSON body of named parameters) and over the bus
 * (`sipmesh.admin.v1.router.<command>` answered by any one router, or
 * `sipmesh.admin.v1.router.<router-id>.<command>` by that one; JSON-RPC 2.0). Reload and ping act
 * on the router that got them, as kamcmd acts on one Kamailio; `dispatcher.set_state` is announced
 * on the dispatcher-state events and every router applies it.
 */
import { CommandError, intParam, isCallProfileName, stringParam, type AdminCommand as RuntimeAdminCommand } from '@sipmesh/runtime';
import type { RouterApp } from '../app.js';
import type { Dialplan } from '../policy/translate/dialplan.js';
import { dispatcherListRpc, dispatcherSetStateRpc } from '../policy/dispatcher/dispatcher-rpc.js';
import type { LcrTable } from '../policy/prefix/lcr.js';
import type { MTree } from '../policy/prefix/mtree.js';
import type { CarrierRouteTables } from '../policy/carrierroute/carrier-tables.js';
import type { GeoIpDatabase } from '../policy/geoip/geoip-database.js';
import type { PdtTable } from '../policy/translate/pdt.js';
import type { PrefixRouteTable } from '../policy/prefix/prefix-route.js';

export { CommandError };

export type AdminCommand = RuntimeAdminCommand<RouterApp>;

const str = stringParam;
const int = intParam;

function exposed<T>(router: RouterApp, kind: string, key: string): T {
  const data = router.exposed().get(kind)?.get(key);
  if (data === undefined) throw new CommandError(404, `no ${kind} ${key} is loaded (known: ${[...(router.exposed().get(kind)?.keys() ?? [])].join(', ') || 'none'})`);
  return data as T;
}

export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  { name: 'policies.list', help: 'Policies this router serves', run: (_p, r) => ({ policies: r.service.policyNames }) },
  {
    name: 'routes.reload',
    help: 'Reload the routes file and its data (the loaded data serves until the new is ready)',
    run: async (_p, r) => {
      const res = await r.reload();
      if (!res.ok) throw new CommandError(422, `routes rejected, running policies kept: ${res.errors.join('; ')}`);
      return { status: 'reloaded', policies: res.policies };
    },
  },
  { name: 'dispatcher.list', help: 'Dispatcher sets and destinations (Kamailio dispatcher.list)', run: (_p, r) => dispatcherListRpc(r.dispatcher()) },
  {
    name: 'dispatcher.set_state',
    help: 'params: state (a/i/d/t, p for probing), group, address (URI or all)',
    run: (p, r) => {
      const res = dispatcherSetStateRpc((g, a, st) => r.prober.setStateByAdmin(g, a, st), str(p, 'state'), int(p, 'group'), str(p, 'address'));
      if (!res.ok) throw new CommandError(res.message === 'Unknown State Value' ? 400 : 404, res.message);
      return { status: res.message };
    },
  },
  {
    name: 'dispatcher.ping',
    help: 'One keepalive round now; answers with the list',
    run: async (_p, r) => {
      await r.prober.probeAll();
      return dispatcherListRpc(r.dispatcher());
    },
  },
  {
    name: 'dialplan.translate',
    help: 'params: dpid, input — the rule that matches and its output (Kamailio dialplan.translate)',
    run: (p, r) => {
      const dpid = int(p, 'dpid');
      const input = str(p, 'input');
      const t = exposed<Dialplan>(r, 'dialplan', String(dpid)).translate(dpid, input);
      if (!t.ok) throw new CommandError(404, `no translation of ${input} in dpid ${dpid} (${t.failure})`);
      return { input, output: t.output, attrs: t.attrs };
    },
  },
  {
    name: 'dialplan.dump',
    help: 'params: dpid — its rules in the order they are tried',
    run: (p, r) => {
      const dpid = int(p, 'dpid');
      return { dpid, rules: exposed<Dialplan>(r, 'dialplan', String(dpid)).rules(dpid) };
    },
  },
  {
    name: 'mtree.match',
    help: 'params: tree, key, mode (0 longest, 2 all along the path)',
    run: (p, r) => {
      const tree = str(p, 'tree');
      const key = str(p, 'key');
      const mode = int(p, 'mode', 0) === 2 ? 'all' : 'longest';
      const m = exposed<MTree>(r, 'mtree', tree).match(key, mode);
      if (!m) throw new CommandError(404, `${key} matches no prefix of tree ${tree}`);
      return { tree, key, prefix: m.walked, values: m.values };
    },
  },
  {
    name: 'mtree.list',
    help: 'params: tree, prefix (optional: entries whose tprefix starts with it) — the tree\'s prefixes and values (Kamailio mtree.list)',
    run: (p, r) => {
      const tree = str(p, 'tree');
      const prefix = optionalStr(p, 'prefix') ?? '';
      const entries = [...exposed<MTree>(r, 'mtree', tree).entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { tree, entries: entries.map(([tprefix, tvalue]) => ({ tprefix, tvalue })) };
    },
  },
  {
    name: 'mtree.summary',
    help: 'params: tree — number of prefixes',
    run: (p, r) => {
      const tree = str(p, 'tree');
      return { tree, prefixes: exposed<MTree>(r, 'mtree', tree).size };
    },
  },
  {
    name: 'lcr.lookup',
    help: 'params: number, lcr_id (default 1), from (caller URI), ruri — the gateways in the order calls would try them',
    run: (p, r) => lcrGateways(r, int(p, 'lcr_id', 1), str(p, 'number'), optionalStr(p, 'from'), optionalStr(p, 'ruri')),
  },
  {
    name: 'lcr.load_gws',
    help: 'params: lcr_id, uri_user, caller_uri, request_uri — as lcr.lookup, under Kamailio\'s name and parameters',
    run: (p, r) => lcrGateways(r, int(p, 'lcr_id'), str(p, 'uri_user'), optionalStr(p, 'caller_uri'), optionalStr(p, 'request_uri')),
  },
  {
    name: 'lcr.dump_rules',
    help: 'params: lcr_id (default: every loaded instance), prefix (rules whose prefix starts with it) — the enabled rules with their targets (Kamailio lcr.dump_rules)',
    run: (p, r) => {
      const ids = p['lcr_id'] === undefined ? [...(r.exposed().get('lcr')?.keys() ?? [])] : [String(int(p, 'lcr_id'))];
      const prefix = optionalStr(p, 'prefix') ?? '';
      return { rules: ids.flatMap((id) => exposed<LcrTable>(r, 'lcr', id).dumpRules(prefix)) };
    },
  },
  {
    name: 'lcr.dump_gws',
    help: 'params: lcr_id (default: every loaded instance) — the gateways with their address, strip, prefix and defunct time (Kamailio lcr.dump_gws)',
    run: (p, r) => {
      const ids = p['lcr_id'] === undefined ? [...(r.exposed().get('lcr')?.keys() ?? [])] : [String(int(p, 'lcr_id'))];
      return {
        gateways: ids.flatMap((id) =>
          [...exposed<LcrTable>(r, 'lcr', id).gateways.values()].map((g) => ({
            lcr_id: Number(id),
            gw_id: g.id,
            gw_name: g.name,
            scheme: g.scheme,
            ip_addr: g.ip ?? '',
            hostname: g.hostname ?? '',
            port: g.port ?? 0,
            transport: g.transport ?? '',
            params: g.params,
            strip: g.strip,
            prefix: g.prefix,
            tag: g.tag,
            flags: g.flags,
            defunct_until: g.defunctUntil,
          })),
        ),
      };
    },
  },
  {
    name: 'pdt.list',
    help: 'params: sdomain, prefix, domain (each optional, "." = any) — the prefix-domain entries that match: prefix as a leading part, the others exactly (Kamailio pdt.list)',
    run: (p, r) => {
      const want = (name: string): string | undefined => {
        const v = p[name];
        if (v === undefined || v === '.' || v === '') return undefined;
        return str(p, name);
      };
      const [sdomain, prefix, domain] = [want('sdomain')?.toLowerCase(), want('prefix'), want('domain')];
      const tables = new Set([...(r.exposed().get('pdt')?.values() ?? [])] as PdtTable[]);
      if (tables.size === 0) throw new CommandError(404, 'no pdt is loaded');
      const seen = new Set<string>();
      const entries = [...tables].flatMap((t) => t.entries()).filter((e) => {
        const key = `${e.sdomain}\u0000${e.prefix}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return (sdomain === undefined || e.sdomain === sdomain) && (prefix === undefined || e.prefix.startsWith(prefix)) && (domain === undefined || e.domain === domain);
      });
      return { entries };
    },
  },
  {
    name: 'prefix_route.dump',
    help: 'The prefix → route entries of every prefix_route step, by step (Kamailio prefix_route.dump)',
    run: (_p, r) => {
      const tables = r.exposed().get('prefix_route');
      if (!tables || tables.size === 0) throw new CommandError(404, 'no prefix_route is loaded');
      return { tables: [...tables].map(([step, t]) => ({ step, entries: (t as PrefixRouteTable).entries() })) };
    },
  },
  // Kamailio reloads one module's table; here a reload reads the routes file and all its data.
  ...['dispatcher.reload', 'dialplan.reload', 'mtree.reload', 'lcr.reload', 'pdt.reload', 'drouting.reload', 'cr.reload', 'cr.reload_routes', 'prefix_route.reload', 'permissions.addressReload'].map(
    (name): AdminCommand => ({
      name,
      help: `Reloads the routes file and all its data (Kamailio ${name}; the loaded data serves until the new is ready)`,
      run: async (_p, r) => {
        const res = await r.reload();
        if (!res.ok) throw new CommandError(422, `routes rejected, running data kept: ${res.errors.join('; ')}`);
        return { status: 'ok' };
      },
    }),
  ),
  {
    name: 'geoip2.match',
    help: 'params: ip, path (when several databases are loaded) — what the database says of the address',
    run: (p, r) => {
      const ip = str(p, 'ip');
      const location = only<GeoIpDatabase>(r, 'geoip2', p['path']).lookup(ip);
      if (!location) throw new CommandError(404, `${ip} is not in the database`);
      return { ip, ...location };
    },
  },
  {
    name: 'dlg.profile_get_size',
    help: 'params: profile, value (optional: every value of the profile together) — calls counted now (Kamailio dlg.profile_get_size)',
    run: async (p, r) => {
      const profile = profileParam(p);
      const value = optionalStr(p, 'value');
      if (value !== undefined) return { profile, value, size: await r.calls.size(profile, value) };
      const values = await r.calls.list(profile);
      return { profile, size: values.reduce((sum, v) => sum + v.size, 0) };
    },
  },
  {
    name: 'dlg.profile_list',
    help: 'params: profile — its values with calls counted now, and how many each (Kamailio dlg.profile_list lists the dialogs themselves)',
    run: async (p, r) => {
      const profile = profileParam(p);
      return { profile, values: await r.calls.list(profile) };
    },
  },
  ...['carrierroute.dump', 'cr.dump_routes'].map(
    (name): AdminCommand => ({
      name,
      help: 'params: carrier (when several are loaded) — its routing domains, prefixes and rules (Kamailio cr.dump_routes)',
      run: (p, r) => ({ carriers: only<CarrierRouteTables>(r, 'carrierroute', p['carrier']).dump() }),
    }),
  ),
];

/** A call profile name, or 400 (the store would refuse it). */
function profileParam(p: Record<string, unknown>): string {
  const profile = str(p, 'profile');
  if (!isCallProfileName(profile)) throw new CommandError(400, `parameter profile: ${JSON.stringify(profile)} is not a profile name ([A-Za-z0-9_.-]+)`);
  return profile;
}

/** A string parameter that may be left out (undefined when absent or empty). */
function optionalStr(p: Record<string, unknown>, name: string): string | undefined {
  const v = p[name];
  return v === undefined || v === '' ? undefined : str(p, name);
}

/** The gateways a call to `user` would try, in order (lcr.lookup, lcr.load_gws). */
function lcrGateways(r: RouterApp, lcrId: number, user: string, from: string | undefined, ruri: string | undefined): unknown {
  const choices = exposed<LcrTable>(r, 'lcr', String(lcrId)).lookup({ user, callerUri: from ?? '', requestUri: ruri ?? `sip:${user}@localhost` }, { random: Math.random, nowSec: Math.floor(Date.now() / 1000) });
  return { number: user, gateways: choices.map((c) => ({ gw_name: c.gateway.name, rule_id: c.ruleId, ruri: c.ruri, dst_uri: c.dstUri ?? null })) };
}

/** The one loaded instance of `kind` when `key` is not given and there is exactly one. */
function only<T>(router: RouterApp, kind: string, key: unknown): T {
  if (typeof key === 'string' && key !== '') return exposed<T>(router, kind, key);
  const all = [...(router.exposed().get(kind)?.keys() ?? [])];
  if (all.length !== 1) throw new CommandError(400, all.length === 0 ? `no ${kind} is loaded` : `several ${kind} are loaded (${all.join(', ')}): name one`);
  return exposed<T>(router, kind, all[0] as string);
}
