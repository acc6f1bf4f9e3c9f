/**
 * sipmesh registering itself to upstream carriers (Kamailio uac's `uacreg` registrations, spec
 * §8.11). The registrar keeps each registration's state — Call-ID, CSeq, From tag, when it
 * expires — and an edge sends the REGISTERs (`sipmesh.edge(s).…rpc.request`), so the Contact
 * names that edge and the carrier's calls arrive there. Refreshes go through the same edge while
 * it runs; when it is gone the next edge takes over with a new Contact.
 *
 * Per registration: REGISTER → 401/407 → REGISTER with the stored credentials (CSeq + 1) → 2xx:
 * registered until the granted expiry, refreshed when at most `timerIntervalSec + 3` s remain (as
 * Kamailio's reg_timer_interval), or half the lifetime for short ones. Any failure is retried
 * after `retryIntervalSec`, doubling up to `maxRetryIntervalSec`. With several registrars only the
 * lease holder registers.
 */
import { randomBytes } from 'node:crypto';
import { subjects, type ContractValidators, type EdgeRequestParams, type EdgeRequestResult } from '@sipmesh/contracts';
import type { Bus, Logger } from '@sipmesh/runtime';
import type { Lease } from '../service/lease.js';
import { answerChallenge } from './digest-answer.js';
import { UAC_FLAG_DISABLED, type UacEntriesResult, type UacEntry } from './uac-entry.js';

export interface OutboundConfig {
  /** host[:port] written into every Contact (Kamailio reg_contact_addr); empty: the sending edge's address. */
  readonly contactAddr: string;
  readonly timerIntervalSec: number;
  readonly retryIntervalSec: number;
  readonly maxRetryIntervalSec: number;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

export interface OutboundDeps {
  readonly bus: Bus;
  readonly validators: ContractValidators;
  readonly logger: Logger;
  readonly lease: Lease;
  /** Reads the uacreg rows (table or file). */
  load(): Promise<UacEntriesResult>;
  /** Counts REGISTER outcomes: registered, failed, challenged. */
  count?(outcome: 'registered' | 'failed' | 'challenged'): void;
  now?(): number;
}

/** Kamailio's uac.reg_info state flags. */
export const UacState = { disabled: 1, inProgress: 2, registered: 4, authInProgress: 8, initialised: 16 } as const;

interface Registration {
  entry: UacEntry;
  flags: number;
  readonly callId: string;
  readonly fromTag: string;
  cseq: number;
  edge: string | undefined;
  contact: string | undefined;
  /** When the binding at the carrier ends (timer_expires), epoch ms. */
  expiresAtMs: number | undefined;
  grantedSec: number | undefined;
  /** When to send the next REGISTER, epoch ms; Infinity: never (disabled, expires 0). */
  nextAtMs: number;
  failures: number;
  lastStatus: number | undefined;
  lastReason: string | undefined;
}

class RegisterFailure extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
  }
}

export class OutboundRegistrations {
  private regs = new Map<string, Registration>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private ticking = false;
  private serial = 0;
  private readonly now: () => number;

