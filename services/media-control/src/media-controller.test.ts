/**
 * The controller's routing against fake rtpengines: new calls, affinity, failover, the calls
 * of a down instance, unknown calls, and the mapping of every failure to its error kind.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CONTRACT_VERSION, type MediaParams } from '@sipmesh/contracts';
import { createLogger } from '@sipmesh/runtime';
import { MemoryAffinityStore } from './affinity.js';
import { parseRtpengineUrl } from './config/media-config.js';
import { startFakeRtpengine, type FakeRtpengine } from './fake-rtpengine.fixture.js';
import { HealthInput } from './health.js';
import { InstancePool } from './instances.js';
import { MediaController, MediaError, MediaErrorKind, type MediaObserver } from './media-controller.js';
import { NgClient } from './ng/ng-client.js';
import { compileProfiles } from './profiles.js';

const logger = createLogger({ service: 'test', level: 'silent' });
let fakes: FakeRtpengine[];
let ng: NgClient;
let pool: InstancePool;
let affinity: MemoryAffinityStore;
let controller: MediaController;
let failovers: string[];
let seq = 0;

async function setUp(weights: number[], sets: Record<string, number[]> = {}): Promise<void> {
  fakes = [];
  for (let i = 0; i < weights.length; i++) fakes.push(await startFakeRtpengine());
  const member = (i: number, weight: number) => {
    const parsed = parseRtpengineUrl(`${fakes[i]!.key}=${weight}`);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  };
  const setMap = new Map([['default', weights.map((w, i) => member(i, w))]]);
  for (const [name, indexes] of Object.entries(sets)) setMap.set(name, indexes.map((i) => member(i, 1)));
  ng = new NgClient({ timeoutMs: 300, retransmitMs: 50 });
  pool = new InstancePool({ sets: setMap, ping: (i, o) => ng.ping(i, o), health: { pingIntervalMs: 60_000, pingTimeoutMs: 200, downAfterFailures: 1, upAfterSuccesses: 1 } });
  await pool.pingAll();
  affinity = new MemoryAffinityStore(3600);
  failovers = [];
  const observer: MediaObserver = { ngCommand: () => undefined, failover: (set, from, reason) => failovers.push(`${set} ${from} ${reason}`) };
  controller = new MediaController({ ng, pool, affinity, profiles: compileProfiles({}), defaultSet: 'default', logger, observer });
}

afterEach(async () => {
  await ng.close();
  await Promise.all(fakes.map((f) => f.close()));
});

function params(extra: Partial<MediaParams> = {}): MediaParams {
  return { version: CONTRACT_VERSION, call_id: `call-${++seq}@test`, from_tag: 'alice', sdp: 'v=0\r\n', ...extra };
}

async function mediaError(promise: Promise<unknown>): Promise<MediaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MediaError);
    return error as MediaError;
  }
  throw new Error('resolved, a MediaError was expected');
}

const lastOf = (fake: FakeRtpengine, command: string) => fake.commands.filter((c) => c.command === command).at(-1)?.body;

describe('routing', () => {
  beforeEach(() => setUp([1, 1]));

  test('a new call goes to the weighted pick, its answer and delete follow it', async () => {
    const p = params();
    const offer = await controller.offer(p);
    expect(offer).toMatchObject({ version: CONTRACT_VERSION, instance: fakes[0]!.key });
    expect(offer.sdp).toContain('m=audio');
    expect((await affinity.get(p.call_id))?.instance).toBe(fakes[0]!.key);
    // The next new call goes to the other instance (round robin).
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
    const answer = await controller.answer({ ...p, to_tag: 'bob', sdp: 'v=0\r\n' });
    expect(answer.instance).toBe(fakes[0]!.key);
    expect(await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice' })).toEqual({ version: CONTRACT_VERSION, instance: fakes[0]!.key, deleted: true });
    expect(await affinity.get(p.call_id)).toBeUndefined();
  });

  test('ng arguments: owned keys from the request, flags and profiles, load limit on new offers only', async () => {
    const p = params({ via_branch: 'z9hG4bK1', received_from: '192.0.2.10', flags: 'profile:nat-pub-to-priv ICE=remove', edge: 'edge1', dialog_id: 'd1' });
    await controller.offer(p);
    expect(lastOf(fakes[0]!, 'offer')).toEqual({
      command: 'offer',
      'call-id': p.call_id,
      'from-tag': 'alice',
      'via-branch': 'z9hG4bK1',
      sdp: 'v=0\r\n',
      'received-from': ['IP4', '192.0.2.10'],
      replace: ['origin', 'session-connection'],
      direction: ['pub', 'priv'],
      ICE: 'remove',
      supports: ['load limit'],
    });
    expect(await affinity.get(p.call_id)).toMatchObject({ set: 'default', edge: 'edge1', dialogId: 'd1', lastMethod: 'offer' });
    await controller.answer({ ...p, to_tag: 'bob', flags: 'profile:nat-pub-to-priv', received_from: '2001:db8::5' });
    expect(lastOf(fakes[0]!, 'answer')).toMatchObject({ 'to-tag': 'bob', direction: ['priv', 'pub'], 'received-from': ['IP6', '2001:db8::5'] });
    expect(lastOf(fakes[0]!, 'answer')?.['supports']).toBeUndefined();
    // A re-offer of a known call: no load limit (the session exists, the instance cannot refuse it for load).
    await controller.offer({ ...p, to_tag: 'bob', flags: { ICE: 'force' } });
    expect(lastOf(fakes[0]!, 'offer')).toMatchObject({ ICE: 'force', 'to-tag': 'bob' });
    expect(lastOf(fakes[0]!, 'offer')?.['supports']).toBeUndefined();
    await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice', flags: 'delete-delay=0', sdp: 'ignored' });
    expect(lastOf(fakes[0]!, 'delete')).toEqual({ command: 'delete', 'call-id': p.call_id, 'from-tag': 'alice', 'delete-delay': 0 });
  });

  test("the callee's offer (late offer, re-INVITE from the callee) names the callee as offerer and reverses the direction pair", async () => {
    const p = params({ to_tag: 'bob', side: 'callee', flags: 'direction=pub direction=priv replace-origin' });
    await controller.offer(p);
    expect(lastOf(fakes[0]!, 'offer')).toMatchObject({ 'from-tag': 'bob', 'to-tag': 'alice', direction: ['priv', 'pub'], replace: ['origin'] });
    // The caller's answer to it: offerer bob, answerer alice.
    await controller.answer({ ...p, side: 'caller', flags: 'replace-origin' });
    expect(lastOf(fakes[0]!, 'answer')).toMatchObject({ 'from-tag': 'bob', 'to-tag': 'alice' });
    // The caller's own re-offer and the callee's answer: the usual way round.
    await controller.offer({ ...p, side: 'caller' });
    expect(lastOf(fakes[0]!, 'offer')).toMatchObject({ 'from-tag': 'alice', 'to-tag': 'bob', direction: ['pub', 'priv'] });
    await controller.answer({ ...p, side: 'callee' });
    expect(lastOf(fakes[0]!, 'answer')).toMatchObject({ 'from-tag': 'alice', 'to-tag': 'bob' });
    // A delete names the caller whatever side asks.
    await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice', side: 'callee' });
    expect(lastOf(fakes[0]!, 'delete')).toMatchObject({ 'from-tag': 'alice' });
    expect((await mediaError(controller.offer(params({ side: 'callee' })))).kind).toBe(MediaErrorKind.invalid);
  });

  test('a set named in the offer; an unknown set is invalid', async () => {
    await setUp([1, 1], { second: [1] });
    expect((await controller.offer(params({ set: 'second' }))).instance).toBe(fakes[1]!.key);
    expect(await mediaError(controller.offer(params({ set: 'nope' })))).toMatchObject({ kind: MediaErrorKind.invalid, message: 'unknown rtpengine set "nope" (sets: default, second)' });
  });

  test('a delete of one branch (to_tag) keeps the affinity while rtpengine has the call; the last branch or the whole call removes it', async () => {
    const p = params();
    await controller.offer(p);
    await controller.answer({ ...p, to_tag: 'bob' });
    await controller.answer({ ...p, to_tag: 'carol' });
    expect(await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice', to_tag: 'bob' })).toMatchObject({ deleted: true });
    expect((await affinity.get(p.call_id))?.lastMethod).toBe('delete');
    expect(await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice', to_tag: 'carol' })).toMatchObject({ deleted: true });
    expect(await affinity.get(p.call_id)).toBeUndefined();
    const q = params();
    await controller.offer(q);
    await controller.answer({ ...q, to_tag: 'bob' });
    await controller.answer({ ...q, to_tag: 'carol' });
    await controller.delete({ version: CONTRACT_VERSION, call_id: q.call_id, from_tag: 'alice' });
    expect(await affinity.get(q.call_id)).toBeUndefined();
  });

  test('a call unknown everywhere: delete answers deleted:false, answer is rejected', async () => {
    expect(await controller.delete({ version: CONTRACT_VERSION, call_id: 'nope', from_tag: 'a' })).toEqual({ version: CONTRACT_VERSION, instance: '', deleted: false });
    const e = await mediaError(controller.answer(params({ to_tag: 'b' })));
    expect(e.kind).toBe(MediaErrorKind.rejected);
    expect(e.message).toMatch(/^unknown call call-\d+@test/);
  });

  test('a known call rtpengine no longer has: delete answers deleted:false and forgets it', async () => {
    const p = params();
    await controller.offer(p);
    fakes[0]!.calls.clear();
    expect(await controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice' })).toEqual({ version: CONTRACT_VERSION, instance: fakes[0]!.key, deleted: false });
    expect(await affinity.get(p.call_id)).toBeUndefined();
  });

  test('without affinity (another process, memory store) the call is found with query and adopted', async () => {
    const p = params();
    await controller.offer(p);
    await affinity.remove(p.call_id);
    const answer = await controller.answer({ ...p, to_tag: 'bob' });
    expect(answer.instance).toBe(fakes[0]!.key);
    expect(fakes[1]!.commands.filter((c) => c.command === 'query')).toHaveLength(1);
    expect((await affinity.get(p.call_id))?.instance).toBe(fakes[0]!.key);
    // An in-dialog re-offer (to-tag) without affinity is looked up too; a first offer is not.
    await affinity.remove(p.call_id);
    expect((await controller.offer({ ...p, to_tag: 'bob' })).instance).toBe(fakes[0]!.key);
  });

  test('rtpengine’s error reply is mediaRejected with its reason', async () => {
    const p = params();
    await controller.offer(p);
    fakes[0]!.modes['answer'] = { kind: 'error', reason: 'Failed to parse SDP' };
    const e = await mediaError(controller.answer({ ...p, to_tag: 'bob' }));
    expect(e).toMatchObject({ kind: MediaErrorKind.rejected, instance: fakes[0]!.key });
    expect(e.message).toBe(`rtpengine ${fakes[0]!.key} refused 'answer': Failed to parse SDP`);
  });
});

describe('new calls fail over', () => {
  test('a timeout moves the offer to the next instance, marks the first failed and sends it a delete', async () => {
    await setUp([1, 1]);
    fakes[0]!.modes['offer'] = { kind: 'silent' };
    const p = params();
    const offer = await controller.offer(p);
    expect(offer.instance).toBe(fakes[1]!.key);
    expect((await affinity.get(p.call_id))?.instance).toBe(fakes[1]!.key);
    expect(failovers).toEqual([`default ${fakes[0]!.key} NG_TIMEOUT`]);
    expect(pool.get(fakes[0]!.key)?.state).toBe('down');
    await new Promise((r) => setTimeout(r, 50));
    expect(lastOf(fakes[0]!, 'delete')).toEqual({ command: 'delete', 'call-id': p.call_id, 'from-tag': 'alice' });
    // The down instance takes no new call.
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
  });

  test('load limit moves on without a health failure', async () => {
    await setUp([1, 1]);
    fakes[0]!.mode = { kind: 'load-limit' };
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
    expect(pool.get(fakes[0]!.key)?.state).toBe('up');
    expect(failovers).toEqual([`default ${fakes[0]!.key} NG_LOAD_LIMIT`]);
  });

  test('"Ran out of ports" moves on; any other error reply does not', async () => {
    await setUp([1, 1]);
    fakes[0]!.modes['offer'] = { kind: 'error', reason: 'Ran out of ports' };
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
    fakes[0]!.modes['offer'] = { kind: 'error', reason: 'Failed to parse SDP' };
    fakes[1]!.modes['offer'] = { kind: 'error', reason: 'Failed to parse SDP' };
    const offers = (): number => fakes.reduce((n, f) => n + f.commands.filter((c) => c.command === 'offer').length, 0);
    const before = offers();
    const p = params();
    const e = await mediaError(controller.offer(p));
    expect(e).toMatchObject({ kind: MediaErrorKind.rejected, message: expect.stringMatching(/refused 'offer': Failed to parse SDP$/) });
    // Refused by the first instance tried, not offered to the second.
    expect(offers()).toBe(before + 1);
    expect(await affinity.get(p.call_id)).toBeUndefined();
  });

  test('all instances fail: mediaUnavailable naming each, and no affinity left', async () => {
    await setUp([1, 1]);
    fakes[0]!.mode = { kind: 'load-limit' };
    fakes[1]!.mode = { kind: 'load-limit' };
    const p = params();
    const e = await mediaError(controller.offer(p));
    expect(e.kind).toBe(MediaErrorKind.unavailable);
    expect(e.message).toBe(`no rtpengine of set "default" took call ${p.call_id}: ${fakes[0]!.key}: at its load limit; ${fakes[1]!.key}: at its load limit`);
    expect(await affinity.get(p.call_id)).toBeUndefined();
  });

  test('none up: mediaUnavailable with each instance’s state', async () => {
    await setUp([1, 0]);
    pool.setEnabled(fakes[0]!.key, false);
    const e = await mediaError(controller.offer(params()));
    expect(e).toMatchObject({ kind: MediaErrorKind.unavailable, message: `no rtpengine of set "default" is up and enabled (${fakes[0]!.key} disabled, ${fakes[1]!.key} weight 0)` });
  });
});

describe('calls of an instance that is down or disabled', () => {
  test('down: answer and re-offer are mediaUnavailable at once; delete too, and forgets the call', async () => {
    await setUp([1, 1]);
    const p = params();
    await controller.offer(p);
    pool.report(pool.get(fakes[0]!.key)!, HealthInput.fail, { error: 'test' });
    const before = fakes[0]!.commands.length;
    const e = await mediaError(controller.answer({ ...p, to_tag: 'bob' }));
    expect(e).toMatchObject({ kind: MediaErrorKind.unavailable, message: `rtpengine ${fakes[0]!.key}, which holds call ${p.call_id}, is down` });
    expect((await mediaError(controller.offer(p))).kind).toBe(MediaErrorKind.unavailable);
    expect((await mediaError(controller.delete({ version: CONTRACT_VERSION, call_id: p.call_id, from_tag: 'alice' }))).kind).toBe(MediaErrorKind.unavailable);
    expect(fakes[0]!.commands.length).toBe(before);
    expect(await affinity.get(p.call_id)).toBeUndefined();
  });

  test('disabled: its calls are still served (disable drains), new calls go elsewhere', async () => {
    await setUp([1, 1]);
    const p = params();
    await controller.offer(p);
    pool.setEnabled(fakes[0]!.key, false);
    expect((await controller.answer({ ...p, to_tag: 'bob' })).instance).toBe(fakes[0]!.key);
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
    expect((await controller.offer(params())).instance).toBe(fakes[1]!.key);
  });

  test('a known call whose answer times out: mediaUnavailable, and the instance is marked', async () => {
    await setUp([1, 1]);
    const p = params();
    await controller.offer(p);
    fakes[0]!.modes['answer'] = { kind: 'silent' };
    const e = await mediaError(controller.answer({ ...p, to_tag: 'bob' }));
    expect(e.kind).toBe(MediaErrorKind.unavailable);
    expect(e.message).toMatch(/did not answer 'answer' within 300 ms/);
    expect(pool.get(fakes[0]!.key)?.state).toBe('down');
  });

  test('an affinity naming an instance not configured here is mediaUnavailable', async () => {
    await setUp([1]);
    const now = Date.now();
    await affinity.put('foreign', { instance: '10.9.9.9:2223', set: 'default', created: now, updated: now, lastMethod: 'offer' });
    const e = await mediaError(controller.answer(params({ call_id: 'foreign', to_tag: 'b' })));
    expect(e.message).toBe('rtpengine 10.9.9.9:2223, which holds call foreign, is not configured in this media-control');
  });
});

describe('invalid requests', () => {
  beforeEach(() => setUp([1]));

  test.each([
    ['offer without sdp', () => controller.offer(params({ sdp: undefined as unknown as string })), 'offer needs sdp'],
    ['answer without sdp', () => controller.answer({ version: CONTRACT_VERSION, call_id: 'c', from_tag: 'a', to_tag: 'b' }), 'answer needs sdp'],
    ['answer without to_tag', () => controller.answer(params()), "answer needs to_tag (the callee's tag)"],
    ['received_from not an IP', () => controller.offer(params({ received_from: 'host.example' })), 'received_from "host.example" is not an IP address'],
    ['an owned key in flags', () => controller.offer(params({ flags: 'call-id=other' })), 'flag "call-id=other": call-id is set by media-control from the request (call_id), not by flags'],
    ['an unknown profile', () => controller.offer(params({ flags: 'profile:nope' })), 'unknown media profile "nope"'],
    ['a boolean in object flags', () => controller.offer(params({ flags: { ICE: true } })), /flags\.ICE: boolean/],
  ])('%s', async (_name, run, message) => {
    const e = await mediaError(run());
    expect(e.kind).toBe(MediaErrorKind.invalid);
    expect(e.message).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
    expect(fakes[0]!.commands.filter((c) => c.command !== 'ping')).toHaveLength(0);
  });
});
