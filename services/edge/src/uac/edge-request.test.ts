/**
 * The edge request (contracts edge-request.json) through the real sender, transaction table and
 * edge core of the proxy harness: requests are read as a carrier would see them on the wire, and
 * the carrier's responses go back in as bytes through the core's response matching. Time moves
 * only when a test advances the manual wheel.
 */
import type { EdgeRequestParams, EdgeRequestResult } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { CALLEE_A, headerLine, headerLines, ProxyHarness, sip, startLine, topBranch, UDP_LISTENER, type HarnessOptions } from '../proxy/proxy-harness.fixture.js';
import { responseTo } from '../proxy/sip-peers.fixture.js';
import { deriveTransactionTimers } from '../transaction/index.js';
import { NextHopResolver } from '../proxy/next-hop.js';
import { edgeRequestProblems, EdgeRequester } from './edge-request.js';
import { RequestError, RequestErrorCode, RequestSender } from './request-sender.js';

/** The carrier's outbound proxy, CALLEE_A of the harness. */
const CARRIER_PROXY = 'sip:203.0.113.20:5060';

/** The registrar's REGISTER of the contract example, sent through the carrier's proxy. */
const REGISTER: EdgeRequestParams = {
  method: 'REGISTER',
  uri: 'sip:carrier.example',
  dst_uri: CARRIER_PROXY,
  from: 'sip:4420001@carrier.example',
  from_tag: 'u7d1e0a',
  to: 'sip:4420001@carrier.example',
  call_id: 'uac-7d1e0a@sipmesh',
  cseq: 2,
  contact_user: 'trunk-a',
  contact_params: ';expires=3600',
  headers: ['Expires: 3600', 'User-Agent: sipmesh-test'],
  timeout_ms: 5000,
};

/** `params` without the named fields; a required one left out fails to compile where it is used. */
function without<K extends keyof EdgeRequestParams>(params: EdgeRequestParams, ...names: K[]): Omit<EdgeRequestParams, K> {
  const out: Record<string, unknown> = { ...params };
  for (const n of names) delete out[n];
  // `out` is `params` with exactly the keys of `names` deleted.
  return out as Omit<EdgeRequestParams, K>;
}

function setup(options: HarnessOptions = {}): { h: ProxyHarness; sender: RequestSender; requester: EdgeRequester } {
  const h = new ProxyHarness(options);
  const t = h.config.timers;
  const profiles = deriveTransactionTimers({ t1Ms: t.t1Ms, t2Ms: t.t2Ms, t4Ms: t.t4Ms, timerCMs: 181_000, timerDMs: 32_000 });
  if (!profiles.ok) throw new Error(profiles.error.message);
  const sender = new RequestSender({
    wheel: h.wheel,
    timers: profiles.value,
    table: h.table,
    resolver: new NextHopResolver(new Set(['udp', 'tcp'])),
    transports: h.transports,
    now: () => h.wheel.now(),
  });
  return { h, sender, requester: new EdgeRequester('edge1', sender) };
}

/** A promise's outcome so far, without waiting for it. */
async function peek<T>(p: Promise<T>): Promise<{ done: false } | { done: true; value: T }> {
  let out: { done: false } | { done: true; value: T } = { done: false };
  void p.then((value) => (out = { done: true, value }));
  await new Promise<void>((r) => setImmediate(r));
  return out;
}

