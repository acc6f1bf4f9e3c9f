/**
 * Lua scripts run inside Redis (atomic: no other client's command runs in between), sent by their
 * SHA-1 (`EVALSHA`) so a call carries only the keys and arguments; a Redis that does not know the
 * script yet (first use, a restart, SCRIPT FLUSH) answers NOSCRIPT and gets the text once (`EVAL`,
 * which also caches it).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export async function runLua(redis: Pick<Redis, 'evalsha' | 'eval'>, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
