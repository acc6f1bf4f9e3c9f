/**
 * uac_auth for relayed requests (Kamailio uac_auth() + dialog track_cseq_updates): a branch whose
 * route carries credentials answers a 401/407 of their realm itself, once, with a new transaction
 * (CSeq + 1, Authorization / Proxy-Authorization); the dialog it creates keeps both ends' CSeq
 * numbering consistent through `cs`/`ftag` on our Record-Route (dialog-cseq.ts). The digests are
 * checked against an independent computation (node:crypto here, not uac-auth.ts).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Route } from '@sipmesh/contracts';
import type { TransportAddress } from '../transport/transport.js';
import { CALLEE_A, CALLER, headerLine, headerLines, ProxyHarness, relay, sip, startLine, topBranch, type SentDatagram } from './proxy-harness.fixture.js';
import { cancelOf, invite, message, responseTo } from './sip-peers.fixture.js';

const CREDENTIALS = { username: 'trunk1', password: 's3cret', realm: 'carrier.example' };
const REALM = 'carrier.example';
/** Where the caller's requests are: the private address its Via and Contact name. */
const CALLER_PRIVATE: TransportAddress = { transport: 'udp', ip: '10.0.0.5', port: 5062 };

function authRoute(auth: NonNullable<Route['auth']> = CREDENTIALS): { routes: Route[] } {
  return { routes: [{ dst_uri: 'sip:203.0.113.20:5060', auth }] };
}

function challenge(name: 'Proxy-Authenticate' | 'WWW-Authenticate', params = `realm="${REALM}", nonce="n0nce-1", qop="auth", algorithm=MD5, opaque="op-7"`): string {
  return `${name}: Digest ${params}`;
}

const hash = (algorithm: 'md5' | 'sha256', s: string): string => createHash(algorithm).update(s).digest('hex');

/** The auth-params of a credentials header line (a test-side reading, quoted or bare values). */
function digestParams(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const value = line.slice(line.indexOf(':') + 1).trim();
  expect(value.startsWith('Digest ')).toBe(true);
  for (const m of value.slice(7).matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]+))/g)) out.set(m[1] ?? '', m[2] ?? m[3] ?? '');
  return out;
}

/** The response a correct client computes (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1). */
function expectedResponse(p: Map<string, string>, method: string, password = CREDENTIALS.password): string {
  const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
  const h = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  let ha1 = hash(h, `${p.get('username') ?? ''}:${p.get('realm') ?? ''}:${password}`);
  if (algorithm.endsWith('-SESS')) ha1 = hash(h, `${ha1}:${p.get('nonce') ?? ''}:${p.get('cnonce') ?? ''}`);
  const ha2 = hash(h, `${method}:${p.get('uri') ?? ''}`);
  const qop = p.get('qop');
  return qop === undefined ? hash(h, `${ha1}:${p.get('nonce') ?? ''}:${ha2}`) : hash(h, `${ha1}:${p.get('nonce') ?? ''}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`);
}

function split(h: ProxyHarness): { up: SentDatagram[]; down: SentDatagram[] } {
  const sent = h.take();
  return { up: sent.filter((d) => d.dest.ip === CALLER.ip), down: sent.filter((d) => d.dest.ip === CALLEE_A.ip) };
}

/** The edge's response to a challenge: the ACK of the challenge (INVITE only), then the re-sent request. */
function challenged(h: ProxyHarness, first: SentDatagram, status: 401 | 407, header: string, toTag = 'ch1'): { ack: SentDatagram | undefined; again: SentDatagram } {
  h.receive(responseTo(first.text, status, status === 407 ? 'Proxy Authentication Required' : 'Unauthorized', { toTag, extra: [header] }), CALLEE_A);
  const { up, down } = split(h);
  expect(up).toEqual([]);
  const isInvite = startLine(first.text).startsWith('INVITE');
  expect(down).toHaveLength(isInvite ? 2 : 1);
  return { ack: isInvite ? down[0] : undefined, again: down[down.length - 1] as SentDatagram };
}

function inDialog(method: string, o: { routes: readonly string[]; ruri: string; cseq: number; branch: string; fromCallee?: boolean; extra?: readonly string[] }): Buffer {
  const caller = '"Alice" <sip:alice@example.com>;tag=a73kszlfl';
  const callee = '<sip:bob@example.com>;tag=b5x9';
  return sip([
    `${method} ${o.ruri} SIP/2.0`,
    o.fromCallee ? `Via: SIP/2.0/UDP 203.0.113.20:5060;branch=${o.branch}` : `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${o.branch};rport`,
    ...o.routes.map((r) => `Route: ${r}`),
    'Max-Forwards: 70',
    `From: ${o.fromCallee ? callee : caller}`,
    `To: ${o.fromCallee ? caller : callee}`,
    'Call-ID: f81d4fae@10.0.0.5',
    `CSeq: ${String(o.cseq)} ${method}`,
    ...(o.extra ?? []),
    'Content-Length: 0',
  ]);
}