describe('edge request on the wire', () => {
  it('sends a REGISTER with the Contact of the listener it leaves from, the caller headers and its own Via', async () => {
    const { h, requester } = setup();
    const pending = requester.request(REGISTER);
    const req = h.takeOne();
    expect(req.dest).toEqual(CALLEE_A);
    const branch = topBranch(req.text);
    expect(branch).toMatch(/^z9hG4bK/);
    expect(req.text).toBe(
      [
        'REGISTER sip:carrier.example SIP/2.0',
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch};rport`,
        'Max-Forwards: 70',
        'From: <sip:4420001@carrier.example>;tag=u7d1e0a',
        'To: <sip:4420001@carrier.example>',
        'Call-ID: uac-7d1e0a@sipmesh',
        'CSeq: 2 REGISTER',
        'Contact: <sip:trunk-a@192.0.2.10:5060;transport=udp>;expires=3600',
        'Expires: 3600',
        'User-Agent: sipmesh-test',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    h.receive(responseTo(req.text, 200, 'OK', { extra: ['Contact: <sip:trunk-a@192.0.2.10:5060;transport=udp>;expires=600'] }), CALLEE_A);
    await expect(pending).resolves.toMatchObject({ status: 200, local: false, call_id: 'uac-7d1e0a@sipmesh', from_tag: 'u7d1e0a', contact: 'sip:trunk-a@192.0.2.10:5060;transport=udp', edge: 'edge1' });
  });

  it('makes up the From tag and Call-ID when not given, and says which it used', async () => {
    const { h, requester } = setup();
    const pending = requester.request(without(REGISTER, 'from_tag', 'call_id', 'contact_user', 'contact_params'));
    const req = h.takeOne();
    expect(headerLines(req.text, 'contact')).toEqual([]);
    h.receive(responseTo(req.text, 200, 'OK'), CALLEE_A);
    const r = await pending;
    expect(r.call_id).toMatch(/^[0-9a-f]{24}@192\.0\.2\.10$/);
    expect(r.from_tag).toMatch(/^[0-9a-f]{12}$/);
    expect(r.contact).toBeUndefined();
    expect(headerLine(req.text, 'call-id')).toBe(`Call-ID: ${r.call_id}`);
    expect(headerLine(req.text, 'from')).toBe(`From: <sip:4420001@carrier.example>;tag=${r.from_tag}`);
  });

  it('writes a body with its Content-Type and Content-Length, and a TCP Contact for a TCP next hop', async () => {
    const { h, requester } = setup();
    const pending = requester.request({
      method: 'MESSAGE',
      uri: 'sip:bob@carrier.example',
      dst_uri: `${CARRIER_PROXY};transport=tcp`,
      from: 'sip:alice@sipmesh.example',
      to: 'sip:bob@carrier.example',
      cseq: 1,
      contact_user: 'a b',
      body: 'héllo',
      content_type: 'text/plain;charset=utf-8',
    });
    const req = h.takeOne();
    expect(req.dest).toEqual({ ...CALLEE_A, transport: 'tcp' });
    expect(startLine(req.text)).toBe('MESSAGE sip:bob@carrier.example SIP/2.0');
    expect(headerLine(req.text, 'via')).toMatch(/^Via: SIP\/2\.0\/TCP 192\.0\.2\.10:5060;branch=z9hG4bK\S+;rport$/);
    // RFC 3261 §25.1: a space is not allowed in a user part as is.
    expect(headerLine(req.text, 'contact')).toBe('Contact: <sip:a%20b@192.0.2.10:5060;transport=tcp>');
    expect(headerLine(req.text, 'content-type')).toBe('Content-Type: text/plain;charset=utf-8');
    expect(headerLine(req.text, 'content-length')).toBe('Content-Length: 6');
    expect(req.text.endsWith('\r\n\r\nhéllo')).toBe(true);
    h.receive(responseTo(req.text, 202, 'Accepted'), { ...CALLEE_A, transport: 'tcp' }, 1);
    await expect(pending).resolves.toMatchObject({ status: 202, reason: 'Accepted', contact: 'sip:a%20b@192.0.2.10:5060;transport=tcp' });
  });
});

describe('edge request answers', () => {
  it('returns every header line of a 401 as received, WWW-Authenticate included, folded lines made one', async () => {
    const { h, requester } = setup();
    const pending = requester.request(REGISTER);
    const req = h.takeOne();
    const response = sip([
      'SIP/2.0 401 Unauthorized',
      headerLine(req.text, 'via'),
      headerLine(req.text, 'from'),
      `${headerLine(req.text, 'to')};tag=as5f`,
      'i: uac-7d1e0a@sipmesh',
      'CSeq: 2 REGISTER',
      'WWW-Authenticate: Digest realm="carrier", nonce="n1", algorithm=MD5',
      'WWW-Authenticate: Digest realm="carrier",',
      '  nonce="n2", algorithm=SHA-256',
      'Server: carrier-sbc',
      'Content-Length: 0',
    ]);
    h.receive(response, CALLEE_A);
    const r = await pending;
    expect(r).toMatchObject({ status: 401, reason: 'Unauthorized', local: false });
    expect(r.headers).toEqual([
      headerLine(req.text, 'via'),
      headerLine(req.text, 'from'),
      `${headerLine(req.text, 'to')};tag=as5f`,
      'i: uac-7d1e0a@sipmesh',
      'CSeq: 2 REGISTER',
      'WWW-Authenticate: Digest realm="carrier", nonce="n1", algorithm=MD5',
      'WWW-Authenticate: Digest realm="carrier", nonce="n2", algorithm=SHA-256',
      'Server: carrier-sbc',
      'Content-Length: 0',
    ]);
  });

  it('skips provisional responses and settles with the first final one; a later retransmission is absorbed', async () => {
    const { h, requester } = setup();
    const pending = requester.request(REGISTER);
    const req = h.takeOne();
    h.advance(30);
    h.receive(responseTo(req.text, 100, 'Trying'), CALLEE_A);
    h.receive(responseTo(req.text, 183, 'Progressing'), CALLEE_A);
    expect((await peek(pending)).done).toBe(false);
    h.advance(20);
    h.receive(responseTo(req.text, 200, 'OK'), CALLEE_A);
    h.receive(responseTo(req.text, 200, 'OK'), CALLEE_A);
    const r = await pending;
    expect(r).toMatchObject({ status: 200, reason: 'OK', local: false, rtt_ms: 50 });
    expect(h.take()).toEqual([]);
  });

  it('answers a local 408 with no headers when no final response comes within timeout_ms (Timer F), after UDP retransmissions', async () => {
    const { h, requester } = setup();
    const pending = requester.request({ ...REGISTER, timeout_ms: 1000 });
    h.take();
    h.advance(999);
    expect((await peek(pending)).done).toBe(false);
    h.advance(1);
    const r: EdgeRequestResult = await pending;
    expect(r).toMatchObject({ status: 408, reason: 'Request Timeout', local: true, headers: [], rtt_ms: 1000, call_id: 'uac-7d1e0a@sipmesh', from_tag: 'u7d1e0a' });
    // Timer E: T1 = 500 ms
    expect(h.transports.sent.map((d) => d.atMs)).toEqual([0, 500]);
    expect(h.table.size).toBe(0);
  });

  it('answers a local 503 when the transport refuses the request', async () => {
    const { h, requester } = setup();
    h.transports.refuse.add('udp:203.0.113.20:5060');
    const r = await requester.request(REGISTER);
    expect(r).toMatchObject({ status: 503, reason: 'Service Unavailable', local: true, headers: [] });
  });

  it('answers a local 503 when a stream fails after the send', async () => {
    const { h, sender, requester } = setup();
    const pending = requester.request({ ...REGISTER, dst_uri: `${CARRIER_PROXY};transport=tcp` });
    h.takeOne();
    sender.transportFailed({ transport: 'tcp', ip: '203.0.113.99', port: 5060 });
    expect((await peek(pending)).done).toBe(false);
    sender.transportFailed({ transport: 'tcp', ip: '203.0.113.20', port: 5060 });
    await expect(pending).resolves.toMatchObject({ status: 503, local: true });
  });

  it('sends a second request as a new transaction with a new branch, even with the same Call-ID', async () => {
    const { h, requester } = setup();
    const first = requester.request(REGISTER);
    const req1 = h.takeOne();
    h.receive(responseTo(req1.text, 401, 'Unauthorized', { extra: ['WWW-Authenticate: Digest realm="carrier", nonce="n1"'] }), CALLEE_A);
    expect((await first).status).toBe(401);
    const second = requester.request({ ...REGISTER, cseq: 3, headers: [...(REGISTER.headers ?? []), 'Authorization: Digest username="4420001", nonce="n1"'] });
    const req2 = h.takeOne();
    expect(topBranch(req2.text)).not.toBe(topBranch(req1.text));
    expect(headerLine(req2.text, 'cseq')).toBe('CSeq: 3 REGISTER');
    h.receive(responseTo(req2.text, 200, 'OK'), CALLEE_A);
    expect((await second).status).toBe(200);
  });
});

describe('edge requests that cannot be sent', () => {
  it('refuses a URI it cannot parse, a transport it has no listener for, and a full transaction table', async () => {
    const { requester } = setup({ listeners: [UDP_LISTENER] });
    await expect(requester.request({ ...without(REGISTER, 'dst_uri'), uri: 'sip:' })).rejects.toMatchObject({ code: RequestErrorCode.badUri, message: 'cannot parse sip:' });
    await expect(requester.request({ ...REGISTER, from: 'sip:a@' })).rejects.toBeInstanceOf(RequestError);
    await expect(requester.request({ ...REGISTER, dst_uri: `${CARRIER_PROXY};transport=tls` })).rejects.toMatchObject({ code: RequestErrorCode.unsupportedTransport });
    await expect(requester.request({ ...REGISTER, dst_uri: `${CARRIER_PROXY};transport=tcp` })).rejects.toMatchObject({ code: RequestErrorCode.unsupportedTransport, message: 'no tcp listener' });
  });

  it('refuses a request when the transaction table is full', async () => {
    const { h, requester } = setup({ config: { 'transactions.maxActive': 100 } });
    for (let i = 0; i < 100; i++) void requester.request(REGISTER);
    await expect(requester.request(REGISTER)).rejects.toMatchObject({ code: RequestErrorCode.tableFull });
    h.advance(5000);
    expect(h.table.size).toBe(0);
  });

  it('names what the schema cannot: headers the edge writes, a Contact twice, a bad tag, a body without type', () => {
    expect(edgeRequestProblems(REGISTER)).toEqual([]);
    expect(edgeRequestProblems({ ...without(REGISTER, 'contact_user', 'contact_params'), headers: ['Contact: <sip:trunk-a@203.0.113.5>;expires=60'] })).toEqual([]);
    expect(edgeRequestProblems(without(REGISTER, 'contact_user'))).toEqual(['contact_params: given without contact_user']);
    expect(
      edgeRequestProblems({ ...REGISTER, from_tag: 'a;b', body: 'x', headers: ['Expires: 60', 'v: SIP/2.0/UDP 10.0.0.1', 'Content-Type: text/plain', 'Contact: <sip:x@y>'] }),
    ).toEqual(['headers[1]: the edge writes v itself', 'headers[2]: the edge writes Content-Type itself (use content_type)', 'headers[3]: a Contact line and contact_user together', 'from_tag: not a token (RFC 3261 §25.1)', 'body: given without content_type']);
  });
});
