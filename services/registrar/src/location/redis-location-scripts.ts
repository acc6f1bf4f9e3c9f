/**
 * Lua scripts of the Redis location store. Each runs atomically inside Redis, which is what makes
 * the compare-and-set of a whole AoR safe between registrar processes (WATCH/MULTI would need a
 * connection per writer, since WATCH state belongs to a connection). Key layout: see
 * redis-location-store.ts. The two steps are Lua functions of their own (`READ_AOR_LUA`,
 * `WRITE_AOR_LUA`) so a script of another module can run them after its own checks in the same
 * atomic step (service/accept-and-save.ts).
 */
import { luaScript as script } from '@sipmesh/runtime';

/**
 * `readAor(aorKey, indexKey, natKey, now, aor)`: the AoR's version, its live and expired binding
 * JSON values and whether the key had vanished (1: gone while the index still named it), deleting
 * the bindings expired at `now`.
 * Removing expired bindings keeps the version: no live state changed, and a writer holding the
 * version computed its next set without them too.
 */
export const READ_AOR_LUA = `
local function readAor(aorKey, indexKey, natKey, now, aor)
  local all = redis.call('HGETALL', aorKey)
  if #all == 0 then
    redis.call('SREM', natKey, aor)
    return '0', {}, {}, redis.call('ZREM', indexKey, aor)
  end
  local version = '0'
  local live, dead, deadFields = {}, {}, {}
  local minExp = nil
  for i = 1, #all, 2 do
    local f, v = all[i], all[i + 1]
    if f == '#v' then
      version = v
    else
      local ok, b = pcall(cjson.decode, v)
      local e = nil
      if ok and type(b) == 'table' then e = tonumber(b['expiresAtMs']) end
      if e ~= nil and e > now then
        live[#live + 1] = v
        if minExp == nil or e < minExp then minExp = e end
      else
        deadFields[#deadFields + 1] = f
        dead[#dead + 1] = v
      end
    end
  end
  if #deadFields > 0 then
    if #live == 0 then
      redis.call('DEL', aorKey)
      redis.call('ZREM', indexKey, aor)
      redis.call('SREM', natKey, aor)
      version = '0'
    else
      redis.call('HDEL', aorKey, unpack(deadFields))
      redis.call('ZADD', indexKey, minExp, aor)
    end
  end
  return version, live, dead, 0
end
`;

/**
 * `writeAor(aorKey, indexKey, versionKey, natKey, aor, ttlMs, earliestMs, nat, fields)`: replaces
 * every binding of the AoR with `fields` (ruid, JSON, ruid, JSON, ...; empty: remove the AoR),
 * under the next version of the shared counter; returns that version ('0' when removed). No
 * version check: the caller compared first.
 */
export const WRITE_AOR_LUA = `
local function writeAor(aorKey, indexKey, versionKey, natKey, aor, ttlMs, earliestMs, nat, fields)
  redis.call('DEL', aorKey)
  if #fields == 0 then
    redis.call('ZREM', indexKey, aor)
    redis.call('SREM', natKey, aor)
    return '0'
  end
  local version = tostring(redis.call('INCR', versionKey))
  redis.call('HSET', aorKey, '#v', version, unpack(fields))
  redis.call('PEXPIRE', aorKey, ttlMs)
  redis.call('ZADD', indexKey, earliestMs, aor)
  if nat == '1' then
    redis.call('SADD', natKey, aor)
  else
    redis.call('SREM', natKey, aor)
  end
  return version
end
`;

/**
 * Read one AoR, deleting the bindings expired at ARGV[1].
 * KEYS: aor hash, index zset, NAT set. ARGV: now ms, aor.
 * Reply: { version, live count, vanished, live JSON values..., expired JSON values... }.
 */
export const READ_AOR = script(`${READ_AOR_LUA}
local version, live, dead, vanished = readAor(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), ARGV[2])
local out = { version, #live, vanished }
for _, v in ipairs(live) do out[#out + 1] = v end
for _, v in ipairs(dead) do out[#out + 1] = v end
return out
`);

/**
 * Compare-and-set of a whole AoR.
 * KEYS: aor hash, index zset, version counter, NAT set. ARGV: expected version ('0': no AoR), aor,
 * key TTL ms, earliest expiry ms, behind NAT ('1': some binding is), then ruid, JSON pairs (none:
 * remove the AoR).
 * Reply: { 1, new version } or { 0, current version }.
 */
export const REPLACE_AOR = script(`${WRITE_AOR_LUA}
local current = redis.call('HGET', KEYS[1], '#v') or '0'
if current ~= ARGV[1] then return { 0, current } end
return { 1, writeAor(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], ARGV[3], ARGV[4], ARGV[5], { unpack(ARGV, 6) }) }
`);
