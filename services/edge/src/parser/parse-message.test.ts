import { describe, expect, it } from 'vitest';
import type { ParseResult } from './parse-message.js';
import { parseMessage } from './parse-message.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { parseUri } from './sip-uri.js';
import * as rfc4475 from './testdata/rfc4475-messages.js';

function request(buf: Buffer): SipRequest {
  const result = parseMessage(buf);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.reason}`);
  if (result.message.kind !== 'request') throw new Error('not a request');
  return result.message;
}

function response(buf: Buffer): SipResponse {
  const result = parseMessage(buf);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.reason}`);
  if (result.message.kind !== 'response') throw new Error('not a response');
  return result.message;
}

function errorCode(result: ParseResult): string | undefined {
  return result.ok ? undefined : result.error.code;
}

describe('parseMessage: RFC 4475 valid messages', () => {
  it('wsinv: folding, LWS everywhere, compact and mixed-case names, leading zeros', () => {
    const m = request(rfc4475.wsinv);
    expect(m.method).toBe('INVITE');
    expect(m.requestUri).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(m.version).toBe('SIP/2.0');
    expect(m.uri?.params.get('unknownparam')).toBeNull();
    expect(m.to.uri).toBe('sip:vivekg@chair-dnrc.example.com');
    expect(m.to.tag).toBe('1918181833n');
    expect(m.to.display).toBeUndefined();
    expect(m.from.display).toBe('J Rosenberg \\"');
    expect(m.from.tag).toBe('98asjd8');
    expect(m.maxForwards).toBe(68);
    expect(m.maxForwardsInvalid).toBe(false);
    expect(m.callId).toBe('wsinv.ndaksdj@192.0.2.1');
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.contentLength).toBe(150);
    expect(m.body.length).toBe(150);
    expect(m.body.toString('latin1', 0, 5)).toBe('v=0\r\n');
    expect(m.header('subject')).toBe('');
    expect(m.header('s')).toBe('');
    expect(m.header('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.header('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(m.headerValues('unknownheaderwithunusualvalue')).toEqual([';;,,;;,;']);

    expect(m.topVia).toMatchObject({ transport: 'UDP', host: '192.0.2.2', port: undefined, branch: '390skdjuw' });
    expect(m.vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(m.headerFields('via').length).toBe(2);

    expect(m.routes.length).toBe(1);
    expect(m.routes[0]?.uri).toBe('sip:services.example.com;lr;unknownwith=value;unknown-no-value');
    expect(m.contacts.length).toBe(1);
    const contact = m.contacts[0];
    expect(contact?.display).toBe('Quoted string ""');
    expect(contact?.uri).toBe('sip:jdrosen@example.com');
    expect([...(contact?.params ?? [])]).toEqual([
      ['newparam', 'newvalue'],
      ['secondparam', null],
      ['q', '0.33'],
    ]);
    expect(m.contactStar).toBe(false);
  });

  it('wsinv: header index offsets point at names and values in the buffer', () => {
    const m = request(rfc4475.wsinv);
    const to = m.headerFields('To')[0];
    expect(to).toBeDefined();
    if (to === undefined) return;
    expect(m.raw.toString('latin1', to.lineStart, to.lineEnd)).toBe('TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(m.raw.toString('latin1', to.valueStart, to.valueEnd)).toBe('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(m.headers.map((h) => h.name)).toEqual([
      'to', 'from', 'max-forwards', 'call-id', 'content-length', 'cseq', 'via', 'subject', 'newfangledheader',
      'unknownheaderwithunusualvalue', 'content-type', 'route', 'via', 'contact',
    ]);
  });

  it('intmeth: unusual method, R-URI with password, quoted control characters, UTF-8 values', () => {
    const m = request(rfc4475.intmeth);
    expect(m.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.cseq.method).toBe(m.method);
    expect(m.cseq.seq).toBe(139122385);
    const uri = m.uri;
    expect(uri?.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri?.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(uri?.host).toBe('example.com');
    expect(m.topVia.branch).toBe("z9hG4bK-.!%66*_+`'~");
    expect(m.to.display).toBe('BEL:\x07 NUL:\x00 DEL:\x7f');
    expect(m.from.display).toBe("token1~` token2'+_ token3*%!.-");
    expect(m.from.params.get("fromparam''~+*_!.-%")).toBe('"работающий"');
    expect(m.from.tag).toBe("_token~1'+`*%!-.");
    expect(m.callId).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(m.maxForwards).toBe(255);
    expect(m.header("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
  });

  it('esc01: escaped characters are resolved in URIs, not in the R-URI string', () => {
    const m = request(rfc4475.esc01);
    expect(m.requestUri).toBe('sip:sips%3Auser%40example.com@example.net');
    expect(m.uri?.user).toBe('sips:user@example.com');
    expect(m.uri?.host).toBe('example.net');
    expect(parseUri(m.to.uri)?.user).toBe('user');
    expect(parseUri(m.from.uri)?.user).toBe('I have spaces');
    expect(m.header('content-type')).toBe('application/sdp');
    const contact = parseUri(m.contacts[0]?.uri ?? '');
    expect(contact?.user).toBe('caller');
    expect([...(contact?.params ?? [])]).toEqual([
      ['lr', null],
      ['name', 'value%41'],
    ]);
  });

  it('escnull: %00 in users, two distinct contacts, compact L with no space', () => {
    const m = request(rfc4475.escnull);
    expect(parseUri(m.to.uri)?.user).toBe('null-\x00-null');
    expect(m.contacts.map((c) => parseUri(c.uri)?.user)).toEqual(['\x00', '\x00\x00']);
    expect(m.contentLength).toBe(0);
  });

  it('esc02: % is not an escape in methods and header names', () => {
    const m = request(rfc4475.esc02);
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.to.display).toBe('%Z%45');
    expect(m.contacts.map((c) => c.uri)).toEqual(['sip:alias1@host1.example.com', 'sip:alias3@host3.example.com']);
    expect(m.header('C%6Fntact')).toBe('<sip:alias2@host2.example.com>');
  });

  it('lwsdisp: token display name directly before <', () => {
    const m = request(rfc4475.lwsdisp);
    expect(m.from.display).toBe('caller');
    expect(m.from.uri).toBe('sip:caller@example.com');
    expect(m.from.tag).toBe('323');
  });

  it('longreq: long values and 34 Via lines in every spelling', () => {
    const m = request(rfc4475.longreq);
    expect(m.vias.length).toBe(34);
    expect(m.topVia.host).toBe('sip33.example.com');
    expect(m.vias[33]?.received).toBe('192.0.2.5');
    expect(m.vias[33]?.branch).toBe(`very${'long'.repeat(50)}branchvalue`);
    expect(m.to.display).toBe(`I have a user name of ${'extreme'.repeat(10)} proportion`);
    expect(parseUri(m.to.uri)?.port).toBe(6000);
    expect(m.from.tag).toBe(`12${'982'.repeat(50)}424`);
    expect(m.body.length).toBe(150);
  });

  it('dblreq: octets after Content-Length in a datagram are discarded (RFC 3261 §18.3)', () => {
    const m = request(rfc4475.dblreq);
    expect(m.method).toBe('REGISTER');
    expect(m.callId).toBe('dblreq.0ha0isndaksdj99sdfafnl3lk233412');
    expect(m.body.length).toBe(0);
    expect(m.contacts[0]?.uri).toBe('sip:j.user@host.example.com');
  });

  it('semiuri: ; inside the user part; folded comma list', () => {
    const m = request(rfc4475.semiuri);
    expect(m.uri?.user).toBe('user;par=u@example.net');
    expect(m.uri?.host).toBe('example.com');
    expect(m.uri?.params.size).toBe(0);
    expect(m.headerValues('Accept')).toEqual([
      'application/sdp', 'application/pkcs7-mime', 'multipart/mixed', 'multipart/signed', 'message/sip', 'message/sipfrag',
    ]);
  });

  it('transports: every transport token is kept upper-case', () => {
    const m = request(rfc4475.transports);
    expect(m.vias.map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    expect(m.callId).toBe('transports.kijh4akdnaqjkwendsasfdj');
  });

  it('unreason: UTF-8 reason phrase', () => {
    const m = response(rfc4475.unreason);
    expect(m.status).toBe(200);
    expect(m.reason).toBe('= 2**3 * 5**2 но сто девяносто девять - простое');
    expect(m.body.length).toBe(154);
  });

  it('noreason: empty reason phrase', () => {
    const m = response(rfc4475.noreason);
    expect(m.status).toBe(100);
    expect(m.reason).toBe('');
    expect(m.to.tag).toBe('902jndnke3');
  });
});

describe('parseMessage: invalid and incomplete input', () => {
  it('badinv01: a top Via that does not parse is refused (no response could be routed)', () => {
    expect(errorCode(parseMessage(rfc4475.badinv01))).toBe('EDGE_ERR_BAD_VIA');
  });

  it('clerr: a body shorter than Content-Length is kept for the sanity check', () => {
    const m = request(rfc4475.clerr);
    expect(m.contentLength).toBe(9999);
    expect(m.body.length).toBe(154);
  });

  it('scalar02: out-of-range numbers leave NaN / invalid markers', () => {
    const m = request(rfc4475.scalar02);
    expect(m.cseq.seq).toBeNaN();
    expect(m.cseq.method).toBe('REGISTER');
    expect(m.maxForwards).toBeUndefined();
    expect(m.maxForwardsInvalid).toBe(true);
  });

  it('insuf: missing From/To/Call-ID still parses, with placeholders', () => {
    const m = request(rfc4475.insuf);
    expect(m.callId).toBe('');
    expect(m.from.uri).toBe('');
    expect(m.to.tag).toBeUndefined();
    expect(m.hasHeader('from')).toBe(false);
  });

  it('refuses what cannot be a SIP message', () => {
    const msg = (s: string): ParseResult => parseMessage(Buffer.from(s, 'latin1'));
    expect(errorCode(msg(''))).toBe('EDGE_ERR_EMPTY_MESSAGE');
    expect(errorCode(msg('\r\n\r\n'))).toBe('EDGE_ERR_EMPTY_MESSAGE');
    expect(errorCode(msg('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe('EDGE_ERR_BAD_START_LINE');
    expect(errorCode(msg('INVITE sip:a@b SIP/2.0'))).toBe('EDGE_ERR_NO_HEADER_END');
    expect(errorCode(msg('INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n'))).toBe('EDGE_ERR_NO_HEADER_END');
    expect(errorCode(msg('INVITE sip:a@b SIP/2.0\r\nVia\r\n: x\r\n\r\n'))).toBe('EDGE_ERR_BAD_HEADER');
    expect(errorCode(msg('INVITE sip:a@b SIP/2.0\r\n Via: SIP/2.0/UDP h\r\n\r\n'))).toBe('EDGE_ERR_BAD_HEADER');
    expect(errorCode(msg('INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n'))).toBe('EDGE_ERR_MISSING_VIA');
    expect(errorCode(msg('INVITE sip:user@example.com; lr SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n'))).toBe('EDGE_ERR_BAD_START_LINE');
    expect(errorCode(msg('SIP/2.0 4294967301 better not break the receiver\r\nVia: SIP/2.0/UDP h\r\n\r\n'))).toBe('EDGE_ERR_BAD_START_LINE');
    expect(errorCode(msg('SIP/2.0 20 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n'))).toBe('EDGE_ERR_BAD_START_LINE');
  });

  it('skips CRLFs before the start line and tolerates bare LF line ends', () => {
    const m = request(Buffer.from('\r\n\r\nOPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: x\n\nbody', 'latin1'));
    expect(m.messageStart).toBe(4);
    expect(m.callId).toBe('x');
    expect(m.body.toString('latin1')).toBe('body');
    expect(m.contentLength).toBeUndefined();
  });

  it('marks a Content-Length that is not a number', () => {
    const m = request(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: -999\r\n\r\nabc', 'latin1'));
    expect(m.contentLength).toBeUndefined();
    expect(m.contentLengthInvalid).toBe(true);
    expect(m.body.toString('latin1')).toBe('abc');
  });

  it('reads a lone * Contact and IPv6 Via hosts', () => {
    const m = request(
      Buffer.from(
        'REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKx;rport;received=2001:db8::9\r\nContact: *\r\nExpires: 0\r\n\r\n',
        'latin1',
      ),
    );
    expect(m.contactStar).toBe(true);
    expect(m.contacts).toEqual([]);
    expect(m.topVia).toMatchObject({ transport: 'TCP', host: '[2001:db8::1]', port: 5070, rport: null, received: '2001:db8::9' });
  });
});
