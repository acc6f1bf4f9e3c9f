/**
 * media-control's admin commands, named as the Kamailio rtpengine module's RPCs where it has
 * one (`rtpengine.show`, `rtpengine.enable`, `rtpengine.ping`), served over the admin HTTP API
 * (`POST /rpc/<command>`) and over the bus (`sipmesh.admin.v1.media.<command>`, any one
 * media-control; `sipmesh.admin.v1.medias.<id>.<command>`, that one). Health is each process's
 * own view; enable/disable is shared (settings bucket), sessions come from the affinity store.
 */
import { CommandError, intParam, stringParam, type AdminCommand as RuntimeAdminCommand } from '@sipmesh/runtime';
import type { MediaControlApp } from '../app.js';

export type AdminCommand = RuntimeAdminCommand<MediaControlApp>;

function boolParam(p: Readonly<Record<string, unknown>>, name: string, fallback?: boolean): boolean {
  const v = p[name] ?? fallback;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === 0 || v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  throw new CommandError(400, `parameter ${name} (boolean, or 0/1) is missing`);
}

export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'rtpengine.show',
    help: 'Every rtpengine instance: sets and weights, state (up, down, unknown, disabled), failures, last ping RTT, sessions (affinity); params: stats (true: also ask each instance its own session count)',
    run: (p, app) => app.showInstances({ stats: boolParam(p, 'stats', false) }),
  },
  {
    name: 'rtpengine.enable',
    help: 'Disables (enable 0) or enables (1) an instance for new calls on every media-control; its calls keep being served (Kamailio rtpengine.enable); params: url (udp:host:port, host:port or all), enable',
    run: async (p, app) => {
      const changed = await app.setEnabled(stringParam(p, 'url'), boolParam(p, 'enable'));
      if (!changed.ok) throw new CommandError(404, changed.reason);
      return { instances: changed.instances };
    },
  },
  {
    name: 'rtpengine.ping',
    help: 'Pings every instance now and shows the result (the timer does it every health.pingIntervalMs)',
    run: async (_p, app) => ({ instances: await app.ping() }),
  },
  {
    name: 'media.sessions',
    help: 'Calls and the instance holding each (affinity store); params: limit (default 100), instance (host:port), rtpengine (true: also the Call-IDs each instance lists)',
    run: (p, app) => {
      const limit = intParam(p, 'limit', 100);
      if (limit < 1 || limit > 10_000) throw new CommandError(400, 'limit must be 1-10000');
      const instance = p['instance'];
      if (instance !== undefined && typeof instance !== 'string') throw new CommandError(400, 'parameter instance must be a string');
      return app.sessions({ limit, rtpengine: boolParam(p, 'rtpengine', false), ...(instance !== undefined ? { instance } : {}) });
    },
  },
  {
    name: 'media.query',
    help: "One call: its affinity entry and rtpengine's query reply (tags, streams, packet totals); params: call_id; 404 when unknown",
    run: async (p, app) => {
      const result = await app.query(stringParam(p, 'call_id'));
      if (result === undefined) throw new CommandError(404, `unknown call ${stringParam(p, 'call_id')}`);
      return result;
    },
  },
  {
    name: 'media.profiles',
    help: 'The flag profiles (built in and configured) with their ng keys per command',
    run: (_p, app) => ({
      profiles: [...app.profiles.values()].map((profile) => ({ name: profile.name, description: profile.description, builtIn: profile.builtIn, ...profile.flags })),
    }),
  },
];
