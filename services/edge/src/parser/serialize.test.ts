import { describe, expect, it } from 'vitest';
import { MessageEdits } from './message-edits.js';
import { parseMessage } from './parse-message.js';
import { serializeRequest, serializeResponse } from './serialize.js';
import type { HeaderField, SipMessage, SipRequest, SipResponse } from './sip-message.js';
import * as rfc4475 from './testdata/rfc4475-messages.js';

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
}

function req(text: string): SipRequest {
  const m = parsed(Buffer.from(text, 'utf8'));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

function res(text: string): SipResponse {
  const m = parsed(Buffer.from(text, 'utf8'));
  if (m.kind !== 'response') throw new Error('not a response');
  return m;
}

function field(m: SipMessage, name: string, index = 0): HeaderField {
  const f = m.headerFields(name)[index];
  if (f === undefined) throw new Error(`no ${name}[${String(index)}]`);
  return f;
}

const INVITE =
  'INVITE sip:bob@biloxi.example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
  'Max-Forwards: 70\r\n' +
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n' +
  'Route: <sip:p3.example.com;lr>\r\n' +
  'To: Bob <sip:bob@biloxi.example.com>\r\n' +
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
  'CSeq: 314159 INVITE\r\n' +
  'Contact: <sip:alice@pc33.atlanta.example.com>\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'v=0\n';

/** INVITE with the line at `index` replaced by `replacement` lines (none to delete it). */
function inviteWith(index: number, ...replacement: string[]): string {
  const lines = INVITE.split('\r\n');
  lines.splice(index, 1, ...replacement);
  return lines.join('\r\n');
}

describe('serialize without edits', () => {
  const valid = ['wsinv', 'intmeth', 'esc01', 'escnull', 'esc02', 'lwsdisp', 'longreq', 'semiuri', 'transports', 'unreason', 'noreason', 'scalar02', 'insuf', 'mismatch01', 'badvers', 'bext01', 'unkscm'] as const;
  for (const name of valid) {
    it(`${name}: byte-identical`, () => {
      const original = rfc4475[name];
      const m = parsed(original);
      const out = m.kind === 'request' ? serializeRequest(m) : serializeResponse(m);
      expect(out.equals(original)).toBe(true);
      expect(m.kind === 'request' ? serializeRequest(m, new MessageEdits()) : serializeResponse(m, new MessageEdits())).toEqual(original);
    });
  }

  it('dblreq: only the first request, up to its Content-Length, is written', () => {
    const m = parsed(rfc4475.dblreq);
    expect(m.kind === 'request' && serializeRequest(m).equals(rfc4475.dblreqFirst)).toBe(true);
  });

  it('leading CRLFs are not part of the message', () => {
    const m = req('\r\n' + INVITE);
    expect(serializeRequest(m).toString('utf8')).toBe(INVITE);
  });
});

describe('serialize with edits: exact bytes', () => {
  it('setRequestUri replaces only the Request-URI', () => {
    const m = req(INVITE);
    const out = serializeRequest(m, new MessageEdits().setRequestUri('sip:bob@192.0.2.4:5062;transport=tcp'));
    expect(out.toString('utf8')).toBe(INVITE.replace('INVITE sip:bob@biloxi.example.com SIP/2.0', 'INVITE sip:bob@192.0.2.4:5062;transport=tcp SIP/2.0'));
  });

  it('prependHeader inserts before the first header, in call order', () => {
    const m = req(INVITE);
    const edits = new MessageEdits().prependHeader('Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1').prependHeader('Record-Route: <sip:proxy.example.com;lr>\r\n');
    expect(serializeRequest(m, edits).toString('utf8')).toBe(
      inviteWith(1, 'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1', 'Record-Route: <sip:proxy.example.com;lr>', 'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds'),
    );
  });

  it('appendHeader inserts after the last header', () => {
    const m = req(INVITE);
    const out = serializeRequest(m, new MessageEdits().appendHeader('X-A: 1').appendHeader('X-B: 2'));
    expect(out.toString('utf8')).toBe(inviteWith(11, 'Content-Length: 4', 'X-A: 1', 'X-B: 2'));
  });

  it('removeHeader drops one line, removeHeaders every line of a name', () => {
    const m = req(INVITE);
    expect(serializeRequest(m, new MessageEdits().removeHeader(field(m, 'contact'))).toString('utf8')).toBe(inviteWith(9));
    expect(serializeRequest(m, new MessageEdits().removeHeaders('ROUTE')).toString('utf8')).toBe(inviteWith(3, ...[]).replace('Route: <sip:p3.example.com;lr>\r\n', ''));
  });

  it('removeFirstValue pops values of a comma list, dropping the line when it empties', () => {
    const m = req(INVITE);
    const first = field(m, 'route', 0);
    expect(serializeRequest(m, new MessageEdits().removeFirstValue(first)).toString('utf8')).toBe(inviteWith(3, 'Route: <sip:p2.example.com;lr>'));
    expect(serializeRequest(m, new MessageEdits().removeFirstValue(first).removeFirstValue(first)).toString('utf8')).toBe(inviteWith(3));
    expect(serializeRequest(m, new MessageEdits().removeFirstValue(field(m, 'route', 1))).toString('utf8')).toBe(inviteWith(4));
  });

  it('replaceHeaderValue keeps the name as received', () => {
    const m = req(INVITE);
    expect(serializeRequest(m, new MessageEdits().replaceHeaderValue(field(m, 'max-forwards'), '69')).toString('utf8')).toBe(inviteWith(2, 'Max-Forwards: 69'));
  });

  it('setBody recomputes Content-Length and sets Content-Type', () => {
    const m = req(INVITE);
    const out = serializeRequest(m, new MessageEdits().setBody(Buffer.from('hello world'), 'text/plain'));
    expect(out.toString('utf8')).toBe(inviteWith(13, 'hello world').replace('Content-Type: application/sdp', 'Content-Type: text/plain').replace('Content-Length: 4', 'Content-Length: 11'));
  });

  it('setBody with an empty body drops Content-Type', () => {
    const m = req(INVITE);
    expect(serializeRequest(m, new MessageEdits().setBody(Buffer.alloc(0))).toString('utf8')).toBe(inviteWith(10).replace('Content-Length: 4', 'Content-Length: 0').replace('v=0\n', ''));
  });

  it('setBody on a message without Content-Type or Content-Length adds both', () => {
    const m = req('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n');
    expect(serializeRequest(m, new MessageEdits().setBody(Buffer.from('{}'), 'application/json')).toString('utf8')).toBe(
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
    );
  });

  it('withContentLength adds Content-Length for a stream when the message has none', () => {
    const m = req('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nab');
    expect(serializeRequest(m).toString('utf8')).toBe('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nab');
    expect(serializeRequest(m, undefined, { withContentLength: true }).toString('utf8')).toBe(
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 2\r\n\r\nab',
    );
  });

  it('a compact Content-Length that disagrees with the body is corrected', () => {
    const m = req('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 9\r\n\r\nab');
    expect(serializeRequest(m).toString('utf8')).toBe('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nl: 2\r\n\r\nab');
  });

  it('several edits at once, applied in one pass', () => {
    const m = req(INVITE);
    const edits = new MessageEdits()
      .setRequestUri('sip:bob@192.0.2.4')
      .prependHeader('Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp2')
      .removeFirstValue(field(m, 'route'))
      .replaceHeaderValue(field(m, 'max-forwards'), '69')
      .removeHeader(field(m, 'contact'))
      .appendHeader('X-Branch: 2');
    expect(serializeRequest(m, edits).toString('utf8')).toBe(
      'INVITE sip:bob@192.0.2.4 SIP/2.0\r\n' +
        'Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp2\r\n' +
        'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
        'Max-Forwards: 69\r\n' +
        'Route: <sip:p2.example.com;lr>\r\n' +
        'Route: <sip:p3.example.com;lr>\r\n' +
        'To: Bob <sip:bob@biloxi.example.com>\r\n' +
        'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
        'Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n' +
        'CSeq: 314159 INVITE\r\n' +
        'Content-Type: application/sdp\r\n' +
        'Content-Length: 4\r\n' +
        'X-Branch: 2\r\n' +
        '\r\n' +
        'v=0\n',
    );
  });

  it('one message, several branch variants, the message untouched', () => {
    const m = req(INVITE);
    const a = serializeRequest(m, new MessageEdits().setRequestUri('sip:bob@192.0.2.1'));
    const b = serializeRequest(m, new MessageEdits().setRequestUri('sip:bob@192.0.2.2'));
    expect(a.toString('utf8')).toBe(INVITE.replace('sip:bob@biloxi.example.com SIP', 'sip:bob@192.0.2.1 SIP'));
    expect(b.toString('utf8')).toBe(INVITE.replace('sip:bob@biloxi.example.com SIP', 'sip:bob@192.0.2.2 SIP'));
    expect(serializeRequest(m).toString('utf8')).toBe(INVITE);
  });

  it('a header line with CR or LF is refused', () => {
    expect(() => new MessageEdits().appendHeader('X: a\r\nInjected: b')).toThrow(RangeError);
  });
});

describe('serializeResponse', () => {
  const RESPONSE =
    'SIP/2.0 180 Ringing\r\n' +
    'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n' +
    'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n' +
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n' +
    'Call-ID: a84b4c76e66710\r\n' +
    'CSeq: 314159 INVITE\r\n' +
    'Content-Length: 0\r\n' +
    '\r\n';

  it('removes the top Via value of a comma list (RFC 3261 §16.7 step 3)', () => {
    const m = res(RESPONSE);
    expect(serializeResponse(m, new MessageEdits().removeFirstValue(field(m, 'via'))).toString('utf8')).toBe(
      RESPONSE.replace('Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, ', 'Via: '),
    );
  });

  it('removes a top Via that is alone on its line', () => {
    const m = res(RESPONSE.replace(', SIP/2.0/UDP pc33', '\r\nVia: SIP/2.0/UDP pc33'));
    expect(serializeResponse(m, new MessageEdits().removeFirstValue(field(m, 'via'))).toString('utf8')).toBe(
      RESPONSE.replace('Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, ', 'Via: '),
    );
  });

  it('pops the first value of a folded compact Via line (RFC 4475 wsinv)', () => {
    const m = parsed(rfc4475.wsinv);
    const v = field(m, 'via', 1);
    const out = m.kind === 'request' ? serializeRequest(m, new MessageEdits().removeFirstValue(v)) : Buffer.alloc(0);
    const expected = rfc4475.wsinv
      .toString('utf8')
      .replace('v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n SIP', 'v:  SIP');
    expect(out.toString('utf8')).toBe(expected);
  });
});
