import { describe, expect, it } from 'vitest';
import { buildAckForNon2xx, buildCancel, buildRequest, buildResponse } from './message-builder.js';
import { parseMessage } from './parse-message.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import * as rfc4475 from './testdata/rfc4475-messages.js';

function req(buf: Buffer | string): SipRequest {
  const r = parseMessage(typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf);
  if (!r.ok || r.message.kind !== 'request') throw new Error('not a request');
  return r.message;
}

function res(text: string): SipResponse {
  const r = parseMessage(Buffer.from(text, 'utf8'));
  if (!r.ok || r.message.kind !== 'response') throw new Error('not a response');
  return r.message;
}

const FORWARDED_INVITE =
  'INVITE sip:bob@192.0.2.4:5060 SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1, SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
  'Max-Forwards: 69\r\n' +
  'Route: <sip:p2.example.com;lr>\r\n' +
  'Route: <sip:p3.example.com;lr>\r\n' +
  'Record-Route: <sip:edge.example.com;lr>\r\n' +
  'To: Bob\r\n <sip:bob@biloxi.example.com>\r\n' +
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Timestamp: 54\r\n' +
  'Contact: <sip:alice@pc33.atlanta.example.com>\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';

describe('buildResponse (RFC 3261 §8.2.6)', () => {
  it('copies Via lines in order, From, To with the new tag, Call-ID, CSeq; always Content-Length', () => {
    const out = buildResponse(req(FORWARDED_INVITE), 486, 'Busy Here', { toTag: 'as83kd', server: 'sipmesh', headers: ['Retry-After: 30'] });
    expect(out.toString('utf8')).toBe(
      'SIP/2.0 486 Busy Here\r\n' +
        'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1, SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'To: Bob\r\n <sip:bob@biloxi.example.com>;tag=as83kd\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 INVITE\r\n' +
        'Server: sipmesh\r\n' +
        'Retry-After: 30\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });

  it('100 Trying copies Timestamp (§8.2.6.1) and adds no tag when none is given', () => {
    const out = buildResponse(req(FORWARDED_INVITE), 100, 'Trying');
    expect(out.toString('utf8')).toBe(
      'SIP/2.0 100 Trying\r\n' +
        'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1, SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'To: Bob\r\n <sip:bob@biloxi.example.com>\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 INVITE\r\n' +
        'Timestamp: 54\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });

  it('keeps an existing To tag, writes a body with its type, and can replace the top Via value', () => {
    const m = req(rfc4475.wsinv);
    const out = buildResponse(m, 200, 'OK', {
      toTag: 'ignored',
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
      topVia: 'SIP/2.0/UDP 192.0.2.2;branch=390skdjuw;received=192.0.2.99',
    });
    expect(out.toString('utf8')).toBe(
      'SIP/2.0 200 OK\r\n' +
        'Via: SIP/2.0/UDP 192.0.2.2;branch=390skdjuw;received=192.0.2.99\r\n' +
        'v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n' +
        '  branch  =   z9hG4bK9ikj8  ,\r\n' +
        ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n' +
        ' z9hG4bK30239\r\n' +
        'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>\r\n' +
        '  ;\r\n' +
        '  tag = 98asjd8\r\n' +
        'TO :\r\n' +
        ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n' +
        'Call-ID: wsinv.ndaksdj@192.0.2.1\r\n' +
        'cseq: 0009\r\n' +
        '  INVITE\r\n' +
        'Content-Type: application/sdp\r\n' +
        'Content-Length: 5\r\n' +
        '\r\n' +
        'v=0\r\n',
    );
  });

  it('answers a request missing headers with what it has (RFC 4475 insuf)', () => {
    expect(buildResponse(req(rfc4475.insuf), 400, 'Missing Required Header in Request').toString('utf8')).toBe(
      'SIP/2.0 400 Missing Required Header in Request\r\n' +
        'Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n' +
        'CSeq: 193942 INVITE\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });

  it('the built response parses back', () => {
    const r = parseMessage(buildResponse(req(FORWARDED_INVITE), 180, 'Ringing', { toTag: 'x1' }));
    expect(r.ok && r.message.kind === 'response' && r.message.to.tag).toBe('x1');
  });
});

describe('buildCancel (RFC 3261 §9.1)', () => {
  it('same R-URI, top Via only, Routes, From, To, Call-ID, CSeq number with CANCEL', () => {
    expect(buildCancel(req(FORWARDED_INVITE)).toString('utf8')).toBe(
      'CANCEL sip:bob@192.0.2.4:5060 SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1\r\n' +
        'Max-Forwards: 70\r\n' +
        'Route: <sip:p2.example.com;lr>\r\n' +
        'Route: <sip:p3.example.com;lr>\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'To: Bob <sip:bob@biloxi.example.com>\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 CANCEL\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });
});

describe('buildAckForNon2xx (RFC 3261 §17.1.1.3)', () => {
  it('same R-URI, top Via only, Routes, From of the INVITE, To of the response, CSeq number with ACK', () => {
    const response = res(
      'SIP/2.0 486 Busy Here\r\n' +
        'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1\r\n' +
        'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
        'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 INVITE\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
    expect(buildAckForNon2xx(req(FORWARDED_INVITE), response).toString('utf8')).toBe(
      'ACK sip:bob@192.0.2.4:5060 SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP edge.example.com;branch=z9hG4bKedge1\r\n' +
        'Max-Forwards: 70\r\n' +
        'Route: <sip:p2.example.com;lr>\r\n' +
        'Route: <sip:p3.example.com;lr>\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 ACK\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });
});

describe('buildRequest (RFC 3261 §8.1.1)', () => {
  it('an OPTIONS probe', () => {
    const out = buildRequest({
      method: 'OPTIONS',
      uri: 'sip:gw1.example.net:5060',
      via: 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKprobe1;rport',
      from: '<sip:edge@edge.example.com>;tag=p1',
      to: '<sip:gw1.example.net:5060>',
      callId: 'probe-1@edge.example.com',
      cseq: 1,
      headers: ['Accept: application/sdp'],
    });
    expect(out.toString('utf8')).toBe(
      'OPTIONS sip:gw1.example.net:5060 SIP/2.0\r\n' +
        'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKprobe1;rport\r\n' +
        'Max-Forwards: 70\r\n' +
        'From: <sip:edge@edge.example.com>;tag=p1\r\n' +
        'To: <sip:gw1.example.net:5060>\r\n' +
        'Call-ID: probe-1@edge.example.com\r\n' +
        'CSeq: 1 OPTIONS\r\n' +
        'Accept: application/sdp\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });

  it('a MESSAGE with a contact and a body', () => {
    const out = buildRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      via: 'SIP/2.0/TCP 192.0.2.10;branch=z9hG4bKm1',
      from: '<sip:edge@example.com>;tag=m1',
      to: '<sip:bob@example.com>',
      callId: 'm1',
      cseq: 7,
      maxForwards: 10,
      contact: '<sip:edge@192.0.2.10;transport=tcp>',
      body: Buffer.from('hi'),
      contentType: 'text/plain',
    });
    expect(out.toString('utf8')).toBe(
      'MESSAGE sip:bob@example.com SIP/2.0\r\n' +
        'Via: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bKm1\r\n' +
        'Max-Forwards: 10\r\n' +
        'From: <sip:edge@example.com>;tag=m1\r\n' +
        'To: <sip:bob@example.com>\r\n' +
        'Call-ID: m1\r\n' +
        'CSeq: 7 MESSAGE\r\n' +
        'Contact: <sip:edge@192.0.2.10;transport=tcp>\r\n' +
        'Content-Type: text/plain\r\n' +
        'Content-Length: 2\r\n' +
        '\r\n' +
        'hi',
    );
  });

  it('refuses CR/LF in a value (header injection)', () => {
    expect(() => buildRequest({ method: 'OPTIONS', uri: 'sip:a', via: 'x\r\nEvil: 1', from: 'f', to: 't', callId: 'c', cseq: 1 })).toThrow(RangeError);
  });
});