describe('uac_auth: INVITE challenged with 407', () => {
  it('ACKs the 407, re-sends with CSeq 2 and Proxy-Authorization, and keeps the dialog CSeq consistent both ways', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    expect(headerLines(first.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
    expect(headerLines(first.text, 'proxy-authorization')).toEqual([]);

    const { ack, again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    // §17.1.1.3: the 407 is ACKed hop by hop on the first transaction, before the new request goes.
    expect(ack?.text).toBe(
      'ACK sip:bob@example.com SIP/2.0\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${topBranch(first.text)}\r\n` +
        'Max-Forwards: 70\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>;tag=ch1\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 ACK\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
    expect(again.dest).toEqual(CALLEE_A);
    const branch = topBranch(again.text);
    expect(branch).toBe(`${topBranch(first.text)}.a`);
    // Same Request-URI and headers; new Via branch, CSeq + 1, our Record-Route with the offset, credentials added.
    const credentials = headerLine(again.text, 'proxy-authorization');
    expect(again.text.replace(`\r\n${credentials}`, '')).toBe(
      first.text
        .replace(topBranch(first.text), branch)
        .replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')
        .replace('Record-Route: <sip:192.0.2.10;lr>', 'Record-Route: <sip:192.0.2.10;lr;cs=1;ftag=a73kszlfl>'),
    );
    const p = digestParams(credentials);
    expect(p.get('username')).toBe('trunk1');
    expect(p.get('realm')).toBe(REALM);
    expect(p.get('nonce')).toBe('n0nce-1');
    expect(p.get('uri')).toBe('sip:bob@example.com');
    expect(p.get('algorithm')).toBe('MD5');
    expect(p.get('qop')).toBe('auth');
    expect(p.get('nc')).toBe('00000001');
    expect(p.get('cnonce')).toMatch(/^[0-9a-f]{16}$/);
    expect(p.get('opaque')).toBe('op-7');
    expect(p.get('response')).toBe(expectedResponse(p, 'INVITE'));
    expect(headerLines(again.text, 'authorization')).toEqual([]);

    // The 200 (CSeq 2) reaches the caller with its own number, and our Record-Route with the offset.
    h.receive(responseTo(again.text, 200, 'OK'), CALLEE_A);
    const ok = split(h).up;
    expect(ok.map((d) => startLine(d.text))).toEqual(['SIP/2.0 200 OK']);
    const okText = ok[0]?.text ?? '';
    expect(headerLine(okText, 'cseq')).toBe('CSeq: 1 INVITE');
    expect(headerLines(okText, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr;cs=1;ftag=a73kszlfl>']);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome, c.tx.branches])).toEqual([[200, 'relayed', [{ uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 200, reason: 'OK' }]]]);

    // The caller builds its route set from the 200 (§12.1.2); its ACK (CSeq 1) goes on as 2.
    const route = (headerLine(okText, 'record-route').split(': ')[1] ?? '').trim();
    h.receive(inDialog('ACK', { routes: [route], ruri: 'sip:bob@203.0.113.20:5060', cseq: 1, branch: 'z9hG4bKack1' }));
    const ackOut = split(h).down;
    expect(ackOut.map((d) => [startLine(d.text), headerLine(d.text, 'cseq'), headerLines(d.text, 'route')])).toEqual([['ACK sip:bob@203.0.113.20:5060 SIP/2.0', 'CSeq: 2 ACK', []]]);

    // The caller's BYE (CSeq 2) goes on as 3; its 200 comes back as 2.
    h.receive(inDialog('BYE', { routes: [route], ruri: 'sip:bob@203.0.113.20:5060', cseq: 2, branch: 'z9hG4bKbye1' }));
    const bye = split(h).down;
    expect(bye.map((d) => headerLine(d.text, 'cseq'))).toEqual(['CSeq: 3 BYE']);
    h.receive(responseTo(bye[0]?.text ?? '', 200, 'OK'), CALLEE_A);
    const byeOk = split(h).up;
    expect(byeOk.map((d) => [startLine(d.text), headerLine(d.text, 'cseq')])).toEqual([['SIP/2.0 200 OK', 'CSeq: 2 BYE']]);
  });

  it('leaves the requests of the callee (From tag ≠ ftag) and their responses untouched', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 200, 'OK'), CALLEE_A);
    h.take();
    h.receive(inDialog('BYE', { routes: ['<sip:192.0.2.10;lr;cs=1;ftag=a73kszlfl>'], ruri: 'sip:alice@10.0.0.5:5062', cseq: 1, branch: 'z9hG4bKcalleebye', fromCallee: true }), CALLEE_A);
    const bye = h.takeOne();
    expect(bye.dest).toEqual(CALLER_PRIVATE);
    expect(headerLine(bye.text, 'cseq')).toBe('CSeq: 1 BYE');
    h.receive(responseTo(bye.text, 200, 'OK'), CALLER_PRIVATE);
    const ok = h.takeOne();
    expect(ok.dest).toEqual(CALLEE_A);
    expect(headerLine(ok.text, 'cseq')).toBe('CSeq: 1 BYE');
  });

  it('gives provisionals of the re-sent INVITE and a 2xx retransmitted after Timer M the caller’s CSeq', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 180, 'Ringing'), CALLEE_A);
    expect(split(h).up.map((d) => [startLine(d.text), headerLine(d.text, 'cseq'), headerLines(d.text, 'record-route')])).toEqual([
      ['SIP/2.0 180 Ringing', 'CSeq: 1 INVITE', ['Record-Route: <sip:192.0.2.10;lr;cs=1;ftag=a73kszlfl>']],
    ]);
    const ok = responseTo(again.text, 200, 'OK');
    h.receive(ok, CALLEE_A);
    h.take();
    // RFC 6026 §7.2: past Timer M the client transaction is gone; the 2xx is relayed statelessly.
    h.advance(40_000);
    h.take();
    h.receive(ok, CALLEE_A);
    const late = split(h).up;
    expect(late.map((d) => [startLine(d.text), headerLine(d.text, 'cseq')])).toEqual([['SIP/2.0 200 OK', 'CSeq: 1 INVITE']]);
    expect(h.counter('stray_responses_forwarded')).toBe(1);
  });

  it('raises the INVITE number in the RAck of the caller’s PRACK with its CSeq (RFC 3262 §7.2), and lowers it in the 200', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite({ extra: ['Supported: 100rel'] }), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 183, 'Session Progress', { extra: ['Require: 100rel', 'RSeq: 4711'] }), CALLEE_A);
    const early = split(h).up[0]?.text ?? '';
    expect(headerLine(early, 'cseq')).toBe('CSeq: 1 INVITE');
    const route = (headerLine(early, 'record-route').split(': ')[1] ?? '').trim();
    h.receive(inDialog('PRACK', { routes: [route], ruri: 'sip:bob@203.0.113.20:5060', cseq: 2, branch: 'z9hG4bKprack1', extra: ['RAck: 4711 1 INVITE'] }));
    const prack = split(h).down;
    expect(prack.map((d) => [startLine(d.text), headerLine(d.text, 'cseq'), headerLine(d.text, 'rack')])).toEqual([['PRACK sip:bob@203.0.113.20:5060 SIP/2.0', 'CSeq: 3 PRACK', 'RAck: 4711 2 INVITE']]);
    h.receive(responseTo(prack[0]?.text ?? '', 200, 'OK'), CALLEE_A);
    expect(split(h).up.map((d) => headerLine(d.text, 'cseq'))).toEqual(['CSeq: 2 PRACK']);
  });

  it('sends the challenge upstream when the re-sent INVITE is challenged again (no loop)', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 407, 'Proxy Authentication Required', { toTag: 'ch2', extra: [challenge('Proxy-Authenticate', `realm="${REALM}", nonce="n0nce-2", qop="auth"`)] }), CALLEE_A);
    const { up, down } = split(h);
    // The second 407 is ACKed on the second transaction (its branch, CSeq 2) and nothing more goes down.
    expect(down.map((d) => [startLine(d.text), topBranch(d.text), headerLine(d.text, 'cseq')])).toEqual([['ACK sip:bob@example.com SIP/2.0', topBranch(again.text), 'CSeq: 2 ACK']]);
    expect(up.map((d) => [startLine(d.text), headerLine(d.text, 'cseq'), headerLine(d.text, 'proxy-authenticate')])).toEqual([
      ['SIP/2.0 407 Proxy Authentication Required', 'CSeq: 1 INVITE', `Proxy-Authenticate: Digest realm="${REALM}", nonce="n0nce-2", qop="auth"`],
    ]);
    expect(h.completed.map((c) => c.tx.status)).toEqual([407]);
  });
});

