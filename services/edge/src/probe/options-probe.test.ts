/**
 * The OPTIONS probe end to end inside one process: a running edge on loopback UDP, the in-process
 * bus carrying the JSON-RPC request, and a plain UDP socket as the probed peer. What a router sees:
 * the peer's status and round trip, a local 408 when it stays silent, and an error for a probe that
 * cannot be sent.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createValidators, JsonRpcErrorCode, subjects, type OptionsProbeResponse } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, loadConfig, LocalBus } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeApp, type EdgeApp } from '../app.js';
import { edgeServiceConfigSchema, edgeServiceEnvMap, type EdgeServiceConfig } from '../config/edge-service-config.js';

let bus: LocalBus;
let edge: EdgeApp;
let peer: dgram.Socket;
let peerPort = 0;
const seen: string[] = [];
let answer: ((req: string) => string | undefined) | undefined;

beforeAll(async () => {
  bus = new LocalBus();
  const config = loadConfig<EdgeServiceConfig>({
    schema: edgeServiceConfigSchema,
    env: {},
    envMap: edgeServiceEnvMap,
    overrides: { id: 'probe1', listen: [{ transport: 'udp', ip: '127.0.0.1', port: 0 }], 'events.enabled': false, 'admin.enabled': false },
  }) as EdgeServiceConfig;
  edge = await createEdgeApp({ config, bus, logger: createLogger({ service: 'edge', level: 'silent' }), registry: createMetricsRegistry({ service: 'edge', processMetrics: false }), tracing: false });
  peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  peerPort = peer.address().port;
  peer.on('message', (data: Buffer, rinfo) => {
    const text = data.toString();
    seen.push(text);
    const reply = answer?.(text);
    if (reply !== undefined) peer.send(Buffer.from(reply), rinfo.port, rinfo.address);
  });
});

afterAll(async () => {
  await edge.stop();
  await bus.close();
  await new Promise<void>((r) => peer.close(() => r()));
});

/** A response to `req` with `status`, echoing the headers RFC 3261 §8.2.6.2 says to copy. */
function respond(req: string, status: string): string {
  const header = (name: string): string => (new RegExp(`^${name}:.*$`, 'mi').exec(req)?.[0] ?? '') + '\r\n';
  return `SIP/2.0 ${status}\r\n${header('Via')}${header('From')}${header('To').replace(/\r\n$/, ';tag=peer\r\n')}${header('Call-ID')}${header('CSeq')}Content-Length: 0\r\n\r\n`;
}

async function probe(params: Record<string, unknown>, subject = subjects.anyEdgeRpc('options')): Promise<OptionsProbeResponse> {
  const reply = await bus.request(subject, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'p1', method: 'options', params })), { timeoutMs: 10_000 });
  const body = reply.json<OptionsProbeResponse>();
  const v = createValidators().optionsProbeResponse(body);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return body;
}

describe('OPTIONS probe through the edge', () => {
  it('sends a well-formed OPTIONS and reports the peer status and round trip', async () => {
    answer = (req) => respond(req, '200 OK');
    seen.length = 0;
    const r = await probe({ uri: `sip:127.0.0.1:${peerPort}`, from: 'sip:dispatcher@localhost' });
    expect(r.result).toMatchObject({ status: 200, reason: 'OK', local: false, edge: 'probe1' });
    expect(r.result?.rtt_ms).toBeGreaterThanOrEqual(0);
    expect(r.result?.rtt_ms).toBeLessThan(1000);
    const req = seen[0] ?? '';
    expect(req).toMatch(new RegExp(`^OPTIONS sip:127\\.0\\.0\\.1:${peerPort} SIP/2\\.0\\r\\n`));
    expect(req).toMatch(/^Via: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[^;\r]+;rport\r$/m);
    expect(req).toMatch(/^From: <sip:dispatcher@localhost>;tag=\w+\r$/m);
    expect(req).toMatch(/^CSeq: 1 OPTIONS\r$/m);
    expect(req).toMatch(/^Max-Forwards: 70\r$/m);
  });

  it('answers a CRLF keep-alive to a TCP address locally (477 without an open connection) and sends an OPTIONS over UDP instead', async () => {
    seen.length = 0;
    const tcp = await probe({ uri: 'sip:phone@127.0.0.1:5999;transport=tcp', keepalive: 'crlf' });
    expect(tcp.result).toMatchObject({ status: 477, reason: 'No Open Connection', local: true, edge: 'probe1' });
    answer = (req) => respond(req, '200 OK');
    const udp = await probe({ uri: `sip:127.0.0.1:${peerPort}`, keepalive: 'crlf' });
    expect(udp.result).toMatchObject({ status: 200, local: false });
    expect(seen).toHaveLength(1);
  });

  it('passes on a refusal as the peer gave it (the router decides what counts as up)', async () => {
    answer = (req) => respond(req, '404 Not Found');
    const r = await probe({ uri: `sip:nobody@127.0.0.1:${peerPort}` }, subjects.edgeRpc('probe1', 'options'));
    expect(r.result).toMatchObject({ status: 404, reason: 'Not Found', local: false });
  });

  it('answers 408 made locally when the peer stays silent, after the timeout and UDP retransmissions', async () => {
    answer = undefined;
    seen.length = 0;
    const started = Date.now();
    const r = await probe({ uri: `sip:127.0.0.1:${peerPort}`, timeout_ms: 1200 });
    expect(r.result).toMatchObject({ status: 408, local: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    // T1 = 500 ms: the request went out at 0 and was retransmitted at 500 ms
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses what it cannot send with a JSON-RPC error, and a malformed request likewise', async () => {
    const tls = await probe({ uri: 'sip:127.0.0.1:5061;transport=tls' });
    expect(tls.error).toMatchObject({ code: JsonRpcErrorCode.edgeActionFailed, data: { code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT', edge: 'probe1' } });
    const bad = await probe({ uri: 'sip:' });
    expect(bad.error?.code).toBe(JsonRpcErrorCode.edgeActionFailed);
    const invalid = await probe({ uri: 'mailto:x@y' });
    expect(invalid.error?.code).toBe(JsonRpcErrorCode.invalidParams);
  });
});
