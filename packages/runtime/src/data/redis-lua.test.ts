import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../../../../test/helpers/infra.js';
import { luaScript, runLua } from './redis-lua.js';

describe('Lua scripts by hash', async () => {
  if (!(await requireInfra('redis'))) return;
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
  afterAll(() => redis.disconnect());

  it('sends the text once to a Redis that does not know the script, then only its hash', async () => {
    // a script no Redis has seen: its own text
    const script = luaScript(`-- ${process.pid}-${Date.now()}-${Math.random()}\nreturn tonumber(ARGV[1]) + #KEYS`);
    const known = async (): Promise<number> => ((await redis.script('EXISTS', script.sha)) as number[])[0] ?? -1;
    expect(await known()).toBe(0);
    expect(await runLua(redis, script, ['k1', 'k2'], [40])).toBe(42);
    expect(await known()).toBe(1);
    expect(await runLua(redis, script, ['k1'], [1])).toBe(2);
  });

  it('passes other errors on', async () => {
    await expect(runLua(redis, luaScript("return redis.call('NOSUCHCOMMAND')"), [], [])).rejects.toThrow(/Unknown Redis command|unknown command/i);
  });
});
