/**
 * Outbound registrations against a carrier that challenges, reached through an edge that answers
 * the edge-request contract on the in-process bus (the real edge's side of it is tested in the
 * edge, and both together end to end with SIPp as the carrier).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EDGE_QUEUE, subjects, type EdgeRequestParams, type EdgeRequestResult } from '@sipmesh/contracts';
import { createValidators } from '@sipmesh/contracts';
import { createLogger, LocalBus } from '@sipmesh/runtime';
import { DigestAuthenticator, digestConfig, FileCredentialSource, makeSubscriber } from '../auth/index.js';
import { Lease } from '../service/lease.js';
import { grantedExpiry, OutboundRegistrations, UacState } from './outbound-registrations.js';
import { uacEntriesFromRows, type UacEntry } from './uac-entry.js';

const ENTRY = { l_uuid: 'trunk-a', l_username: '1001', l_domain: 'example.com', r_username: 'acct1', r_domain: 'carrier.example', auth_username: 'acct1', auth_password: 's3cret', expires: 60 };

/** A carrier behind an edge `e1`: challenges, checks credentials, grants `grant` seconds. */
class Carrier {
  readonly seen: EdgeRequestParams[] = [];
  grant = 60;
  answer: 'normal' | 'silent' | 'forbidden' = 'normal';
  private readonly auth = new DigestAuthenticator({
    config: digestConfig({ secret: 'carrier', algorithms: ['MD5'] }),
    credentials: new FileCredentialSource([makeSubscriber({ username: 'acct1', domain: 'carrier.example', password: 's3cret' })], { useDomain: false }),
  });

  constructor(
    readonly bus: LocalBus,
    readonly edge = 'e1',
  ) {
    const handler = async (msg: { json<T>(): T; respond(d: Uint8Array): void }): Promise<void> => {
      const req = msg.json<{ id: string; params: EdgeRequestParams }>();
      const p = req.params;
      this.seen.push(p);
      const contact = `sip:${p.contact_user ?? 'x'}@192.0.2.10:5060;transport=udp`;
      const result = (status: number, reason: string, headers: string[] = [], local = false): EdgeRequestResult => ({ status, reason, local, headers, rtt_ms: 1, edge: this.edge, call_id: p.call_id ?? 'c', from_tag: p.from_tag ?? 't', contact });
      let r: EdgeRequestResult;
      if (this.answer === 'silent') r = result(408, 'Request Timeout', [], true);
      else if (this.answer === 'forbidden') r = result(403, 'Forbidden');
      else {
        const authz = (p.headers ?? []).filter((h) => h.startsWith('Authorization:')).map((h) => h.slice(14).trim());
        const v = await this.auth.authenticate({ method: 'REGISTER', requestUri: p.uri, credentialsHeaderValues: authz, realm: 'carrier.example', sourceIp: '192.0.2.10' });
        if (v.result === 'ok') r = result(200, 'OK', [`Contact: <${contact}>;expires=${this.grant}`, 'Expires: 9999']);
        else r = result(401, 'Unauthorized', [...this.auth.challengeHeaders('carrier.example', false, true).headers]);
      }
      msg.respond(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: r })));
    };
    this.subs = [bus.subscribe(subjects.anyEdgeRpc('request'), handler, { queue: EDGE_QUEUE }), bus.subscribe(subjects.edgeRpc(edge, 'request'), handler)];
  }

  private readonly subs: { unsubscribe(): void }[];

  /** The edge stops. */
  stop(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}

let running: OutboundRegistrations | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function start(bus: LocalBus, rows: Record<string, unknown>[], clock: { now: number }, retry = 30): OutboundRegistrations {
  const regs = new OutboundRegistrations(
    { contactAddr: '', timerIntervalSec: 10, retryIntervalSec: retry, maxRetryIntervalSec: 120, timeoutMs: 1000, userAgent: 'sipmesh' },
    { bus, validators: createValidators(), logger: createLogger({ service: 't', level: 'silent' }), lease: new Lease(undefined, 'l'), load: () => Promise.resolve(uacEntriesFromRows(rows)), now: () => clock.now },
  );
  running = regs;
  return regs;
}

