/**
 * The media client over the in-process bus (NATS semantics: queue groups, no-responders): the
 * JSON-RPC request it sends, and how every kind of reply or silence becomes an outcome.
 */
import { createValidators, JsonRpcErrorCode, MEDIA_QUEUE, type MediaRequest } from '@sipmesh/contracts';
import { LocalBus, type BusMessage } from '@sipmesh/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusMediaClient } from './media-bus-client.js';

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const PARAMS = { call_id: 'c1@x', from_tag: 'ft', side: 'caller' as const, sdp: 'v=0\r\n' };

let bus: LocalBus;
let observed: [string, string][];
let client: BusMediaClient;

beforeEach(() => {
  bus = new LocalBus();
  observed = [];
  client = new BusMediaClient(bus, createValidators(), { edgeId: 'edge1', timeoutMs: 100 }, { mediaCommand: (method, outcome) => observed.push([method, outcome]) });
});
afterEach(() => bus.close());

/** A media-control answering every offer with `reply(request)`. */
function serve(reply: (req: MediaRequest) => unknown): MediaRequest[] {
  const seen: MediaRequest[] = [];
  bus.subscribe(
    'sipmesh.media.v1.*',
    (msg: BusMessage) => {
      const req = msg.json<MediaRequest>();
      seen.push(req);
      const r = reply(req);
      if (r !== undefined) msg.respond(enc(r));
    },
    { queue: MEDIA_QUEUE },
  );
  return seen;
}

describe('media client over the bus', () => {
  it('sends a JSON-RPC request on sipmesh.media.v1.<method> with version and edge, and returns the rewritten SDP', async () => {
    const seen = serve((req) => ({ jsonrpc: '2.0', id: req.id, result: { version: '1.0', instance: '127.0.0.1:2223', sdp: 'v=0\r\nrewritten' } }));
    expect(await client.command('offer', PARAMS)).toEqual({ ok: true, sdp: 'v=0\r\nrewritten', deleted: undefined });
    expect(seen[0]).toMatchObject({ jsonrpc: '2.0', method: 'offer', params: { version: '1.0', edge: 'edge1', ...PARAMS } });
    expect(observed).toEqual([['offer', 'ok']]);
  });

  it('maps JSON-RPC errors: 1005 unavailable, 1006 rejected, -32602 invalid, others error', async () => {
    const codes: number[] = [JsonRpcErrorCode.mediaUnavailable, JsonRpcErrorCode.mediaRejected, JsonRpcErrorCode.invalidParams, JsonRpcErrorCode.internalError];
    let i = 0;
    serve((req) => ({ jsonrpc: '2.0', id: req.id, error: { code: codes[i++], message: 'why' } }));
    const out = [];
    for (let k = 0; k < codes.length; k++) {
      const r = await client.command('answer', { ...PARAMS, to_tag: 'tt' });
      out.push(r.ok ? 'ok' : r.failure);
    }
    expect(out).toEqual(['unavailable', 'rejected', 'invalid', 'error']);
  });

  it('is unavailable at once without responders, times out on silence, and refuses replies that break the contract', async () => {
    expect(await client.command('delete', PARAMS)).toMatchObject({ ok: false, failure: 'unavailable' });
    serve(() => undefined);
    expect(await client.command('delete', PARAMS)).toMatchObject({ ok: false, failure: 'timeout' });
    const other = new LocalBus();
    const c2 = new BusMediaClient(other, createValidators(), { edgeId: 'edge1', timeoutMs: 100 }, { mediaCommand: () => undefined });
    other.subscribe('sipmesh.media.v1.*', (msg: BusMessage) => msg.respond(enc({ jsonrpc: '2.0', id: 'x', result: { version: '1.0' } })));
    expect(await c2.command('offer', PARAMS)).toMatchObject({ ok: false, failure: 'error' });
    await other.close();
    expect(observed).toEqual([
      ['delete', 'unavailable'],
      ['delete', 'timeout'],
    ]);
  });

  it('takes a delete without SDP, and refuses an offer answered without one', async () => {
    serve((req) => ({ jsonrpc: '2.0', id: req.id, result: { version: '1.0', instance: '', deleted: false } }));
    expect(await client.command('delete', PARAMS)).toEqual({ ok: true, sdp: undefined, deleted: false });
    expect(await client.command('offer', PARAMS)).toMatchObject({ ok: false, failure: 'error' });
  });
});
