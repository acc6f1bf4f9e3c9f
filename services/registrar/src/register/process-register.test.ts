/** REGISTER processing (RFC 3261 §10.3, RFC 3327, RFC 5626) over the memory store, and over Redis for concurrency. */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLocationStore, RedisLocationStore, type LocationStore } from '../location/index.js';
import { processRegister, type RegisterFacts } from './process-register.js';
import { DEFAULT_REGISTER_CONFIG, PathMode, type RegisterConfig } from './register-config.js';

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const AOR = 'alice@example.com';

function facts(over: Partial<RegisterFacts> = {}): RegisterFacts {
  return {
    aor: AOR,
    callId: 'call-a',
    cseq: 1,
    contacts: ['<sip:alice@192.0.2.10:5060>'],
    path: [],
    pathSupported: false,
    source: { ip: '198.51.100.7', port: 40001, transport: 'udp' },
    edge: 'edge1',
    socket: 'udp:10.0.0.1:5060',
    natDetected: false,
    now: T0,
    ...over,
  };
}

function header(headers: readonly string[], name: string): string[] {
  return headers.filter((h) => h.startsWith(`${name}: `)).map((h) => h.slice(name.length + 2));
}

let store: MemoryLocationStore;
let config: RegisterConfig;
let ruids = 0;
const register = (over: Partial<RegisterFacts> = {}, s: LocationStore = store) =>
  processRegister(s, facts(over), config, { newRuid: () => `ruid-${++ruids}` });

beforeEach(() => {
  store = new MemoryLocationStore({ clock: { now: () => T0 } });
  config = DEFAULT_REGISTER_CONFIG;
  ruids = 0;
});

describe('processRegister: adding, refreshing, querying', () => {
  it('binds a new contact and lists it with expires, Date and the stored facts', async () => {
    const r = await register({ userAgent: 'Yealink', connectionId: 7, allow: ['INVITE', 'BYE'] });
    expect(r.code).toBe(200);
    expect(r.reason).toBe('OK');
    expect(header(r.headers, 'Contact')).toEqual(['<sip:alice@192.0.2.10:5060>;expires=3600']);
    expect(header(r.headers, 'Date')).toEqual(['Tue, 01 Jan 2030 12:00:00 GMT']);
    expect(r.changes.added).toHaveLength(1);
    expect(await store.get(AOR)).toEqual([
      {
        aor: AOR,
        contact: 'sip:alice@192.0.2.10:5060',
        ruid: 'ruid-1',
        expiresAtMs: T0 + 3_600_000,
        q: undefined,
        callId: 'call-a',
        cseq: 1,
        edge: 'edge1',
        nat: false,
        lastModifiedMs: T0,
        userAgent: 'Yealink',
        socket: 'udp:10.0.0.1:5060',
        connectionId: 7,
        methods: ['INVITE', 'BYE'],
      },
    ]);
  });

  it('answers a REGISTER without Contact with the current bindings and their remaining time', async () => {
    await register({ contacts: ['<sip:alice@192.0.2.10>;q=0.5'] });
    const r = await register({ contacts: [], now: T0 + 100_500, cseq: 2 });
    expect(r.code).toBe(200);
    expect(header(r.headers, 'Contact')).toEqual(['<sip:alice@192.0.2.10>;expires=3500;q=0.5']);
    expect(r.changes).toEqual({ added: [], refreshed: [], removed: [] });
  });

  it('takes expires from the contact, else the Expires header, else the default, and cuts it to the maximum', async () => {
    const r = await register({
      contacts: ['<sip:a@192.0.2.1>;expires=120', '<sip:a@192.0.2.2>', 'sip:a@192.0.2.3;expires=100000'],
      expiresHeader: '300',
    });
    expect(header(r.headers, 'Contact').sort()).toEqual(['<sip:a@192.0.2.1>;expires=120', '<sip:a@192.0.2.2>;expires=300', '<sip:a@192.0.2.3>;expires=86400'].sort());
    const d = await register({ aor: 'dflt@example.com', contacts: ['<sip:d@192.0.2.4>'] });
    expect(header(d.headers, 'Contact')).toEqual(['<sip:d@192.0.2.4>;expires=3600']);
  });

  it('refreshes a contact with a higher CSeq, keeping its ruid', async () => {
    await register();
    const r = await register({ cseq: 2, now: T0 + 60_000, expiresHeader: '600' });
    expect(r.changes.refreshed.map((b) => b.ruid)).toEqual(['ruid-1']);
    expect(r.changes.added).toEqual([]);
    const [b] = await store.get(AOR);
    expect(b?.expiresAtMs).toBe(T0 + 660_000);
    expect(b?.cseq).toBe(2);
  });

  it('replaces a contact registered under another Call-ID (RFC 3261 §10.3 step 7)', async () => {
    await register({ cseq: 50 });
    const r = await register({ callId: 'call-b', cseq: 1, now: T0 + 1_000 });
    expect(r.code).toBe(200);
    expect(r.changes.refreshed).toHaveLength(1);
    expect((await store.get(AOR)).map((b) => [b.ruid, b.callId, b.cseq])).toEqual([['ruid-1', 'call-b', 1]]);
  });

  it('matches contacts by RFC 3261 URI equality, and one REGISTER naming a contact twice keeps one binding', async () => {
    await register({ contacts: ['<sip:alice@PC33.example.com;transport=TCP>'] });
    const r = await register({ cseq: 2, contacts: ['<sip:alice@pc33.example.com;transport=tcp>;expires=60', '<sip:alice@pc33.example.com;transport=tcp>;expires=90'] });
    expect(header(r.headers, 'Contact')).toEqual(['<sip:alice@pc33.example.com;transport=tcp>;expires=90']);
    expect(await store.get(AOR)).toHaveLength(1);
  });
});

