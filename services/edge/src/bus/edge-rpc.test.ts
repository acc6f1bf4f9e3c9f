/**
 * The edge's JSON-RPC actions over the in-process bus, with the proxy harness as the SIP side: a
 * service's request goes in as JSON on the edge-rpc subjects, the SIP request comes out as bytes,
 * the peer's response goes back in as bytes, and every answer on the bus is checked against the
 * contract's response schema.
 */
import { createValidators, JsonRpcErrorCode, subjects, type EdgeRequestParams, type EdgeRequestResponse, type OptionsProbeResponse } from '@sipmesh/contracts';
import { LocalBus } from '@sipmesh/runtime';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OptionsProber } from '../probe/options-probe.js';
import { NextHopResolver } from '../proxy/next-hop.js';
import { CALLEE_A, headerLine, ProxyHarness, startLine, type SentDatagram } from '../proxy/proxy-harness.fixture.js';
import { responseTo } from '../proxy/sip-peers.fixture.js';
import { deriveTransactionTimers } from '../transaction/index.js';
import { EdgeRequester } from '../uac/edge-request.js';
import { RequestSender } from '../uac/request-sender.js';
import { EdgeRpc } from './edge-rpc.js';

const validators = createValidators();

/** The params of contracts/examples/edge-request.json, sent through the carrier's proxy (CALLEE_A). */
const EXAMPLE: EdgeRequestParams = {
  method: 'REGISTER',
  uri: 'sip:sip.carrier.example',
  dst_uri: 'sip:203.0.113.20:5060',
  from: 'sip:4420001@sip.carrier.example',
  to: 'sip:4420001@sip.carrier.example',
  call_id: 'uac-7d1e0a@sipmesh',
  from_tag: 'u7d1e0a',
  cseq: 2,
  contact_user: 'trunk-a',
  contact_params: ';expires=3600',
  headers: ['Expires: 3600', 'Authorization: Digest username="4420001", realm="carrier", nonce="n1", uri="sip:sip.carrier.example", response="0123456789abcdef0123456789abcdef", algorithm=MD5'],
  timeout_ms: 5000,
};

let bus: LocalBus;
let h: ProxyHarness;
let rpc: EdgeRpc;

beforeEach(() => {
  bus = new LocalBus();
  h = new ProxyHarness();
  const t = h.config.timers;
  const profiles = deriveTransactionTimers({ t1Ms: t.t1Ms, t2Ms: t.t2Ms, t4Ms: t.t4Ms, timerCMs: 181_000, timerDMs: 32_000 });
  if (!profiles.ok) throw new Error(profiles.error.message);
  const sender = new RequestSender({ wheel: h.wheel, timers: profiles.value, table: h.table, resolver: new NextHopResolver(new Set(['udp', 'tcp'])), transports: h.transports, now: () => h.wheel.now() });
  rpc = new EdgeRpc(bus, 'edge1', validators, new OptionsProber('edge1', sender), new EdgeRequester('edge1', sender));
  rpc.start();
});

afterEach(async () => {
  rpc.stop();
  await bus.close();
});

/** Sends a JSON-RPC request on `subject` and returns the pending reply, checked against `schema`. */
async function call<R>(subject: string, body: unknown, schema: (data: unknown) => { ok: boolean; errors?: string[] }): Promise<R> {
  const reply = await bus.request(subject, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), { timeoutMs: 5000 });
  const response = reply.json<R>();
  const v = schema(response);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return response;
}

function edgeRequest(params: unknown, subject = subjects.edgeRpc('edge1', 'request')): Promise<EdgeRequestResponse> {
  return call<EdgeRequestResponse>(subject, { jsonrpc: '2.0', id: 'registrar1.uac.12', method: 'request', params }, validators.edgeRequestResponse);
}

/** The next SIP message the edge sends (the bus hands the request over asynchronously). */
async function sent(): Promise<SentDatagram> {
  return vi.waitFor(() => h.takeOne(), { timeout: 2000, interval: 5 });
}

