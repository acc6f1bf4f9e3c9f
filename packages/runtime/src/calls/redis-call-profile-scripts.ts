/**
 * Lua scripts of the Redis call profiles. Each runs atomically inside Redis: that is what keeps two
 * routers from both taking the last slot of a profile (a read then a write from the client would
 * let both read "one free"). Key layout: see redis-call-profiles.ts.
 */
import { luaScript as script } from '../data/redis-lua.js';

/**
 * Check every profile/value, then add the dialog to all of them or to none.
 * KEYS: dialog set, then per entry: value zset, profile index zset.
 * ARGV: now ms, expiry ms, ttl ms, dialog id, then per entry: value, max.
 * Reply: { 1 } added; { 0, entry number (1-based), size } the first full one.
 * Expired members (score <= now) are trimmed before counting. Every key written lives at least
 * `ttl` ms more (PEXPIRE only lengthens), so Redis drops what nobody removes.
 */
export const TRY_ADD = script(`
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local id = ARGV[4]
local n = (#KEYS - 1) / 2
local function extend(key)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
for i = 1, n do
  local key = KEYS[2 * i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local size = redis.call('ZCARD', key)
  local others = size
  if redis.call('ZSCORE', key, id) then others = size - 1 end
  if others >= tonumber(ARGV[4 + 2 * i]) then return { 0, i, size } end
end
for i = 1, n do
  local key, index, value = KEYS[2 * i], KEYS[2 * i + 1], ARGV[3 + 2 * i]
  redis.call('ZADD', key, expiry, id)
  extend(key)
  local latest = redis.call('ZSCORE', index, value)
  if not latest or tonumber(latest) < expiry then redis.call('ZADD', index, expiry, value) end
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  extend(index)
  redis.call('SADD', KEYS[1], key)
end
extend(KEYS[1])
return { 1 }
`);

/**
 * Remove dialogs from every profile they are in.
 * KEYS: the dialogs' sets. ARGV: now ms, key prefix, then the dialog ids in KEYS order.
 * Reply: how many of them were live in at least one profile.
 * A value zset left empty is deleted and leaves its profile index.
 */
export const REMOVE = script(`
local now = tonumber(ARGV[1])
local valuePrefix = ARGV[2] .. 'p:'
local removed = 0
for i = 1, #KEYS do
  local id = ARGV[i + 2]
  local live = false
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    local expiry = redis.call('ZSCORE', key, id)
    if expiry then
      if tonumber(expiry) > now then live = true end
      redis.call('ZREM', key, id)
      if redis.call('ZCARD', key) == 0 then
        redis.call('DEL', key)
        local rest = string.sub(key, #valuePrefix + 1)
        local colon = string.find(rest, ':', 1, true)
        if string.sub(key, 1, #valuePrefix) == valuePrefix and colon then
          redis.call('ZREM', ARGV[2] .. 'v:' .. string.sub(rest, 1, colon - 1), string.sub(rest, colon + 1))
        end
      end
    end
  end
  redis.call('DEL', KEYS[i])
  if live then removed = removed + 1 end
end
return removed
`);
