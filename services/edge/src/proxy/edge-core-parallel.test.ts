/**
 * Parallel forking (rtjson `routing: parallel`, RFC 3261 §16.7): every route at once; the first
 * 2xx goes upstream and the other branches are CANCELled (§16.7 step 10 with §9.1 for branches that
 * have not sent a provisional yet); a 6xx ends the forking (step 5); when everything failed, the best
 * response goes upstream carrying the challenges of every 401/407 (steps 6-7).
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLEE_B, CALLER, headerLines, ProxyHarness, startLine, topBranch, type SentDatagram } from './proxy-harness.fixture.js';
import { invite, responseTo } from './sip-peers.fixture.js';

const PARALLEL = { routing: 'parallel' as const, routes: [{ dst_uri: 'sip:203.0.113.20:5060' }, { dst_uri: 'sip:203.0.113.21:5060' }] };

function fork(h: ProxyHarness): { a: SentDatagram; b: SentDatagram } {
  h.receive(invite());
  h.take();
  h.router.answer(PARALLEL);
  const sent = h.take();
  const a = sent.find((d) => d.dest.ip === CALLEE_A.ip);
  const b = sent.find((d) => d.dest.ip === CALLEE_B.ip);
  if (!a || !b || sent.length !== 2) throw new Error('expected one INVITE to each callee');
  return { a, b };
}

/** Start lines of what was sent to `ip` since the last take (everything else taken too). */
function lines(h: ProxyHarness, ip: string): string[] {
  return h
    .take()
    .filter((d) => d.dest.ip === ip)
    .map((d) => startLine(d.text));
}