  constructor(
    private readonly config: OutboundConfig,
    private readonly deps: OutboundDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Loads the registrations and starts registering; a load failure is returned, nothing runs. */
  async start(): Promise<UacEntriesResult> {
    const r = await this.reload();
    if (!r.ok) return r;
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
    void this.tick();
    return r;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
    await this.deps.lease.release();
  }

  /** uac.reg_reload: reads the rows again; unchanged registrations keep their state, changed ones start over. */
  async reload(): Promise<UacEntriesResult> {
    const r = await this.deps.load();
    if (!r.ok) return r;
    const next = new Map<string, Registration>();
    const now = this.now();
    for (const entry of r.entries) {
      const old = this.regs.get(entry.l_uuid);
      if (old && JSON.stringify(old.entry) === JSON.stringify(entry)) {
        next.set(entry.l_uuid, old);
        continue;
      }
      next.set(entry.l_uuid, this.fresh(entry, now));
    }
    // A registration that went away (or changed its account) is removed at the carrier, not left to run out.
    for (const [uuid, old] of this.regs) if (next.get(uuid) !== old && old.flags & UacState.registered) this.track(this.unregister(old));
    this.regs = next;
    this.deps.logger.info({ registrations: next.size }, 'outbound registrations loaded');
    return r;
  }

  /** One round now: every registration that is due is sent (the timer runs one every second). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (!(await this.deps.lease.hold(10_000))) return;
      const now = this.now();
      for (const reg of this.regs.values()) {
        if (reg.nextAtMs > now || reg.flags & (UacState.inProgress | UacState.disabled)) continue;
        this.track(this.register(reg));
      }
    } catch (e) {
      this.deps.logger.warn({ err: e }, 'outbound registrations: round failed; the next one retries');
    } finally {
      this.ticking = false;
    }
  }

  /** Waits for the REGISTERs in flight (admin and tests). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** uac.reg_refresh: registers again now. */
  refresh(uuid: string): boolean {
    const reg = this.regs.get(uuid);
    if (!reg || reg.flags & UacState.disabled) return false;
    reg.nextAtMs = this.now();
    void this.tick();
    return true;
  }

  /** uac.reg_enable / uac.reg_disable. Disabling removes the registration at the carrier (REGISTER with Expires: 0). */
  setEnabled(uuid: string, enabled: boolean): boolean {
    const reg = this.regs.get(uuid);
    if (!reg) return false;
    if (enabled) {
      reg.flags &= ~UacState.disabled;
      reg.nextAtMs = reg.entry.expires > 0 ? this.now() : Infinity;
      void this.tick();
    } else {
      const wasRegistered = (reg.flags & UacState.registered) !== 0;
      reg.flags = (reg.flags | UacState.disabled) & ~UacState.registered;
      reg.nextAtMs = Infinity;
      if (wasRegistered) this.track(this.unregister(reg));
    }
    return true;
  }

  /**
   * uac_reg_lookup: the local user a call from a carrier is for, when the Request-URI user is the
   * user part of one of our registered Contacts (l_uuid or contact_user).
   */
  localUserOf(contactUser: string): { user: string; domain: string } | undefined {
    for (const { entry } of this.regs.values()) {
      if (entry.l_uuid === contactUser || (entry.contact_user !== '' && entry.contact_user === contactUser)) return { user: entry.l_username, domain: entry.l_domain };
    }
    return undefined;
  }

  /** uac.reg_dump / uac.reg_info records, in Kamailio's field names plus sipmesh's state. */
  dump(): Record<string, unknown>[] {
    const now = this.now();
    return [...this.regs.values()].map((r) => this.info(r, now));
  }

  /** uac.reg_info <attr> <value>: attr l_uuid, l_username, r_username or auth_username. */
  find(attr: string, value: string): Record<string, unknown> | undefined {
    if (!['l_uuid', 'l_username', 'r_username', 'auth_username'].includes(attr)) return undefined;
    const reg = [...this.regs.values()].find((r) => r.entry[attr as 'l_uuid'] === value);
    return reg ? this.info(reg, this.now()) : undefined;
  }

  get size(): number {
    return this.regs.size;
  }

  private fresh(entry: UacEntry, now: number): Registration {
    const disabled = (entry.flags & UAC_FLAG_DISABLED) !== 0;
    const never = entry.expires === 0;
    return {
      entry,
      flags: disabled ? UacState.disabled : 0,
      callId: `${randomBytes(9).toString('base64url')}@sipmesh.uac`,
      fromTag: randomBytes(6).toString('hex'),
      cseq: 0,
      edge: undefined,
      contact: undefined,
      expiresAtMs: undefined,
      grantedSec: undefined,
      nextAtMs: disabled || never ? Infinity : now + entry.reg_delay * 1000,
      failures: 0,
      lastStatus: undefined,
      lastReason: undefined,
    };
  }

  private track(work: Promise<void>): void {
    const p = work.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** REGISTER with Expires: 0, answering the challenge like a registration; failures are only logged. */
  private async unregister(reg: Registration): Promise<void> {
    const e = reg.entry;
    try {
      const res = await this.exchange(reg, 0);
      reg.expiresAtMs = undefined;
      reg.lastStatus = res.status;
      reg.lastReason = res.status < 300 ? 'unregistered' : res.reason;
      this.deps.logger.info({ l_uuid: e.l_uuid, to: `${e.r_username}@${e.r_domain}`, status: res.status }, 'outbound registration: removed at the carrier');
    } catch (err) {
      this.deps.logger.warn({ l_uuid: e.l_uuid, reason: (err as Error).message }, 'outbound registration: could not remove it at the carrier; it runs out there');
    }
  }

  /** One REGISTER, and a second with credentials when the carrier challenges the first. */
  private async exchange(reg: Registration, expires: number): Promise<EdgeRequestResult> {
    const e = reg.entry;
    let res = await this.send(reg, undefined, expires);
    if (res.status === 401 || res.status === 407) {
      this.deps.count?.('challenged');
      const proxy = res.status === 407;
      const answer = answerChallenge(res.headers, proxy, { username: e.auth_username || e.r_username, ...(e.auth_ha1 ? { ha1: e.auth_ha1 } : { password: e.auth_password }), realm: e.realm }, { method: 'REGISTER', uri: this.requestUri(e) });
      if (!answer.ok) throw new RegisterFailure(res.status, answer.reason);
      reg.flags |= UacState.authInProgress;
      res = await this.send(reg, `${proxy ? 'Proxy-Authorization' : 'Authorization'}: ${answer.header}`, expires);
      if (res.status === 401 || res.status === 407) throw new RegisterFailure(res.status, 'credentials rejected');
    }
    return res;
  }

  private async register(reg: Registration): Promise<void> {
    reg.flags = (reg.flags | UacState.inProgress | UacState.initialised) & ~UacState.authInProgress;
    const e = reg.entry;
    try {
      const res = await this.exchange(reg, e.expires);
      if (res.status < 200 || res.status >= 300) throw new RegisterFailure(res.status, res.reason);
      const granted = grantedExpiry(res.headers, res.contact, e.expires);
      const now = this.now();
      reg.flags = (reg.flags | UacState.registered) & ~(UacState.inProgress | UacState.authInProgress);
      reg.grantedSec = granted;
      reg.expiresAtMs = now + granted * 1000;
      reg.failures = 0;
      reg.lastStatus = res.status;
      reg.lastReason = res.reason;
      const margin = Math.min(this.config.timerIntervalSec + 3, granted / 2);
      reg.nextAtMs = reg.flags & UacState.disabled ? Infinity : now + Math.max(1, granted - margin) * 1000;
      this.deps.count?.('registered');
      this.deps.logger.info({ l_uuid: e.l_uuid, to: `${e.r_username}@${e.r_domain}`, edge: reg.edge, expires: granted }, 'outbound registration: registered');
    } catch (err) {
      const status = err instanceof RegisterFailure ? err.status : 0;
      reg.flags &= ~(UacState.inProgress | UacState.authInProgress | UacState.registered);
      reg.failures++;
      reg.lastStatus = status || undefined;
      reg.lastReason = (err as Error).message;
      const delay = this.config.retryIntervalSec === 0 ? Infinity : Math.min(this.config.retryIntervalSec * 2 ** (reg.failures - 1), this.config.maxRetryIntervalSec) * 1000;
      reg.nextAtMs = reg.flags & UacState.disabled ? Infinity : this.now() + delay;
      this.deps.count?.('failed');
      this.deps.logger.warn({ l_uuid: e.l_uuid, to: `${e.r_username}@${e.r_domain}`, status, reason: reg.lastReason, retryInSec: delay / 1000 }, 'outbound registration failed');
    }
  }

  private requestUri(e: UacEntry): string {
    return `sip:${e.r_domain}`;
  }

  /** One REGISTER through the registration's edge (any edge the first time, or when it is gone). */
  private async send(reg: Registration, authorization: string | undefined, expires: number): Promise<EdgeRequestResult> {
    const e = reg.entry;
    reg.cseq++;
    const contactUser = e.contact_user || e.l_uuid;
    const contactAddr = e.contact_addr || this.config.contactAddr;
    const params: EdgeRequestParams = {
      method: 'REGISTER',
      uri: this.requestUri(e),
      ...(e.auth_proxy ? { dst_uri: e.auth_proxy } : {}),
      from: `sip:${e.r_username}@${e.r_domain}`,
      from_tag: reg.fromTag,
      to: `sip:${e.r_username}@${e.r_domain}`,
      call_id: reg.callId,
      cseq: reg.cseq,
      ...(contactAddr ? {} : { contact_user: contactUser }),
      headers: [
        ...(contactAddr ? [`Contact: <sip:${contactUser}@${contactAddr}>`] : []),
        `Expires: ${expires}`,
        ...(this.config.userAgent ? [`User-Agent: ${this.config.userAgent}`] : []),
        ...(authorization ? [authorization] : []),
      ],
      timeout_ms: this.config.timeoutMs,
    };
    const body = (): Buffer => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: `uacreg.${++this.serial}`, method: 'request', params }));
    let reply;
    try {
      reply = await this.deps.bus.request(reg.edge ? subjects.edgeRpc(reg.edge, 'request') : subjects.anyEdgeRpc('request'), body(), { timeoutMs: this.config.timeoutMs + 2000 });
    } catch (err) {
      if (!reg.edge) throw new RegisterFailure(0, `no edge to send it: ${(err as Error).message}`);
      // The edge that held the registration is gone: another one takes it over (a new Contact).
      this.deps.logger.info({ l_uuid: e.l_uuid, edge: reg.edge }, 'outbound registration: its edge is gone, moving to another');
      reg.edge = undefined;
      reg.contact = undefined;
      try {
        reply = await this.deps.bus.request(subjects.anyEdgeRpc('request'), body(), { timeoutMs: this.config.timeoutMs + 2000 });
      } catch (again) {
        throw new RegisterFailure(0, `no edge to send it: ${(again as Error).message}`);
      }
    }
    const v = this.deps.validators.edgeRequestResponse(reply.json<unknown>());
    if (!v.ok) throw new RegisterFailure(0, `edge answered out of contract: ${v.errors.join('; ')}`);
    if (!v.value.result) throw new RegisterFailure(0, `edge could not send it: ${v.value.error?.message ?? 'unknown error'}`);
    const res = v.value.result;
    if (res.local) throw new RegisterFailure(res.status, `${res.status} ${res.reason} (no answer from the carrier)`);
    reg.edge = res.edge;
    reg.contact = res.contact ?? (contactAddr ? `sip:${contactUser}@${contactAddr}` : undefined);
    return res;
  }

  private info(r: Registration, now: number): Record<string, unknown> {
    const e = r.entry;
    const state =
      r.flags & UacState.disabled ? 'disabled' : r.flags & UacState.inProgress ? 'in progress' : r.flags & UacState.registered ? 'registered' : r.failures > 0 ? 'waiting for retry' : e.expires === 0 ? 'not registered (expires 0)' : 'not registered yet';
    return {
      l_uuid: e.l_uuid,
      l_username: e.l_username,
      l_domain: e.l_domain,
      r_username: e.r_username,
      r_domain: e.r_domain,
      realm: e.realm,
      auth_username: e.auth_username,
      // Kamailio prints the secrets; an admin API has no business showing them.
      auth_password: e.auth_password ? '(set)' : '',
      auth_ha1: e.auth_ha1 ? '(set)' : '',
      auth_proxy: e.auth_proxy,
      expires: e.expires,
      flags: r.flags,
      diff_expires: r.expiresAtMs === undefined ? 0 : Math.max(0, Math.round((r.expiresAtMs - now) / 1000)),
      timer_expires: r.expiresAtMs === undefined ? 0 : Math.floor(r.expiresAtMs / 1000),
      reg_init: r.flags & UacState.initialised ? 1 : 0,
      reg_delay: e.reg_delay,
      contact_addr: e.contact_addr,
      contact_user: e.contact_user,
      socket: e.socket,
      state,
      edge: r.edge ?? '',
      contact: r.contact ?? '',
      last_status: r.lastStatus ?? 0,
      last_reason: r.lastReason ?? '',
      next_register_in: Number.isFinite(r.nextAtMs) ? Math.max(0, Math.round((r.nextAtMs - now) / 1000)) : -1,
    };
  }
}

/**
 * The lifetime the carrier granted: the `expires` parameter of our Contact in the 200 (RFC 3261
 * §10.2.4), else its Expires header, else what was asked.
 */
export function grantedExpiry(headers: readonly string[], contact: string | undefined, asked: number): number {
  let expiresHeader: number | undefined;
  for (const line of headers) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1);
    if (name === 'expires' && /^\s*\d+\s*$/.test(value)) expiresHeader = Number(value);
    if ((name === 'contact' || name === 'm') && contact) {
      const user = /^sips?:([^@;>]+)@/i.exec(contact)?.[1];
      for (const part of value.split(/,(?=\s*(?:"[^"]*"\s*)?<)/)) {
        const uri = /<([^>]+)>/.exec(part)?.[1] ?? part.trim().split(';')[0] ?? '';
        const same = uri.toLowerCase() === contact.toLowerCase() || (user !== undefined && uri.toLowerCase().startsWith(`sip:${user.toLowerCase()}@`));
        const m = /;\s*expires\s*=\s*(\d+)/i.exec(part.slice(part.indexOf('>') + 1));
        if (same && m) return Number(m[1]);
      }
    }
  }
  return expiresHeader ?? asked;
}
