/**
 * The edge request end to end inside one process: a running edge on loopback UDP, the in-process
 * bus carrying the JSON-RPC requests, and a plain UDP socket as a carrier's registrar that
 * challenges the first REGISTER. What the registrar service sees: the 401 with its challenge, then
 * the 200 to the REGISTER it sends again with credentials.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createValidators, subjects, type EdgeRequestParams, type EdgeRequestResponse } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, loadConfig, LocalBus } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeApp, type EdgeApp } from '../app.js';
import { edgeServiceConfigSchema, edgeServiceEnvMap, type EdgeServiceConfig } from '../config/edge-service-config.js';

let bus: LocalBus;
let edge: EdgeApp;
let carrier: dgram.Socket;
let carrierPort = 0;
const seen: string[] = [];

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const HA1 = md5('4420001:carrier:s3cret');

/** The header line named `name` of a message, or '' (tests only: names spelt in full). */
function line(msg: string, name: string): string {
  return new RegExp(`^${name}:.*$`, 'mi').exec(msg)?.[0].replace(/\r$/, '') ?? '';
}

/** A response to `req` with `status` and `extra` lines, echoing what RFC 3261 §8.2.6.2 says to copy. */
function respond(req: string, status: string, extra: readonly string[] = []): string {
  return [`SIP/2.0 ${status}`, line(req, 'Via'), line(req, 'From'), `${line(req, 'To')};tag=as5f`, line(req, 'Call-ID'), line(req, 'CSeq'), ...extra, 'Content-Length: 0', '', ''].join('\r\n');
}

/** RFC 2617 digest response (no qop), as the carrier checks it. */
function digest(method: string, uri: string, nonce: string): string {
  return md5(`${HA1}:${nonce}:${md5(`${method}:${uri}`)}`);
}

beforeAll(async () => {
  bus = new LocalBus();
  const config = loadConfig<EdgeServiceConfig>({
    schema: edgeServiceConfigSchema,
    env: {},
    envMap: edgeServiceEnvMap,
    overrides: { id: 'uac1', listen: [{ transport: 'udp', ip: '127.0.0.1', port: 0 }], 'events.enabled': false, 'admin.enabled': false },
  }) as EdgeServiceConfig;
  edge = await createEdgeApp({ config, bus, logger: createLogger({ service: 'edge', level: 'silent' }), registry: createMetricsRegistry({ service: 'edge', processMetrics: false }), tracing: false });
  carrier = dgram.createSocket('udp4');
  carrier.bind(0, '127.0.0.1');
  await once(carrier, 'listening');
  carrierPort = carrier.address().port;
  // A registrar that challenges a REGISTER without valid credentials for nonce n1.
  carrier.on('message', (data: Buffer, rinfo) => {
    const req = data.toString();
    seen.push(req);
    const uri = /^REGISTER (\S+) /.exec(req)?.[1] ?? '';
    const authz = line(req, 'Authorization');
    const ok = authz.includes(`response="${digest('REGISTER', uri, 'n1')}"`);
    const reply = ok
      ? respond(req, '200 OK', [line(req, 'Contact'), 'Expires: 60'])
      : respond(req, '401 Unauthorized', ['WWW-Authenticate: Digest realm="carrier", nonce="n1", algorithm=MD5']);
    carrier.send(Buffer.from(reply), rinfo.port, rinfo.address);
  });
});

afterAll(async () => {
  await edge.stop();
  await bus.close();
  await new Promise<void>((r) => carrier.close(() => r()));
});

async function request(params: EdgeRequestParams): Promise<EdgeRequestResponse> {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: `uac.${String(params.cseq)}`, method: 'request', params }));
  const reply = await bus.request(subjects.anyEdgeRpc('request'), body, { timeoutMs: 10_000 });
  const response = reply.json<EdgeRequestResponse>();
  const v = createValidators().edgeRequestResponse(response);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return response;
}

describe('outbound registration through a running edge', () => {
  it('gets the 401 challenge back, then a 200 for the REGISTER sent again with credentials as a new transaction', async () => {
    const uri = `sip:127.0.0.1:${String(carrierPort)}`;
    const base: EdgeRequestParams = { method: 'REGISTER', uri, from: 'sip:4420001@carrier', to: 'sip:4420001@carrier', cseq: 1, contact_user: 'trunk-a', contact_params: ';expires=60', headers: ['Expires: 60'], timeout_ms: 2000 };
    const first = await request(base);
    expect(first.result).toMatchObject({ status: 401, reason: 'Unauthorized', local: false, edge: 'uac1' });
    const challenge = first.result?.headers.find((h) => h.startsWith('WWW-Authenticate:'));
    expect(challenge).toBe('WWW-Authenticate: Digest realm="carrier", nonce="n1", algorithm=MD5');
    const callId = first.result?.call_id ?? '';
    const fromTag = first.result?.from_tag ?? '';

    const authorization = `Authorization: Digest username="4420001", realm="carrier", nonce="n1", uri="${uri}", response="${digest('REGISTER', uri, 'n1')}", algorithm=MD5`;
    const second = await request({ ...base, call_id: callId, from_tag: fromTag, cseq: 2, headers: ['Expires: 60', authorization] });
    const edgePort = edge.listeners[0]?.advertisePort ?? 0;
    const contact = `sip:trunk-a@127.0.0.1:${String(edgePort)};transport=udp`;
    expect(second.result).toMatchObject({ status: 200, reason: 'OK', local: false, call_id: callId, from_tag: fromTag, contact });
    expect(second.result?.headers).toContain(`Contact: <${contact}>;expires=60`);
    expect(second.result?.headers).toContain('Expires: 60');

    expect(seen).toHaveLength(2);
    const [req1 = '', req2 = ''] = seen;
    const branch = (req: string): string => /;branch=([^;\r]+)/.exec(line(req, 'Via'))?.[1] ?? '';
    expect(branch(req2)).not.toBe(branch(req1));
    expect(line(req1, 'CSeq')).toBe('CSeq: 1 REGISTER');
    expect(line(req2, 'CSeq')).toBe('CSeq: 2 REGISTER');
    expect(line(req2, 'Call-ID')).toBe(line(req1, 'Call-ID'));
    expect(line(req2, 'Authorization')).toBe(authorization);
    expect(line(req1, 'Authorization')).toBe('');
  });
});
