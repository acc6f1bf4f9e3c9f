import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkVersion, createValidators } from './validators.js';
import { formatTxId, parseTxId, subjects } from './subjects.js';

const example = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../examples/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('contract validators', () => {
  const v = createValidators();

  it('accepts every documented example', () => {
    expect(v.routeRequest(example('route-request.json'))).toEqual({ ok: true, value: example('route-request.json') });
    expect(v.routeAnswer(example('route-answer-serial.json')).ok).toBe(true);
    expect(v.routeAnswer(example('route-answer-reply.json')).ok).toBe(true);
    expect(v.continueMessage(example('continue.json')).ok).toBe(true);
    expect(v.continueMessage(example('continue-error.json')).ok).toBe(true);
    expect(v.transactionCompleted(example('transaction-completed.json')).ok).toBe(true);
  });

  it('ignores unknown fields (forward compatibility)', () => {
    const answer = { ...example('route-answer-reply.json'), x_future: { a: 1 } };
    expect(v.routeAnswer(answer).ok).toBe(true);
  });

  it('names the offending field of an invalid answer', () => {
    const r = v.routeAnswer({ version: '1.0', routes: [{ uri: 42 }] });
    expect(r).toEqual({ ok: false, errors: ['/routes/0/uri: must be string'] });
  });

  it('rejects an answer with both reply and routes, or neither', () => {
    expect(v.routeAnswer({ version: '1.0', reply: { code: 404, reason: 'x' }, routes: [{ uri: 'sip:a@b' }] }).ok).toBe(false);
    expect(v.routeAnswer({ version: '1.0' }).ok).toBe(false);
    expect(v.routeAnswer({ version: '1.0', routes: [] }).ok).toBe(false);
  });

  it('rejects header lines that could inject CRLF', () => {
    const r = v.routeAnswer({ version: '1.0', reply: { code: 503, reason: 'x', headers: ['Retry-After: 5\r\nX-Evil: 1'] } });
    expect(r.ok).toBe(false);
    expect(v.routeAnswer({ version: '1.0', reply: { code: 503, reason: 'a\r\nb' } }).ok).toBe(false);
  });

  it('rejects a route request without the facts a policy needs', () => {
    const req = example('route-request.json');
    const params = { ...(req['params'] as Record<string, unknown>) };
    delete params['source'];
    const r = v.routeRequest({ ...req, params });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain("/params: must have required property 'source'");
  });

  it('validates codes of on_failure', () => {
    expect(v.routeAnswer({ version: '1.0', routes: [{}], on_failure: { codes: ['5xx', 408] } }).ok).toBe(true);
    expect(v.routeAnswer({ version: '1.0', routes: [{}], on_failure: { codes: ['5x'] } }).ok).toBe(false);
    expect(v.routeAnswer({ version: '1.0', routes: [{}], on_failure: { action: 'retry' } }).ok).toBe(false);
  });
});

describe('registrar messages', () => {
  const v = createValidators();

  it('accepts the documented lookup, auth and registration examples', () => {
    expect(v.locationLookup(example('location-lookup.json')).ok).toBe(true);
    expect(v.locationLookupResponse(example('location-lookup-response.json')).ok).toBe(true);
    expect(v.authCheck(example('auth-check.json')).ok).toBe(true);
    expect(v.authCheckResponse(example('auth-check-response.json')).ok).toBe(true);
    expect(v.registration(example('registration.json')).ok).toBe(true);
  });

  it('rejects a lookup group that is empty and a contact without its edge', () => {
    const res = { jsonrpc: '2.0', id: 'x', result: { version: '1.0', aor: 'a@b', groups: [[]] } };
    expect(v.locationLookupResponse(res).ok).toBe(false);
    const noEdge = { jsonrpc: '2.0', id: 'x', result: { version: '1.0', aor: 'a@b', groups: [[{ uri: 'sip:a@1.2.3.4', expires: 5, ruid: 'r' }]] } };
    const r = v.locationLookupResponse(noEdge);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain("/result/groups/0/0: must have required property 'edge'");
  });

  it('accepts the documented edge request and its response, and refuses INVITE through it', () => {
    expect(v.edgeRequest(example('edge-request.json')).ok).toBe(true);
    expect(v.edgeRequestResponse(example('edge-request-response.json')).ok).toBe(true);
    const invite = { jsonrpc: '2.0', id: 'x', method: 'request', params: { method: 'INVITE', uri: 'sip:a@b', from: 'sip:c@d', to: 'sip:a@b', cseq: 1 } };
    expect(v.edgeRequest(invite).ok).toBe(false);
  });

  it('accepts branch credentials with a password or an ha1, not with neither', () => {
    expect(v.routeAnswer({ version: '1.0', routes: [{ uri: 'sip:1@gw', auth: { username: 'trunk', password: 's' } }] }).ok).toBe(true);
    expect(v.routeAnswer({ version: '1.0', routes: [{ uri: 'sip:1@gw', auth: { username: 'trunk', ha1: '0123456789abcdef0123456789abcdef' } }] }).ok).toBe(true);
    expect(v.routeAnswer({ version: '1.0', routes: [{ uri: 'sip:1@gw', auth: { username: 'trunk' } }] }).ok).toBe(false);
  });

  it('rejects an auth result that is neither ok, challenge nor banned', () => {
    expect(v.authCheckResponse({ jsonrpc: '2.0', id: 'x', result: { version: '1.0', result: 'maybe' } }).ok).toBe(false);
  });
});