describe('parallel forking', () => {
  it('sends the INVITE to every route at once, each with its own branch', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    expect(topBranch(a.text)).toMatch(/\.0$/);
    expect(topBranch(b.text)).toMatch(/\.1$/);
    expect(a.text.replace(topBranch(a.text), 'X')).toBe(b.text.replace(topBranch(b.text), 'X'));
  });

  it('forwards the first 200 and CANCELs the other ringing branch', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 180, 'Ringing', { toTag: 'ta' }), CALLEE_A);
    h.receive(responseTo(b.text, 180, 'Ringing', { toTag: 'tb' }), CALLEE_B);
    expect(h.take().map((d) => [d.dest.ip, startLine(d.text)])).toEqual([
      [CALLER.ip, 'SIP/2.0 180 Ringing'],
      [CALLER.ip, 'SIP/2.0 180 Ringing'],
    ]);
    h.receive(responseTo(a.text, 200, 'OK', { toTag: 'ta' }), CALLEE_A);
    const sent = h.take();
    expect(sent.map((d) => [d.dest.ip, startLine(d.text)])).toEqual([
      [CALLER.ip, 'SIP/2.0 200 OK'],
      [CALLEE_B.ip, 'CANCEL sip:bob@example.com SIP/2.0'],
    ]);
    expect(topBranch(sent[1]?.text ?? '')).toBe(topBranch(b.text));
    // The 487 of the cancelled branch is ACKed there and goes no further.
    h.receive(responseTo(b.text, 487, 'Request Terminated', { toTag: 'tb' }), CALLEE_B);
    expect(h.take().map((d) => [d.dest.ip, startLine(d.text)])).toEqual([[CALLEE_B.ip, 'ACK sip:bob@example.com SIP/2.0']]);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[200, 'relayed']]);
  });

  it('CANCELs a branch that has sent nothing yet as soon as it sends a provisional (§9.1)', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 200, 'OK'), CALLEE_A);
    expect(h.take().map((d) => d.dest.ip)).toEqual([CALLER.ip]);
    h.receive(responseTo(b.text, 100, 'Trying'), CALLEE_B);
    expect(h.take().map((d) => [d.dest.ip, startLine(d.text)])).toEqual([[CALLEE_B.ip, 'CANCEL sip:bob@example.com SIP/2.0']]);
  });

  it('forwards a second 2xx from another branch too (§16.7 step 5)', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 200, 'OK', { toTag: 'ta' }), CALLEE_A);
    h.receive(responseTo(b.text, 200, 'OK', { toTag: 'tb' }), CALLEE_B);
    const up = h.take().filter((d) => d.dest.ip === CALLER.ip).map((d) => headerLines(d.text, 'to')[0]);
    expect(up).toEqual(['To: <sip:bob@example.com>;tag=ta', 'To: <sip:bob@example.com>;tag=tb']);
    expect(h.completed).toHaveLength(1);
  });

  it('CANCELs the others on a 6xx and forwards the 6xx once they are done', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(b.text, 180, 'Ringing'), CALLEE_B);
    h.take();
    h.receive(responseTo(a.text, 603, 'Decline', { toTag: 'ta' }), CALLEE_A);
    const sent = h.take().map((d) => `${d.dest.ip} ${startLine(d.text)}`);
    expect(sent.sort()).toEqual([`${CALLEE_A.ip} ACK sip:bob@example.com SIP/2.0`, `${CALLEE_B.ip} CANCEL sip:bob@example.com SIP/2.0`]);
    h.receive(responseTo(b.text, 487, 'Request Terminated', { toTag: 'tb' }), CALLEE_B);
    const up = h.take().filter((d) => d.dest.ip === CALLER.ip);
    expect(up.map((d) => startLine(d.text))).toEqual(['SIP/2.0 603 Decline']);
    expect(headerLines(up[0]?.text ?? '', 'to')).toEqual(['To: <sip:bob@example.com>;tag=ta']);
  });

  it('waits for every branch, then forwards the lowest class', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 503, 'Service Unavailable'), CALLEE_A);
    expect(lines(h, CALLER.ip)).toEqual([]);
    h.receive(responseTo(b.text, 486, 'Busy Here'), CALLEE_B);
    expect(lines(h, CALLER.ip)).toEqual(['SIP/2.0 486 Busy Here']);
  });

  it('collects the challenges of a 401 and a 407 into the response forwarded (§16.7 step 7)', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 401, 'Unauthorized', { toTag: 'ta', extra: ['WWW-Authenticate: Digest realm="a.example.com", nonce="n1", algorithm=MD5'] }), CALLEE_A);
    h.receive(responseTo(b.text, 407, 'Proxy Authentication Required', { toTag: 'tb', extra: ['Proxy-Authenticate: Digest realm="b.example.com", nonce="n2", algorithm=MD5'] }), CALLEE_B);
    const up = h.take().filter((d) => d.dest.ip === CALLER.ip);
    expect(up).toHaveLength(1);
    const text = up[0]?.text ?? '';
    expect(startLine(text)).toBe('SIP/2.0 401 Unauthorized');
    expect(headerLines(text, 'www-authenticate')).toEqual(['WWW-Authenticate: Digest realm="a.example.com", nonce="n1", algorithm=MD5']);
    expect(headerLines(text, 'proxy-authenticate')).toEqual(['Proxy-Authenticate: Digest realm="b.example.com", nonce="n2", algorithm=MD5']);
    expect(headerLines(text, 'content-length')).toEqual(['Content-Length: 0']);
  });

  it('prefers a 407 to an earlier 404 (§16.7 step 6)', () => {
    const h = new ProxyHarness();
    const { a, b } = fork(h);
    h.receive(responseTo(a.text, 404, 'Not Found', { toTag: 'ta' }), CALLEE_A);
    h.receive(responseTo(b.text, 407, 'Proxy Authentication Required', { toTag: 'tb', extra: ['Proxy-Authenticate: Digest realm="b.example.com", nonce="n2"'] }), CALLEE_B);
    expect(lines(h, CALLER.ip)).toEqual(['SIP/2.0 407 Proxy Authentication Required']);
  });

  it('asks the router again when every branch failed and on_failure is ask', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    h.take();
    h.router.answer({ ...PARALLEL, on_failure: { action: 'ask' } });
    const [a, b] = h.take();
    h.receive(responseTo(a?.text ?? '', 503, 'Service Unavailable'), CALLEE_A);
    expect(h.router.asks).toHaveLength(1);
    h.receive(responseTo(b?.text ?? '', 480, 'Temporarily Unavailable'), CALLEE_B);
    expect(h.router.asks).toHaveLength(2);
    expect(h.router.last().params.failure?.branches.map((o) => o.status)).toEqual([503, 480]);
  });
});