describe('uac_auth: what is not answered', () => {
  it('forwards a 407 unchanged when the route has no credentials', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite());
    h.receive(responseTo(first.text, 407, 'Proxy Authentication Required', { toTag: 'ch1', extra: [challenge('Proxy-Authenticate')] }), CALLEE_A);
    const { up, down } = split(h);
    expect(down.map((d) => startLine(d.text))).toEqual(['ACK sip:bob@example.com SIP/2.0']);
    expect(up.map((d) => [startLine(d.text), headerLine(d.text, 'cseq'), headerLine(d.text, 'proxy-authenticate')])).toEqual([
      ['SIP/2.0 407 Proxy Authentication Required', 'CSeq: 1 INVITE', challenge('Proxy-Authenticate')],
    ]);
  });

  it('forwards a challenge of another realm', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute({ ...CREDENTIALS, realm: 'other.example' }));
    h.receive(responseTo(first.text, 407, 'Proxy Authentication Required', { toTag: 'ch1', extra: [challenge('Proxy-Authenticate')] }), CALLEE_A);
    const { up, down } = split(h);
    expect(down.map((d) => startLine(d.text))).toEqual(['ACK sip:bob@example.com SIP/2.0']);
    expect(up.map((d) => startLine(d.text))).toEqual(['SIP/2.0 407 Proxy Authentication Required']);
  });

  it('does not re-send an INVITE the caller has CANCELled (Kamailio t_is_canceled)', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    h.receive(responseTo(first.text, 100, 'Trying'), CALLEE_A);
    h.receive(cancelOf());
    expect(split(h).down.map((d) => startLine(d.text))).toEqual(['CANCEL sip:bob@example.com SIP/2.0']);
    h.receive(responseTo(first.text, 407, 'Proxy Authentication Required', { toTag: 'ch1', extra: [challenge('Proxy-Authenticate')] }), CALLEE_A);
    const { up, down } = split(h);
    expect(down.map((d) => startLine(d.text))).toEqual(['ACK sip:bob@example.com SIP/2.0']);
    expect(up.map((d) => startLine(d.text))).toEqual(['SIP/2.0 407 Proxy Authentication Required']);
  });
});

