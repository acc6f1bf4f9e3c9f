import { describe, expect, test } from 'vitest';
import {
  callId,
  cseq,
  headerElements,
  headerValues,
  messageBody,
  requestMethod,
  responseStatus,
  splitHeaderList,
  startLine,
  viaBranch,
  viaSentBy,
} from './sip-message-text.js';

const INVITE =
  'INVITE sip:serial@127.0.0.1:16000 SIP/2.0\r\n' +
  'Record-Route: <sip:127.0.0.1:16000;r2=on;lr>, <sip:127.0.0.1:16000;transport=tcp;r2=on;lr>\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:16000;branch=z9hG4bK2506.da4b13ea.0\r\n' +
  'v: SIP/2.0/TCP 127.0.0.1:16001;branch=z9hG4bK-10339-1-0;rport=16001\r\n' +
  'From: "Caller, The" <sip:uac1@127.0.0.1:16001>;tag=10339SIPpTag001\r\n' +
  'To: <sip:serial@127.0.0.1:16000>\r\n' +
  'i: 1-10339@127.0.0.1\r\n' +
  'CSeq: 1 INVITE\r\n' +
  'Subject: folded\r\n' +
  '  continuation\r\n' +
  'Content-Length: 4\r\n' +
  '\r\n' +
  'v=0\n';

const RESPONSE = 'SIP/2.0 487 Request Terminated\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';

describe('SIP message text', () => {
  test('start line, method and status', () => {
    expect(startLine(INVITE)).toBe('INVITE sip:serial@127.0.0.1:16000 SIP/2.0');
    expect(requestMethod(INVITE)).toBe('INVITE');
    expect(responseStatus(INVITE)).toBeUndefined();
    expect(requestMethod(RESPONSE)).toBeUndefined();
    expect(responseStatus(RESPONSE)).toBe(487);
  });

  test('header lines by name, case-insensitive, compact forms included (RFC 3261 7.3.3)', () => {
    expect(headerValues(INVITE, 'via')).toEqual([
      'SIP/2.0/UDP 127.0.0.1:16000;branch=z9hG4bK2506.da4b13ea.0',
      'SIP/2.0/TCP 127.0.0.1:16001;branch=z9hG4bK-10339-1-0;rport=16001',
    ]);
    expect(headerValues(INVITE, 'v')).toHaveLength(2);
    expect(callId(INVITE)).toBe('1-10339@127.0.0.1');
    expect(cseq(INVITE)).toEqual({ number: 1, method: 'INVITE' });
    expect(headerValues(INVITE, 'Subject')).toEqual(['folded continuation']);
    expect(headerValues(INVITE, 'Route')).toEqual([]);
  });

  test('list elements split on commas outside <> and quotes', () => {
    expect(headerElements(INVITE, 'Record-Route')).toEqual([
      '<sip:127.0.0.1:16000;r2=on;lr>',
      '<sip:127.0.0.1:16000;transport=tcp;r2=on;lr>',
    ]);
    expect(splitHeaderList('"Caller, The" <sip:a@b>;tag=1')).toEqual(['"Caller, The" <sip:a@b>;tag=1']);
  });

  test('Via parts and body', () => {
    const [top] = headerValues(INVITE, 'Via');
    expect(viaBranch(top ?? '')).toBe('z9hG4bK2506.da4b13ea.0');
    expect(viaSentBy(top ?? '')).toBe('127.0.0.1:16000');
    expect(messageBody(INVITE)).toBe('v=0\n');
    expect(messageBody(RESPONSE)).toBe('');
  });
});