describe('OPTIONS probe', () => {
  const v = createValidators();
  it('accepts a probe request and both forms of its response, and refuses what an edge cannot send', () => {
    expect(v.optionsProbe({ jsonrpc: '2.0', id: 'p1', method: 'options', params: { uri: 'sip:10.0.0.10:5060;transport=tcp', timeout_ms: 2000 } }).ok).toBe(true);
    expect(v.optionsProbe({ jsonrpc: '2.0', id: 'p1', method: 'options', params: { uri: 'tel:+4930123' } }).ok).toBe(false);
    expect(v.optionsProbe({ jsonrpc: '2.0', id: 'p1', method: 'options', params: { uri: 'sip:a', timeout_ms: 5 } }).ok).toBe(false);
    expect(v.optionsProbeResponse({ jsonrpc: '2.0', id: 'p1', result: { status: 200, reason: 'OK', local: false, rtt_ms: 1.5, edge: 'e1' } }).ok).toBe(true);
    expect(v.optionsProbeResponse({ jsonrpc: '2.0', id: 'p1', error: { code: -32602, message: 'bad uri' } }).ok).toBe(true);
    expect(v.optionsProbeResponse({ jsonrpc: '2.0', id: 'p1', result: { status: 100, reason: 'Trying', local: false, rtt_ms: 1, edge: 'e1' } }).ok).toBe(false);
  });
});

describe('versions', () => {
  it('accepts the same or an older major version and rejects a newer one', () => {
    expect(checkVersion('1.0')).toEqual({ ok: true });
    expect(checkVersion('1.7')).toEqual({ ok: true });
    expect(checkVersion('0.9')).toEqual({ ok: true });
    expect(checkVersion('2.0')).toEqual({ ok: false, reason: 'version 2.0 is newer than supported major 1' });
    expect(checkVersion('x')).toEqual({ ok: false, reason: 'version "x" is not major.minor' });
  });
});

describe('subjects', () => {
  it('follows the v1 naming scheme', () => {
    expect(subjects.route('default')).toBe('sipmesh.route.v1.default');
    expect(subjects.continue('edge1')).toBe('sipmesh.edge.edge1.continue');
    expect(subjects.continueFor('edge1.17.99')).toBe('sipmesh.edge.edge1.continue.17.99');
    expect(subjects.events.transactionCompleted).toBe('sipmesh.events.v1.transaction.completed');
    expect(subjects.edgeRpc('edge1', 'options')).toBe('sipmesh.edge.edge1.rpc.options');
    expect(subjects.anyEdgeRpc('options')).toBe('sipmesh.edges.v1.rpc.options');
  });

  it('round-trips transaction ids and rejects malformed ones', () => {
    expect(parseTxId(formatTxId('edge-a', 12, 3456))).toEqual({ edgeId: 'edge-a', index: 12, label: 3456 });
    expect(parseTxId('edge.1')).toBeUndefined();
    expect(parseTxId('a.b.1.2')).toBeUndefined();
    expect(parseTxId('e.1.x')).toBeUndefined();
    expect(parseTxId('.1.2')).toBeUndefined();
  });
});