describe('uac_auth: challenge forms', () => {
  it('answers a 401 WWW-Authenticate with Authorization', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 401, challenge('WWW-Authenticate'));
    expect(headerLines(again.text, 'proxy-authorization')).toEqual([]);
    const p = digestParams(headerLine(again.text, 'authorization'));
    expect(p.get('response')).toBe(expectedResponse(p, 'INVITE'));
    expect(headerLine(again.text, 'cseq')).toBe('CSeq: 2 INVITE');
  });

  it('uses the RFC 2069 form when the challenge offers no qop', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate', `realm="${REALM}", nonce="legacy"`));
    const line = headerLine(again.text, 'proxy-authorization');
    const p = digestParams(line);
    expect([...p.keys()].sort()).toEqual(['algorithm', 'nonce', 'realm', 'response', 'uri', 'username']);
    expect(p.get('response')).toBe(hash('md5', `${hash('md5', `trunk1:${REALM}:s3cret`)}:legacy:${hash('md5', 'INVITE:sip:bob@example.com')}`));
  });

  it('answers a SHA-256 challenge with SHA-256 (RFC 8760), also from a stored HA1', () => {
    const header = challenge('Proxy-Authenticate', `realm="${REALM}", nonce="n256", qop="auth", algorithm=SHA-256`);
    for (const auth of [CREDENTIALS, { username: 'trunk1', ha1: hash('sha256', `trunk1:${REALM}:s3cret`) }]) {
      const h = new ProxyHarness();
      const first = relay(h, invite(), authRoute(auth));
      const { again } = challenged(h, first, 407, header);
      const p = digestParams(headerLine(again.text, 'proxy-authorization'));
      expect(p.get('algorithm')).toBe('SHA-256');
      expect(p.get('response')).toMatch(/^[0-9a-f]{64}$/);
      expect(p.get('response')).toBe(expectedResponse(p, 'INVITE'));
    }
  });

  it('picks the first challenge the credentials can answer (MD5 HA1 skips an offered SHA-256)', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute({ username: 'trunk1', ha1: hash('md5', `trunk1:${REALM}:s3cret`) }));
    h.receive(
      responseTo(first.text, 407, 'Proxy Authentication Required', {
        toTag: 'ch1',
        extra: [challenge('Proxy-Authenticate', `realm="${REALM}", nonce="n1", qop="auth", algorithm=SHA-256`), challenge('Proxy-Authenticate', `realm="${REALM}", nonce="n1", qop="auth", algorithm=MD5-sess`)],
      }),
      CALLEE_A,
    );
    const again = split(h).down[1];
    const p = digestParams(headerLine(again?.text ?? '', 'proxy-authorization'));
    expect(p.get('algorithm')).toBe('MD5-sess');
    expect(p.get('response')).toBe(expectedResponse(p, 'INVITE'));
  });
});