describe('processRegister: removal', () => {
  it('removes one contact with expires=0 and keeps the others', async () => {
    await register({ contacts: ['<sip:a@192.0.2.1>', '<sip:a@192.0.2.2>'] });
    const r = await register({ cseq: 2, contacts: ['sip:a@192.0.2.1;expires=0'] });
    expect(r.changes.removed.map((b) => b.contact)).toEqual(['sip:a@192.0.2.1']);
    expect(header(r.headers, 'Contact')).toEqual(['<sip:a@192.0.2.2>;expires=3600']);
  });

  it('removes every binding with * and Expires: 0 (RFC 3261 §10.3 step 6)', async () => {
    await register({ contacts: ['<sip:a@192.0.2.1>', '<sip:a@192.0.2.2>'] });
    await register({ callId: 'other-phone', contacts: ['<sip:a@192.0.2.3>'] });
    const r = await register({ cseq: 2, contacts: ['*'], expiresHeader: '0' });
    expect(r.code).toBe(200);
    expect(r.changes.removed).toHaveLength(3);
    expect(header(r.headers, 'Contact')).toEqual([]);
    expect(await store.get(AOR)).toEqual([]);
  });

  it.each([
    [['*'], '3600', '* used in contact and expires is not zero'],
    [['*'], undefined, '* used in contact and expires is not zero'],
    [['*', '<sip:a@192.0.2.1>'], '0', '* used in contact and more than 1 contact'],
  ])('refuses %j with Expires %s: 400 Invalid Contact', async (contacts, expiresHeader, info) => {
    await register();
    const r = await register({ cseq: 2, contacts, ...(expiresHeader !== undefined ? { expiresHeader } : {}) });
    expect([r.code, r.reason]).toEqual([400, 'Invalid Contact']);
    expect(header(r.headers, 'P-Registrar-Error')).toEqual([info]);
    expect(await store.get(AOR)).toHaveLength(1);
  });
});

