/**
 * A good digest accepted and its REGISTER's bindings written in one Redis round trip. Accepting
 * a digest (ban check, nonce count, cleared failures) and writing the AoR are two scripts, and
 * the write's compare-and-set needs the AoR's version, which takes a read: three scripts in two
 * sequential round trips per registration. Here one script runs both steps in one atomic call,
 * and the version comes from a presumption instead of a read: the snapshot this registrar last
 * read or wrote of the AoR, or "no AoR" for one it has not seen (a new registration).
 *
 * The script accepts the digest first and touches nothing else when it refuses (banned,
 * replayed), so a REGISTER that fails its acceptance is never written. Then it reads the AoR as a
 * read would (dropping expired bindings) and writes the decided set only when the version is the
 * presumed one; otherwise it answers with the AoR as it is, and the caller decides again from that
 * with a plain compare-and-set, as after any lost race (update-aor.ts). A REGISTER that changes
 * nothing (a refusal, a retransmission) is checked the same way without the write.
 */
import type { Redis } from 'ioredis';
import { luaScript, runLua } from '@sipmesh/runtime';
import { Acceptance, ACCEPT_DIGEST_LUA, acceptanceOf, type RedisAuthAcceptor } from '../auth/index.js';
import { READ_AOR_LUA, WRITE_AOR_LUA, type AorSnapshot, type Binding, type RedisLocationStore } from '../location/index.js';

/**
 * KEYS: aor hash, index zset, version counter, NAT set, nonce-count key, failure key, ban keys...
 * ARGV: nc, nonce TTL ms, now ms, presumed version, aor, '1' write / '0' only compare, then
 * `writeAor`'s key TTL ms, earliest expiry ms, NAT flag and ruid, JSON pairs.
 * Reply: { 'banned' } | { 'replayed' }
 *   | { 'ok', 1, version, 0, vanished, expired JSON... }       presumed right (written when asked)
 *   | { 'ok', 0, version, live count, vanished, live JSON..., expired JSON... }   the AoR as it is
 */
const ACCEPT_AND_SAVE = luaScript(`${ACCEPT_DIGEST_LUA}${READ_AOR_LUA}${WRITE_AOR_LUA}
local accepted = acceptDigest(KEYS[5], KEYS[6], { unpack(KEYS, 7) }, ARGV[1], ARGV[2])
if accepted ~= 'ok' then return { accepted } end
local version, live, dead, vanished = readAor(KEYS[1], KEYS[2], KEYS[4], tonumber(ARGV[3]), ARGV[5])
local out
if version ~= ARGV[4] then
  out = { 'ok', 0, version, #live, vanished }
  for _, v in ipairs(live) do out[#out + 1] = v end
else
  if ARGV[6] == '1' then
    version = writeAor(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[5], ARGV[7], ARGV[8], ARGV[9], { unpack(ARGV, 10) })
  end
  out = { 'ok', 1, version, 0, vanished }
end
for _, v in ipairs(dead) do out[#out + 1] = v end
return out
`);

/** A good digest's last step, as DigestAuthenticator hands it to an AuthAcceptor. */
export interface DigestToAccept {
  readonly banUser: string;
  readonly ip: string;
  readonly nonce: string;
  readonly nc: number;
  readonly expiresAtMs: number;
}

export type AcceptAndSaveResult =
  | { readonly acceptance: typeof Acceptance.banned | typeof Acceptance.replayed }
  /** Accepted, and the presumed version was the AoR's: `next` (when given) is written as `version`. */
  | { readonly acceptance: typeof Acceptance.ok; readonly saved: true; readonly version: number }
  /** Accepted, but the AoR was not as presumed: nothing written; this is how it is. */
  | { readonly acceptance: typeof Acceptance.ok; readonly saved: false; readonly snapshot: AorSnapshot };

export class RedisAcceptAndSave {
  /** `redis` must be the connection of both the store and the acceptor. */
  constructor(
    private readonly redis: Redis,
    private readonly store: RedisLocationStore,
    private readonly acceptor: RedisAuthAcceptor,
  ) {}

  /** See RedisLocationStore.presume. */
  presume(aor: string): AorSnapshot {
    return this.store.presume(aor);
  }

  /**
   * Accepts the digest (AuthAcceptor.accept's arguments) and, when `aor` is still at
   * `presumedVersion`, replaces its bindings with `next` (undefined: writes nothing, only compares).
   */
  async run(digest: DigestToAccept, aor: string, presumedVersion: number, next: readonly Binding[] | undefined): Promise<AcceptAndSaveResult> {
    const accept = this.acceptor.inputs(digest.banUser, digest.ip, digest.nonce, digest.nc, digest.expiresAtMs);
    if (accept === undefined) return { acceptance: Acceptance.replayed };
    const store = this.store;
    const now = store.now();
    const w = next === undefined ? undefined : store.writeArguments(next, now);
    const keys = [store.aorKey(aor), store.indexKey, store.versionKey, store.natKey, accept.nonceCountKey, accept.failureKey, ...accept.banKeys];
    const args: (string | number)[] = [accept.nc, accept.ttlMs, now, String(presumedVersion), aor, w === undefined ? '0' : '1', ...(w?.args ?? [])];
    const reply = await runLua(this.redis, ACCEPT_AND_SAVE, keys, args);
    if (!Array.isArray(reply) || reply.length === 0) throw new Error(`unexpected reply of the accept-and-save script: ${String(reply)}`);
    const acceptance = acceptanceOf(reply[0]);
    if (acceptance !== Acceptance.ok) return { acceptance };
    if (reply.length < 5) throw new Error(`unexpected reply of the accept-and-save script: ${reply.length} elements`);
    const version = Number(reply[2]);
    const vanished = Number(reply[4]) === 1;
    if (Number(reply[1]) !== 1) {
      const r = store.readValues(aor, version, reply, 5, Number(reply[3]), vanished);
      return { acceptance, saved: false, snapshot: { aor, version, bindings: r.live } };
    }
    // the expired bindings the script removed, announced as a read would
    store.readValues(aor, version, reply, 5, 0, vanished, false);
    if (w !== undefined) store.written(aor, version, w);
    return { acceptance, saved: true, version };
  }
}
