/**
 * The registration rules on the wire: REGISTERs written by the test (test/e2e/support/udp-phone.ts)
 * through the edge to the registrar, over NATS with the bindings in Redis and the subscribers in
 * PostgreSQL, and embedded. Refresh, removal of one contact and of all (`*`), replayed and stale
 * nonces, too-brief expiry, out-of-order CSeq, the contact limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';
import { UdpPhone, type Reply } from './support/udp-phone.js';

const MODES: BusMode[] = ['nats', 'local'];
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

describe.each(MODES)('registration rules over the %s bus', async (mode) => {
  if (mode === 'nats' && !((await requireInfra('nats')) && (await requireInfra('redis')) && (await requireInfra('postgres')))) return;
  const tag = `${process.pid}${mode === 'nats' ? 'n' : 'l'}r`;
  const user = `rules${tag}`;
  const password = 'rules-pw';
  let sipmesh: SipmeshUnderTest;
  let phone: UdpPhone;
  let dir: string;

  const admin = async (command: string, params: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${sipmesh.registrarAdminPorts[0]}${mode === 'local' ? '/registrar' : ''}/rpc/${command}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipmesh-rules-'));
    writeFileSync(join(dir, 'subscribers.csv'), `username,password\n${user},${password}\n`);
    const common = { 'auth.secret': `rules-${tag}`, 'auth.nonceLifetimeSec': 5, 'register.maxContacts': 3 };
    sipmesh = await startSipmesh({
      mode,
      routes: { rules: [], steps: [{ default: {} }] },
      registrar:
        mode === 'nats'
          ? { ...common, 'location.store': 'redis', 'location.keyPrefix': `sipmesh:e2e${tag}:loc:`, 'auth.redisKeyPrefix': `sipmesh:e2e${tag}:`, 'auth.credentials.source': 'database', 'database.url': PG_URL }
          : { ...common, 'auth.credentials.file': join(dir, 'subscribers.csv') },
    });
    if (mode === 'nats') {
      await admin('subscriber.rm', { username: user, domain: '127.0.0.1' });
      expect((await admin('subscriber.add', { username: user, domain: '127.0.0.1', password })).status).toBe(200);
    }
    phone = new UdpPhone(await freePort('udp'), sipmesh.sipPort);
    await phone.start();
  }, 90_000);

  afterAll(async () => {
    await phone?.stop();
    if (mode === 'nats' && sipmesh) await admin('subscriber.rm', { username: user, domain: '127.0.0.1' }).catch(() => undefined);
    await sipmesh?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (phone) await releasePorts(phone.port);
  });

  const contactsOf = (r: Reply): string[] => r.header('Contact').flatMap((v) => v.split(/,(?=\s*<)/)).map((c) => c.trim());
  const c1 = '<sip:rules@127.0.0.1:7001>';
  const c2 = '<sip:rules@127.0.0.1:7002>';

  it('refreshes, removes one contact with expires=0, and all of them with *', async () => {
    const callId = `refresh-${tag}`;
    const challenge = await phone.register({ user, callId, cseq: 1, contacts: [c1, c2] });
    expect(challenge.status).toBe(401);
    const ok = await phone.register({ user, callId, cseq: 2, contacts: [c1, c2], expires: 600, authorization: phone.answer(challenge, user, password, 1) });
    expect(ok.status).toBe(200);
    expect(contactsOf(ok).sort()).toEqual([`${c1};expires=600`, `${c2};expires=600`]);

    const refreshed = await phone.register({ user, callId, cseq: 3, contacts: [`${c1};expires=900`], authorization: phone.answer(challenge, user, password, 2) });
    expect(refreshed.status).toBe(200);
    expect(contactsOf(refreshed).sort()).toEqual([`${c1};expires=900`, `${c2};expires=600`]);

    const removedOne = await phone.register({ user, callId, cseq: 4, contacts: [`${c2};expires=0`], authorization: phone.answer(challenge, user, password, 3) });
    expect(removedOne.status).toBe(200);
    expect(contactsOf(removedOne)).toEqual([`${c1};expires=900`]);

    const removedAll = await phone.register({ user, callId, cseq: 5, contacts: ['*'], expires: 0, authorization: phone.answer(challenge, user, password, 4) });
    expect(removedAll.status).toBe(200);
    expect(contactsOf(removedAll)).toEqual([]);
    expect((await admin('ul.lookup', { aor: `${user}@127.0.0.1` })).status).toBe(404);
  });

  it('refuses a replayed nonce count with a new challenge (stale=true) and changes nothing', async () => {
    const callId = `replay-${tag}`;
    const challenge = await phone.register({ user, callId, cseq: 1 });
    const authorization = phone.answer(challenge, user, password, 1);
    expect((await phone.register({ user, callId, cseq: 2, contacts: [c1], authorization })).status).toBe(200);
    const replayed = await phone.register({ user, callId, cseq: 3, contacts: [c2], authorization });
    expect(replayed.status).toBe(401);
    expect(replayed.header('WWW-Authenticate')[0]).toMatch(/stale=true/);
    const lookup = await admin('ul.lookup', { aor: `${user}@127.0.0.1` });
    expect((lookup.body['Contacts'] as { Address: string }[]).map((c) => c.Address)).toEqual(['sip:rules@127.0.0.1:7001']);
    await admin('ul.rm', { aor: `${user}@127.0.0.1` });
  });

  it('answers a nonce past its lifetime with stale=true', async () => {
    const callId = `stale-${tag}`;
    const challenge = await phone.register({ user, callId, cseq: 1 });
    await new Promise((r) => setTimeout(r, 6000));
    const late = await phone.register({ user, callId, cseq: 2, contacts: [c1], authorization: phone.answer(challenge, user, password, 1) });
    expect(late.status).toBe(401);
    expect(late.header('WWW-Authenticate')[0]).toMatch(/stale=true/);
    // With the fresh nonce the same phone gets in.
    const ok = await phone.register({ user, callId, cseq: 3, contacts: [c1], authorization: phone.answer(late, user, password, 1) });
    expect(ok.status).toBe(200);
    await admin('ul.rm', { aor: `${user}@127.0.0.1` });
  }, 20_000);

  it('answers 423 with Min-Expires to a too-brief expiry, 400 to an out-of-order CSeq, 503 above the contact limit', async () => {
    const callId = `rules-${tag}`;
    const challenge = await phone.register({ user, callId, cseq: 1 });
    let nc = 0;
    const auth = (): string => phone.answer(challenge, user, password, ++nc);
    const brief = await phone.register({ user, callId, cseq: 2, contacts: [c1], expires: 10, authorization: auth() });
    expect(brief.status).toBe(423);
    expect(brief.header('Min-Expires')).toEqual(['60']);

    expect((await phone.register({ user, callId, cseq: 10, contacts: [c1], authorization: auth() })).status).toBe(200);
    const older = await phone.register({ user, callId, cseq: 5, contacts: [c1], authorization: auth() });
    expect(older.status).toBe(400);

    const four = ['<sip:a@127.0.0.1:7011>', '<sip:b@127.0.0.1:7012>', '<sip:c@127.0.0.1:7013>'];
    const tooMany = await phone.register({ user, callId, cseq: 11, contacts: four, authorization: auth() });
    expect(tooMany.status).toBe(503);
    expect(tooMany.header('P-Registrar-Error')).toEqual(['Too many registered contacts']);
    const lookup = await admin('ul.lookup', { aor: `${user}@127.0.0.1` });
    expect((lookup.body['Contacts'] as unknown[]).length).toBe(1);
    await admin('ul.rm', { aor: `${user}@127.0.0.1` });
  });
});
