/**
 * Lua scripts of the Redis location store. Each runs atomically inside Redis, which is what makes
 * the compare-and-set of a whole AoR safe between registrar processes (WATCH/MULTI would need a
 * connection per writer, since WATCH state belongs to a connection). Key layout: see
 * redis-location-store.ts.
 */
import { luaScript as script } from '@sipmesh/runtime';

/**
 * Read one AoR, deleting the bindings expired at ARGV[1].
 * KEYS: aor hash, index zset, NAT set. ARGV: now ms, aor.
 * Reply: { version, live count, vanished (1: the key is gone but the index still named it),
 * live JSON values..., expired JSON values... }.
 * Removing expired bindings keeps the version: no live state changed, and a writer holding the
 * version computed its next set without them too.
 */
export const READ_AOR = script(`
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then
  redis.call('SREM', KEYS[3], ARGV[2])
  return { '0', 0, redis.call('ZREM', KEYS[2], ARGV[2]) }
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
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[2])
    redis.call('SREM', KEYS[3], ARGV[2])
    version = '0'
  else
    redis.call('HDEL', KEYS[1], unpack(deadFields))
    redis.call('ZADD', KEYS[2], minExp, ARGV[2])
  end
end
local out = { version, #live, 0 }
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
export const REPLACE_AOR = script(`
local current = redis.call('HGET', KEYS[1], '#v') or '0'
if current ~= ARGV[1] then return { 0, current } end
redis.call('DEL', KEYS[1])
if #ARGV < 7 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('SREM', KEYS[4], ARGV[2])
  return { 1, '0' }
end
local version = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[1], '#v', version, unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
if ARGV[5] == '1' then
  redis.call('SADD', KEYS[4], ARGV[2])
else
  redis.call('SREM', KEYS[4], ARGV[2])
end
return { 1, version }
`);