describe('processRegister: refusals change nothing', () => {
  it('answers a too short interval with 423 and Min-Expires, even when another contact was fine', async () => {
    const r = await register({ contacts: ['<sip:a@192.0.2.1>;expires=3600', '<sip:a@192.0.2.2>;expires=30'] });
    expect([r.code, r.reason]).toEqual([423, 'Interval Too Brief']);
    expect(header(r.headers, 'Min-Expires')).toEqual(['60']);
    expect(await store.get(AOR)).toEqual([]);
    expect((await register({ contacts: ['<sip:a@192.0.2.1>;expires=0'] })).code).toBe(200);
  });

  it('refuses an older CSeq of the same Call-ID with 400, and treats an equal one as a retransmission only briefly', async () => {
    await register({ cseq: 5 });
    const older = await register({ cseq: 4, expiresHeader: '60' });
    expect([older.code, header(older.headers, 'P-Registrar-Error')[0]]).toEqual([400, 'Invalid CSeq number']);
    const retransmitted = await register({ cseq: 5, expiresHeader: '60', now: T0 + 5_000 });
    expect(retransmitted.code).toBe(200);
    expect(retransmitted.changes).toEqual({ added: [], refreshed: [], removed: [] });
    expect(header(retransmitted.headers, 'Contact')).toEqual(['<sip:alice@192.0.2.10:5060>;expires=3595']);
    expect((await register({ cseq: 5, now: T0 + 21_000 })).code).toBe(400);
    expect((await store.get(AOR))[0]?.expiresAtMs).toBe(T0 + 3_600_000);
  });

  it('refuses a * that is older than a binding of the same Call-ID', async () => {
    await register({ cseq: 5 });
    const r = await register({ cseq: 3, contacts: ['*'], expiresHeader: '0' });
    expect(r.code).toBe(400);
    expect(await store.get(AOR)).toHaveLength(1);
  });

  it('answers more than max_contacts with 503 Too many registered contacts (Kamailio) and keeps the old set', async () => {
    config = { ...DEFAULT_REGISTER_CONFIG, maxContacts: 2 };
    await register({ contacts: ['<sip:a@192.0.2.1>', '<sip:a@192.0.2.2>'] });
    const r = await register({ callId: 'c2', contacts: ['<sip:a@192.0.2.3>'] });
    expect([r.code, r.reason, header(r.headers, 'P-Registrar-Error')[0]]).toEqual([503, 'Service Unavailable', 'Too many registered contacts']);
    expect(await store.get(AOR)).toHaveLength(2);
    // Replacing one within the limit is fine.
    const swap = await register({ cseq: 2, contacts: ['<sip:a@192.0.2.1>;expires=0', '<sip:a@192.0.2.3>'] });
    expect(swap.code).toBe(200);
    expect((await store.get(AOR)).map((b) => b.contact).sort()).toEqual(['sip:a@192.0.2.2', 'sip:a@192.0.2.3']);
  });

  it.each([
    [{ contacts: ['<sip:a@192.0.2.1'] }, 400, 'Contact parse error'],
    [{ contacts: ['<sip:a@192.0.2.1>;q=2'] }, 400, 'Invalid q param in contact'],
    [{ contacts: ['<sip:a@192.0.2.1>;expires=soon'] }, 400, 'Invalid expires param in contact'],
    [{ expiresHeader: 'tomorrow' }, 400, 'Expires parse error'],
    [{ aor: 'example.com' }, 400, 'No username in To URI'],
    [
      { contacts: ['<sip:a@192.0.2.1>;+sip.instance="<urn:uuid:1>";reg-id=1', '<sip:a@192.0.2.2>;+sip.instance="<urn:uuid:1>";reg-id=2'] },
      400,
      'More than one Contact with reg-id',
    ],
  ])('refuses %j with %i (%s)', async (over, code, info) => {
    const r = await register(over);
    expect(r.code).toBe(code);
    expect(header(r.headers, 'P-Registrar-Error')).toEqual([info]);
    expect(r.error).toBeDefined();
    expect(await store.get(AOR)).toEqual([]);
  });

  it('answers 500 when the location store fails', async () => {
    // Object.create(store) inherits every LocationStore method of `store`, so the cast only names what it is.
    const broken: LocationStore = Object.assign(Object.create(store) as LocationStore, {
      read: () => Promise.reject(new Error('connection refused')),
      get: () => Promise.reject(new Error('connection refused')),
    });
    const r = await register({}, broken);
    expect([r.code, r.reason, r.error?.code]).toEqual([500, 'Server Internal Error', 'REGISTRAR_ERR_LOCATION_STORE']);
    expect((await register({ contacts: [] }, broken)).code).toBe(500);
  });
});

