/**
 * The registrar's admin commands, named as Kamailio's RPCs and kamctl actions (`ul.dump`,
 * `ul.lookup location 1001@example.com`, `kamctl add 1001 secret`...), served alike over the admin
 * HTTP API (`POST /rpc/<command>` with a JSON body of named parameters) and over the bus
 * (`sipmesh.admin.v1.registrar.<command>` answered by any one registrar, or
 * `sipmesh.admin.v1.registrars.<registrar-id>.<command>` by that one). The location and the
 * subscriber table are shared, so any registrar answers for all of them.
 */
import { CommandError, stringParam, type AdminCommand as RuntimeAdminCommand } from '@sipmesh/runtime';
import type { RegistrarApp, SubscriberChange } from '../app.js';
import { canonicalAor } from '../register/index.js';
import { adminContact } from './location-view.js';

export type AdminCommand = RuntimeAdminCommand<RegistrarApp>;

const str = stringParam;

function aorParam(p: Readonly<Record<string, unknown>>, r: RegistrarApp): string {
  const raw = str(p, 'aor');
  const aor = canonicalAor(raw, r.useDomain);
  if (!aor.ok) throw new CommandError(400, `aor: ${aor.reason}`);
  return aor.aor;
}

/** kamctl's `user[@domain]` argument, or `username` and `domain` parameters. */
function subscriberParams(p: Readonly<Record<string, unknown>>): { username: string; domain: string } {
  const user = str(p, 'username');
  const at = user.indexOf('@');
  if (at > 0) return { username: user.slice(0, at), domain: user.slice(at + 1) };
  const domain = p['domain'];
  if (domain !== undefined && typeof domain !== 'string') throw new CommandError(400, 'parameter domain must be a string');
  return { username: user, domain: domain ?? '' };
}

function changed(r: SubscriberChange, what: string): { status: string } {
  if (!r.ok) throw new CommandError(r.status, r.message);
  return { status: what };
}

