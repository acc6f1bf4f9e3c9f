import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/create-logger.js';
import { LocalBus } from './local-bus.js';
import { serveJsonRpc, type JsonRpcFailure } from './json-rpc-endpoint.js';

interface Req {
  id?: unknown;
  params: { version: string; n: number };
}

describe('serveJsonRpc', () => {
  const bus = new LocalBus();
  const outcomes: string[] = [];
  const sub = serveJsonRpc<Req, { double: number }>({
    bus,
    subject: 'test.rpc.double',
    queue: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
    validate: (body) => {
      const p = (body as { params?: { version?: unknown; n?: unknown } } | null)?.params;
      return typeof p?.n === 'number' && typeof p.version === 'string' ? { ok: true, value: body as Req } : { ok: false, errors: ['/params/n: must be number'] };
    },
    check: (r) => (r.params.version.startsWith('9.') ? { code: 1001, message: 'version 9 is newer than supported' } : undefined),
    handle: (r) => {
      if (r.params.n < 0) throw new Error('negative');
      return { double: r.params.n * 2 };
    },
    failure: (e): JsonRpcFailure => ({ code: 1003, message: (e as Error).message, data: { why: 'test' } }),
    done: (o) => outcomes.push(o.ok ? `ok ${o.result.double}` : `${o.stage} ${o.failure.code}`),
  });
  afterEach(() => {
    outcomes.length = 0;
  });

  const ask = async (body: string): Promise<unknown> => (await bus.request('test.rpc.double', Buffer.from(body), { timeoutMs: 1000 })).json();

  it('answers the result with the request id', async () => {
    expect(await ask(JSON.stringify({ jsonrpc: '2.0', id: 'a1', method: 'double', params: { version: '1.0', n: 21 } }))).toEqual({ jsonrpc: '2.0', id: 'a1', result: { double: 42 } });
    expect(outcomes).toEqual(['ok 42']);
  });

  it('answers every failure with its JSON-RPC error, never silence', async () => {
    expect(await ask('{not json')).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'test.rpc.double: request is not JSON' } });
    expect(await ask(JSON.stringify({ id: 'a2', params: { version: '1.0' } }))).toEqual({ jsonrpc: '2.0', id: 'a2', error: { code: -32602, message: 'test.rpc.double: invalid request: /params/n: must be number' } });
    expect(await ask(JSON.stringify({ id: 'a3', params: { version: '9.0', n: 1 } }))).toEqual({ jsonrpc: '2.0', id: 'a3', error: { code: 1001, message: 'version 9 is newer than supported' } });
    expect(await ask(JSON.stringify({ id: 'a4', params: { version: '1.0', n: -1 } }))).toEqual({ jsonrpc: '2.0', id: 'a4', error: { code: 1003, message: 'negative', data: { why: 'test' } } });
    expect(outcomes).toEqual(['parse -32700', 'invalid -32602', 'check 1001', 'handler 1003']);
  });

  it('stops serving when unsubscribed', async () => {
    sub.unsubscribe();
    await expect(ask(JSON.stringify({ id: 'a5', params: { version: '1.0', n: 1 } }))).rejects.toThrow();
  });
});