async function round(regs: OutboundRegistrations): Promise<void> {
  await regs.tick();
  await regs.settle();
}

describe('outbound registration', () => {
  it('answers the challenge with the stored credentials and stays registered, refreshing before expiry', async () => {
    const bus = new LocalBus();
    const carrier = new Carrier(bus);
    const clock = { now: 1_000_000 };
    const regs = start(bus, [ENTRY], clock);
    await regs.reload();
    await round(regs);
    expect(carrier.seen.map((p) => [p.cseq, (p.headers ?? []).some((h) => h.startsWith('Authorization:'))])).toEqual([
      [1, false],
      [2, true],
    ]);
    const first = carrier.seen[0] as EdgeRequestParams;
    expect(first).toMatchObject({ method: 'REGISTER', uri: 'sip:carrier.example', from: 'sip:acct1@carrier.example', to: 'sip:acct1@carrier.example', contact_user: 'trunk-a' });
    expect(first.headers).toContain('Expires: 60');
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'registered', flags: UacState.registered | UacState.initialised, diff_expires: 60, edge: 'e1', auth_password: '(set)' });

    // Refreshed when at most timer interval + 3 s remain: not at 40 s, at 47 s; same Call-ID, CSeq going on.
    clock.now += 40_000;
    await round(regs);
    expect(carrier.seen).toHaveLength(2);
    clock.now += 7_000;
    await round(regs);
    expect(carrier.seen.map((p) => p.cseq)).toEqual([1, 2, 3, 4]);
    expect(new Set(carrier.seen.map((p) => p.call_id)).size).toBe(1);
    expect(new Set(carrier.seen.map((p) => p.from_tag)).size).toBe(1);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'registered', diff_expires: 60 });
  });

  it('retries a failed registration with growing back-off, and recovers', async () => {
    const bus = new LocalBus();
    const carrier = new Carrier(bus);
    carrier.answer = 'silent';
    const clock = { now: 5_000_000 };
    const regs = start(bus, [ENTRY], clock, 10);
    await regs.reload();
    await round(regs);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'waiting for retry', last_status: 408, next_register_in: 10 });
    clock.now += 10_000;
    await round(regs);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'waiting for retry', next_register_in: 20 });
    carrier.answer = 'normal';
    clock.now += 20_000;
    await round(regs);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'registered' });
  });

  it('gives up on credentials the carrier rejects, and on a realm that is not the configured one', async () => {
    const bus = new LocalBus();
    new Carrier(bus);
    const clock = { now: 1 };
    const regs = start(bus, [{ ...ENTRY, auth_password: 'wrong' }, { ...ENTRY, l_uuid: 'trunk-b', realm: 'elsewhere' }], clock);
    await regs.reload();
    await round(regs);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'waiting for retry', last_status: 401, last_reason: 'credentials rejected' });
    expect(regs.find('l_uuid', 'trunk-b')).toMatchObject({ state: 'waiting for retry', last_status: 401, last_reason: 'challenge realm carrier.example is not elsewhere' });
  });

  it('never registers a disabled entry or one with expires 0, and maps calls to the Contact back to the local user', async () => {
    const bus = new LocalBus();
    const carrier = new Carrier(bus);
    const regs = start(bus, [{ ...ENTRY, flags: 1 }, { ...ENTRY, l_uuid: 'trunk-b', expires: 0, contact_user: 'line2', l_username: '1002' }], { now: 1 });
    await regs.reload();
    await round(regs);
    expect(carrier.seen).toEqual([]);
    expect(regs.dump().map((r) => r['state'])).toEqual(['disabled', 'not registered (expires 0)']);
    expect(regs.localUserOf('trunk-a')).toEqual({ user: '1001', domain: 'example.com' });
    expect(regs.localUserOf('line2')).toEqual({ user: '1002', domain: 'example.com' });
    expect(regs.localUserOf('nobody')).toBeUndefined();
  });

  it('removes the registration at the carrier when it is disabled or dropped from the rows', async () => {
    const bus = new LocalBus();
    const carrier = new Carrier(bus);
    let rows: Record<string, unknown>[] = [ENTRY, { ...ENTRY, l_uuid: 'trunk-b' }];
    const regs = new OutboundRegistrations(
      { contactAddr: '', timerIntervalSec: 10, retryIntervalSec: 30, maxRetryIntervalSec: 120, timeoutMs: 1000, userAgent: '' },
      { bus, validators: createValidators(), logger: createLogger({ service: 't', level: 'silent' }), lease: new Lease(undefined, 'l'), load: () => Promise.resolve(uacEntriesFromRows(rows)), now: () => 1 },
    );
    running = regs;
    await regs.reload();
    await round(regs);
    expect(carrier.seen).toHaveLength(4);
    const expiresOf = (p: EdgeRequestParams): string | undefined => (p.headers ?? []).find((h) => h.startsWith('Expires:'));

    regs.setEnabled('trunk-a', false);
    await regs.settle();
    const a = carrier.seen.slice(4);
    expect(a.map((p) => [p.contact_user, expiresOf(p), p.cseq])).toEqual([
      ['trunk-a', 'Expires: 0', 3],
      ['trunk-a', 'Expires: 0', 4],
    ]);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ state: 'disabled', last_reason: 'unregistered' });

    rows = [ENTRY];
    await regs.reload();
    await regs.settle();
    expect(carrier.seen.slice(6).map((p) => [p.contact_user, expiresOf(p)])).toEqual([
      ['trunk-b', 'Expires: 0'],
      ['trunk-b', 'Expires: 0'],
    ]);
    expect(regs.size).toBe(1);
  });

  it('moves to another edge when the one that held the registration is gone', async () => {
    const bus = new LocalBus();
    const first = new Carrier(bus, 'e1');
    const clock = { now: 1_000 };
    const regs = start(bus, [ENTRY], clock);
    await regs.reload();
    await round(regs);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ edge: 'e1' });
    first.stop();
    const second = new Carrier(bus, 'e2');
    regs.refresh('trunk-a');
    await regs.settle();
    await round(regs);
    expect(second.seen.length).toBeGreaterThan(0);
    expect(regs.find('l_uuid', 'trunk-a')).toMatchObject({ edge: 'e2', state: 'registered' });
  });
});