describe('processRegister: RFC 5626 instances', () => {
  const INSTANCE = '<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>';

  it('replaces the binding of the same +sip.instance and reg-id even with another Contact URI, echoing both', async () => {
    await register({ contacts: [`<sip:alice@192.0.2.1:5060>;+sip.instance="${INSTANCE}";reg-id=1`] });
    const r = await register({ cseq: 2, contacts: [`<sip:alice@192.0.2.99:6000;transport=tcp>;+sip.instance="${INSTANCE}";reg-id=1`] });
    expect(header(r.headers, 'Contact')).toEqual([`<sip:alice@192.0.2.99:6000;transport=tcp>;expires=3600;+sip.instance="${INSTANCE}";reg-id=1`]);
    expect(r.changes.removed.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.1:5060']);
    expect(r.changes.added.map((b) => b.contact)).toEqual(['sip:alice@192.0.2.99:6000;transport=tcp']);
  });

  it('keeps one binding per reg-id, and drops the other flows when a flow re-registers after a restart (new Call-ID)', async () => {
    await register({ callId: 'flow1', contacts: [`<sip:alice@192.0.2.1>;+sip.instance="${INSTANCE}";reg-id=1`] });
    await register({ callId: 'flow2', contacts: [`<sip:alice@192.0.2.2>;+sip.instance="${INSTANCE}";reg-id=2`] });
    expect(await store.get(AOR)).toHaveLength(2);
    const r = await register({ callId: 'rebooted', contacts: [`<sip:alice@192.0.2.3>;+sip.instance="${INSTANCE}";reg-id=1`] });
    expect((await store.get(AOR)).map((b) => b.contact)).toEqual(['sip:alice@192.0.2.3']);
    expect(r.changes.removed).toHaveLength(2);
  });
});

describe('processRegister: NAT and Path', () => {
  it('stores and echoes the received address of a phone behind NAT, with the transport unless UDP', async () => {
    const udp = await register({ natDetected: true });
    expect(header(udp.headers, 'Contact')).toEqual(['<sip:alice@192.0.2.10:5060>;expires=3600;received="sip:198.51.100.7:40001"']);
    expect((await store.get(AOR))[0]).toMatchObject({ received: 'sip:198.51.100.7:40001', nat: true });
    await register({ aor: 'tcp@example.com', natDetected: true, source: { ip: '2001:db8::7', port: 5061, transport: 'tls' } });
    expect((await store.get('tcp@example.com'))[0]?.received).toBe('sip:[2001:db8::7]:5061;transport=tls');
  });

  it('stores Path and echoes it only to a phone that supports it (path_mode lazy)', async () => {
    const path = ['<sip:10.0.0.1:5060;lr;received=sip:198.51.100.7:40001>', '<sip:10.0.0.2;lr>'];
    const without = await register({ path });
    expect(header(without.headers, 'Path')).toEqual([]);
    expect((await store.get(AOR))[0]?.path).toEqual(path);
    const withSupport = await register({ cseq: 2, path, pathSupported: true });
    expect(header(withSupport.headers, 'Path')).toEqual(path);
  });

  it('refuses Path without Supported: path in strict mode, never echoes in off mode, and ignores Path without use_path', async () => {
    const path = ['<sip:10.0.0.1;lr>'];
    config = { ...DEFAULT_REGISTER_CONFIG, pathMode: PathMode.strict };
    const strict = await register({ path });
    expect([strict.code, strict.reason]).toEqual([420, 'Bad Extension']);
    expect(header(strict.headers, 'Unsupported')).toEqual(['path']);
    config = { ...DEFAULT_REGISTER_CONFIG, pathMode: PathMode.off };
    expect(header((await register({ path, pathSupported: true })).headers, 'Path')).toEqual([]);
    config = { ...DEFAULT_REGISTER_CONFIG, usePath: false };
    await register({ cseq: 2, path, pathSupported: true });
    expect((await store.get(AOR))[0]?.path).toBeUndefined();
  });
});

describe('processRegister: addresses of record', () => {
  it('stores user@domain with the domain lower-cased, or the user alone without domains', async () => {
    await register({ aor: 'Alice@EXAMPLE.com' });
    expect(await store.get('Alice@example.com')).toHaveLength(1);
    config = { ...DEFAULT_REGISTER_CONFIG, useDomain: false };
    await register({ aor: 'sip:1001@other.example.com:5060' });
    expect((await store.get('1001'))[0]?.aor).toBe('1001');
  });
});

describe('processRegister on Redis: several registrar processes at once', () => {
  const prefix = `sipmesh:test:${randomUUID().slice(0, 8)}:reg:`;
  const first = new Redis({ host: '127.0.0.1', port: 6379 });
  const second = new Redis({ host: '127.0.0.1', port: 6379 });
  afterAll(async () => {
    const keys = await first.keys(`${prefix}*`);
    if (keys.length > 0) await first.del(...keys);
    await Promise.all([first.quit(), second.quit()]);
  });

  it('keeps every contact of 16 simultaneous REGISTERs for one AoR, and the 200 of the last lists them all', async () => {
    const one = new RedisLocationStore({ redis: first, keyPrefix: prefix });
    const other = new RedisLocationStore({ redis: second, keyPrefix: prefix });
    const now = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        processRegister(i % 2 === 0 ? one : other, facts({ aor: 'busy@example.com', callId: `phone-${i}`, contacts: [`<sip:busy@192.0.2.${i + 1}>`], now })),
      ),
    );
    expect(outcomes.map((o) => o.code)).toEqual(Array.from({ length: 16 }, () => 200));
    expect(await one.get('busy@example.com')).toHaveLength(16);
    expect(Math.max(...outcomes.map((o) => header(o.headers, 'Contact').length))).toBe(16);
  });
});