describe('uac_auth: non-INVITE', () => {
  it('re-sends a MESSAGE with credentials and CSeq + 1, without Record-Route, and gives the caller its CSeq back', () => {
    const h = new ProxyHarness();
    const first = relay(h, message(), authRoute());
    const { again } = challenged(h, first, 401, challenge('WWW-Authenticate'));
    expect(startLine(again.text)).toBe('MESSAGE sip:bob@example.com SIP/2.0');
    expect(headerLine(again.text, 'cseq')).toBe('CSeq: 8 MESSAGE');
    expect(headerLines(again.text, 'record-route')).toEqual([]);
    expect(again.text.endsWith('\r\n\r\nhello')).toBe(true);
    const p = digestParams(headerLine(again.text, 'authorization'));
    expect(p.get('response')).toBe(expectedResponse(p, 'MESSAGE'));
    h.receive(responseTo(again.text, 202, 'Accepted'), CALLEE_A);
    const up = h.takeOne();
    expect(up.dest).toEqual(CALLER);
    expect([startLine(up.text), headerLine(up.text, 'cseq')]).toEqual(['SIP/2.0 202 Accepted', 'CSeq: 7 MESSAGE']);
  });
});

describe('uac_auth: CANCEL', () => {
  it('CANCELs the re-sent INVITE with its branch and CSeq, and gives the caller the 487 with its CSeq', () => {
    const h = new ProxyHarness();
    const first = relay(h, invite(), authRoute());
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 180, 'Ringing'), CALLEE_A);
    h.take();
    h.receive(cancelOf());
    const { up, down } = split(h);
    expect(up.map((d) => [startLine(d.text), headerLine(d.text, 'cseq')])).toEqual([['SIP/2.0 200 OK', 'CSeq: 1 CANCEL']]);
    expect(down.map((d) => [startLine(d.text), topBranch(d.text), headerLine(d.text, 'cseq')])).toEqual([['CANCEL sip:bob@example.com SIP/2.0', topBranch(again.text), 'CSeq: 2 CANCEL']]);
    h.receive(responseTo(down[0]?.text ?? '', 200, 'OK'), CALLEE_A);
    expect(h.take()).toEqual([]);
    h.receive(responseTo(again.text, 487, 'Request Terminated'), CALLEE_A);
    const end = split(h);
    expect(end.up.map((d) => [startLine(d.text), headerLine(d.text, 'cseq')])).toEqual([['SIP/2.0 487 Request Terminated', 'CSeq: 1 INVITE']]);
    expect(end.down.map((d) => [startLine(d.text), topBranch(d.text), headerLine(d.text, 'cseq')])).toEqual([['ACK sip:bob@example.com SIP/2.0', topBranch(again.text), 'CSeq: 2 ACK']]);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[487, 'cancelled']]);
  });
});

describe('uac_auth: credentials stay secret', () => {
  it('never puts them into a log line or the transaction-completed record', () => {
    const h = new ProxyHarness();
    const secret = { username: 'trunk1', password: 'do-not-log-me', realm: REALM };
    h.receive(invite());
    h.take();
    h.router.answer({ routes: [{ dst_uri: 'sips:[bad', auth: secret }, { dst_uri: 'sip:203.0.113.20:5060', auth: secret }] });
    const first = h.takeOne();
    const { again } = challenged(h, first, 407, challenge('Proxy-Authenticate'));
    h.receive(responseTo(again.text, 200, 'OK'), CALLEE_A);
    h.take();
    expect(h.logs.map((l) => l.event)).toContain('route_unusable');
    const logged = JSON.stringify(h.logs);
    expect(logged).not.toContain('do-not-log-me');
    expect(logged).toContain('[redacted]');
    const { req: _req, inbound: _inbound, ...record } = h.completed[0]?.tx ?? {};
    expect(JSON.stringify(record)).not.toContain('do-not-log-me');
  });
});