describe('uacreg rows', () => {
  it('refuses rows a registration cannot be made from, naming them', () => {
    expect(uacEntriesFromRows([{ ...ENTRY, l_uuid: '' }])).toEqual({ ok: false, reason: 'row 1: l_uuid is empty' });
    expect(uacEntriesFromRows([ENTRY, ENTRY])).toEqual({ ok: false, reason: 'trunk-a: l_uuid appears twice' });
    expect(uacEntriesFromRows([{ ...ENTRY, auth_proxy: '10.0.0.1' }])).toMatchObject({ ok: false, reason: 'trunk-a: auth_proxy 10.0.0.1 is not a SIP URI' });
    expect(uacEntriesFromRows([{ ...ENTRY, expires: -1 }])).toMatchObject({ ok: false });
    const ok = uacEntriesFromRows([{ ...ENTRY, expires: '3600', flags: null }]);
    expect(ok.ok && (ok.entries[0] as UacEntry).expires).toBe(3600);
  });

  it('reads the granted expiry from our Contact in the 200, else Expires, else what was asked', () => {
    const mine = 'sip:trunk-a@192.0.2.10:5060;transport=udp';
    expect(grantedExpiry(['Contact: <sip:other@x>;expires=10, <sip:trunk-a@192.0.2.10:5060;transport=udp>;expires=120', 'Expires: 300'], mine, 3600)).toBe(120);
    expect(grantedExpiry(['Expires: 300'], mine, 3600)).toBe(300);
    expect(grantedExpiry([], mine, 3600)).toBe(3600);
  });
});