export const ADMIN_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'ul.dump',
    help: 'Every AoR with its contacts (Kamailio ul.dump); params: brief (true: AoRs and contact URIs only)',
    run: async (p, r) => {
      const now = Date.now();
      const brief = p['brief'] === true || p['brief'] === 'brief';
      const records: unknown[] = [];
      let contacts = 0;
      for await (const rec of r.store.dump()) {
        contacts += rec.bindings.length;
        records.push({ AoR: rec.aor, Contacts: rec.bindings.map((b) => (brief ? { Address: b.contact } : adminContact(b, now))) });
      }
      return { Domains: [{ Domain: 'location', AoRs: records.length, Contacts: contacts, Records: records }] };
    },
  },
  {
    name: 'ul.lookup',
    help: 'Contacts of one AoR (Kamailio ul.lookup location <aor>); params: aor; 404 when none',
    run: async (p, r) => {
      const aor = aorParam(p, r);
      const now = Date.now();
      const bindings = await r.store.get(aor);
      if (bindings.length === 0) throw new CommandError(404, `AOR not found: ${aor}`);
      return { AoR: aor, Contacts: bindings.map((b) => adminContact(b, now)) };
    },
  },
  {
    name: 'ul.rm',
    help: 'Removes every contact of an AoR (Kamailio ul.rm location <aor>); params: aor',
    run: async (p, r) => {
      const aor = aorParam(p, r);
      const removed = await r.removeBindings(aor);
      if (removed.length === 0) throw new CommandError(404, `AOR not found: ${aor}`);
      return { status: 'ok', removed: removed.length };
    },
  },
  {
    name: 'ul.rm_contact',
    help: 'Removes one contact of an AoR (Kamailio ul.rm_contact location <aor> <contact>); params: aor, contact',
    run: async (p, r) => {
      const aor = aorParam(p, r);
      const removed = await r.removeBindings(aor, str(p, 'contact'));
      if (removed.length === 0) throw new CommandError(404, `no contact ${str(p, 'contact')} for ${aor}`);
      return { status: 'ok', removed: removed.length };
    },
  },
  {
    name: 'ul.count',
    help: 'Number of AoRs and of contacts registered (walks the location store)',
    run: async (_p, r) => {
      const c = await r.store.count();
      return { aors: c.aors, contacts: c.bindings };
    },
  },
  {
    name: 'ul.sweep',
    help: 'Removes expired contacts now (the timer does it every location.sweepIntervalMs)',
    run: async (_p, r) => {
      const s = await r.sweep();
      return { aors: s.aors, expired: s.bindings };
    },
  },
  {
    name: 'nat.ping',
    help: 'One NAT keep-alive round now: OPTIONS to every binding behind NAT from its edge (the timer runs one every nat.keepalive.intervalSec)',
    run: (_p, r) => r.natPing(),
  },
  {
    name: 'uac.reg_dump',
    help: 'Every outbound registration with its state (Kamailio uac.reg_dump; secrets shown as "(set)")',
    run: async (_p, r) => {
      await r.uac.settle();
      return r.uac.dump();
    },
  },
  {
    name: 'uac.reg_info',
    help: 'One outbound registration (Kamailio uac.reg_info); params: attr (l_uuid, l_username, r_username, auth_username), val',
    run: (p, r) => {
      const attr = str(p, 'attr');
      const found = r.uac.find(attr, str(p, 'val'));
      if (!found) throw new CommandError(404, `no registration with ${attr} = ${str(p, 'val')}`);
      return found;
    },
  },
  {
    name: 'uac.reg_reload',
    help: 'Reads the uacreg table or file again; unchanged registrations keep their state, removed or changed ones are unregistered at the carrier (Kamailio uac.reg_reload)',
    run: async (_p, r) => {
      const res = await r.uac.reload();
      if (!res.ok) throw new CommandError(422, `uacreg not reloaded, the loaded registrations stay: ${res.reason}`);
      return { status: 'reloaded', registrations: r.uac.size };
    },
  },
  {
    name: 'uac.reg_refresh',
    help: 'Registers one registration again now (Kamailio uac.reg_refresh); params: l_uuid',
    run: (p, r) => {
      if (!r.uac.refresh(str(p, 'l_uuid'))) throw new CommandError(404, `no enabled registration ${str(p, 'l_uuid')}`);
      return { status: 'refreshing' };
    },
  },
  {
    name: 'uac.reg_enable',
    help: 'Enables a registration and registers it (Kamailio uac.reg_enable); params: l_uuid',
    run: (p, r) => {
      if (!r.uac.setEnabled(str(p, 'l_uuid'), true)) throw new CommandError(404, `no registration ${str(p, 'l_uuid')}`);
      return { status: 'enabled' };
    },
  },
  {
    name: 'uac.reg_disable',
    help: 'Removes a registration at the carrier (REGISTER with Expires: 0) and stops refreshing it (Kamailio uac.reg_disable); params: l_uuid',
    run: (p, r) => {
      if (!r.uac.setEnabled(str(p, 'l_uuid'), false)) throw new CommandError(404, `no registration ${str(p, 'l_uuid')}`);
      return { status: 'disabled' };
    },
  },
  {
    name: 'subscriber.add',
    help: 'Adds a subscriber (kamctl add); params: username (user or user@domain), domain, password; database source only',
    run: async (p, r) => {
      const s = subscriberParams(p);
      return changed(await r.addSubscriber(s.username, s.domain, str(p, 'password')), 'added');
    },
  },
  {
    name: 'subscriber.rm',
    help: 'Removes a subscriber (kamctl rm); params: username, domain; database source only',
    run: async (p, r) => {
      const s = subscriberParams(p);
      return changed(await r.removeSubscriber(s.username, s.domain), 'removed');
    },
  },
  {
    name: 'subscriber.passwd',
    help: 'Changes a password (kamctl passwd); params: username, domain, password; database source only',
    run: async (p, r) => {
      const s = subscriberParams(p);
      return changed(await r.setPassword(s.username, s.domain, str(p, 'password')), 'changed');
    },
  },
  {
    name: 'subscriber.reload',
    help: 'Reads the subscriber file or table again (the loaded subscribers stay when it fails)',
    run: async (_p, r) => {
      const res = await r.reloadSubscribers();
      if (!res.ok) throw new CommandError(422, `subscribers not reloaded, the loaded ones stay: ${res.error}`);
      return { status: 'reloaded', subscribers: res.subscribers, source: r.credentialSource };
    },
  },
];