describe('edge request over the bus', () => {
  it('sends the contract example on its own subject and answers with the final response and its header lines', async () => {
    const pending = edgeRequest(EXAMPLE);
    const req = await sent();
    expect(startLine(req.text)).toBe('REGISTER sip:sip.carrier.example SIP/2.0');
    expect(headerLine(req.text, 'authorization')).toBe(EXAMPLE.headers?.[1]);
    h.receive(responseTo(req.text, 200, 'OK', { toTag: 'as5f', extra: ['Contact: <sip:trunk-a@192.0.2.10:5060;transport=udp>;expires=3600'] }), CALLEE_A);
    const r = await pending;
    expect(r.id).toBe('registrar1.uac.12');
    expect(r.result).toEqual({
      status: 200,
      reason: 'OK',
      local: false,
      headers: [
        headerLine(req.text, 'via'),
        'From: <sip:4420001@sip.carrier.example>;tag=u7d1e0a',
        'To: <sip:4420001@sip.carrier.example>;tag=as5f',
        'Call-ID: uac-7d1e0a@sipmesh',
        'CSeq: 2 REGISTER',
        'Contact: <sip:trunk-a@192.0.2.10:5060;transport=udp>;expires=3600',
        'Content-Length: 0',
      ],
      rtt_ms: 0,
      edge: 'edge1',
      call_id: 'uac-7d1e0a@sipmesh',
      from_tag: 'u7d1e0a',
      contact: 'sip:trunk-a@192.0.2.10:5060;transport=udp',
    });
  });

  it('serves the any-edge subject too, and a local 408 fits the contract', async () => {
    const pending = edgeRequest({ ...EXAMPLE, timeout_ms: 100 }, subjects.anyEdgeRpc('request'));
    await sent();
    h.advance(100);
    const r = await pending;
    expect(r.result).toMatchObject({ status: 408, local: true, headers: [], edge: 'edge1' });
  });

  it('answers what it cannot send with a JSON-RPC error naming the problem', async () => {
    const badUri = await edgeRequest({ ...EXAMPLE, dst_uri: 'sip:' });
    expect(badUri.error).toMatchObject({ code: JsonRpcErrorCode.edgeActionFailed, message: 'cannot parse sip:', data: { code: 'EDGE_ERR_BAD_URI', edge: 'edge1' } });
    const tls = await edgeRequest({ ...EXAMPLE, dst_uri: 'sip:203.0.113.20:5061;transport=tls' });
    expect(tls.error).toMatchObject({ code: JsonRpcErrorCode.edgeActionFailed, data: { code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT' } });
    expect(h.take()).toEqual([]);
  });

  it('refuses invalid params: INVITE, headers the edge writes itself, a request that is not JSON', async () => {
    const invite = await edgeRequest({ ...EXAMPLE, method: 'INVITE' });
    expect(invite.error?.code).toBe(JsonRpcErrorCode.invalidParams);
    const via = await edgeRequest({ ...EXAMPLE, headers: ['Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx'] });
    expect(via.error).toEqual({ code: JsonRpcErrorCode.invalidParams, message: 'invalid edge request: headers[0]: the edge writes Via itself' });
    const notJson = await call<EdgeRequestResponse>(subjects.edgeRpc('edge1', 'request'), '{', validators.edgeRequestResponse);
    expect(notJson.error).toMatchObject({ code: JsonRpcErrorCode.parseError, message: 'edge request is not JSON' });
    expect(h.take()).toEqual([]);
  });

  it('still serves the OPTIONS probe, through the same sender', async () => {
    const pending = call<OptionsProbeResponse>(subjects.anyEdgeRpc('options'), { jsonrpc: '2.0', id: 'p1', method: 'options', params: { uri: 'sip:203.0.113.20:5060' } }, validators.optionsProbeResponse);
    const req = await sent();
    expect(startLine(req.text)).toBe('OPTIONS sip:203.0.113.20:5060 SIP/2.0');
    expect(headerLine(req.text, 'from')).toMatch(/^From: <sip:sipmesh@192\.0\.2\.10>;tag=\w+$/);
    expect(headerLine(req.text, 'cseq')).toBe('CSeq: 1 OPTIONS');
    h.receive(responseTo(req.text, 200, 'OK'), CALLEE_A);
    expect((await pending).result).toEqual({ status: 200, reason: 'OK', local: false, rtt_ms: 0, edge: 'edge1' });
  });
});
