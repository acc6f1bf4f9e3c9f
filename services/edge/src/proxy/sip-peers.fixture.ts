/**
 * The SIP text of the peers around the edge in proxy tests: a caller behind NAT (Via says
 * 10.0.0.5, datagrams come from 198.51.100.7:5062) and callees that answer what the edge forwards
 * to them. Requests are literal wire text; responses are made from the forwarded request the way a
 * UAS makes them (RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq copied, To tag added).
 */
import { sip } from './proxy-harness.fixture.js';

export const SDP =
  'v=0\r\n' +
  'o=alice 2890844526 2890844526 IN IP4 10.0.0.5\r\n' +
  's=-\r\n' +
  'c=IN IP4 10.0.0.5\r\n' +
  't=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0\r\n' +
  'a=rtpmap:0 PCMU/8000\r\n';

export interface InviteOptions {
  branch?: string;
  callId?: string;
  ruri?: string;
  /** null leaves Max-Forwards out. */
  maxForwards?: number | null;
  /** Extra header lines, placed before Content-Type. */
  extra?: readonly string[];
  cseqMethod?: string;
}

/** The caller's INVITE, with an SDP offer. */
export function invite(o: InviteOptions = {}): Buffer {
  const lines = [
    `INVITE ${o.ruri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${o.branch ?? 'z9hG4bKcaller1'};rport`,
    ...(o.maxForwards === null ? [] : [`Max-Forwards: ${String(o.maxForwards ?? 70)}`]),
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:bob@example.com>',
    `Call-ID: ${o.callId ?? 'f81d4fae@10.0.0.5'}`,
    `CSeq: 1 ${o.cseqMethod ?? 'INVITE'}`,
    'Contact: <sip:alice@10.0.0.5:5062>',
    ...(o.extra ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${String(Buffer.byteLength(SDP))}`,
  ];
  return sip(lines, SDP);
}

/** CANCEL of the caller's INVITE (RFC 3261 §9.1: same branch, Request-URI, Call-ID, CSeq number). */
export function cancelOf(o: { branch?: string; callId?: string } = {}): Buffer {
  return sip([
    'CANCEL sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${o.branch ?? 'z9hG4bKcaller1'};rport`,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:bob@example.com>',
    `Call-ID: ${o.callId ?? 'f81d4fae@10.0.0.5'}`,
    'CSeq: 1 CANCEL',
    'Content-Length: 0',
  ]);
}

/** The caller's MESSAGE (a non-INVITE request with a body). */
export function message(o: { branch?: string } = {}): Buffer {
  return sip(
    [
      'MESSAGE sip:bob@example.com SIP/2.0',
      `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${o.branch ?? 'z9hG4bKmsg1'};rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=m1',
      'To: <sip:bob@example.com>',
      'Call-ID: msg-1@10.0.0.5',
      'CSeq: 7 MESSAGE',
      'Content-Type: text/plain',
      'Content-Length: 5',
    ],
    'hello',
  );
}

export interface ResponseOptions {
  toTag?: string;
  /** Extra header lines after CSeq. */
  extra?: readonly string[];
  body?: string;
  contentType?: string;
}

/**
 * A UAS response to a request the edge forwarded (text as sent by the edge): every Via, From, To
 * (tagged unless a tag is there or `toTag` is empty), Call-ID and CSeq copied in order.
 */
export function responseTo(requestText: string, status: number, reason: string, o: ResponseOptions = {}): Buffer {
  const head = requestText.slice(0, requestText.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const pick = (name: string): string[] => head.filter((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === name);
  const tag = o.toTag ?? 'b5x9';
  const to = (pick('to')[0] ?? 'To: <sip:invalid>').replace(/^To:\s*/i, '');
  const toLine = `To: ${to}${to.includes(';tag=') || tag === '' || status === 100 ? '' : `;tag=${tag}`}`;
  const body = o.body ?? '';
  const lines = [
    `SIP/2.0 ${String(status)} ${reason}`,
    ...pick('via'),
    // §12.1.1: a UAS copies Record-Route into responses that create a dialog.
    ...(status > 100 && status < 300 ? pick('record-route') : []),
    ...pick('from'),
    toLine,
    ...pick('call-id'),
    ...pick('cseq'),
    ...(o.extra ?? []),
    ...(body !== '' ? [`Content-Type: ${o.contentType ?? 'application/sdp'}`] : []),
    `Content-Length: ${String(Buffer.byteLength(body))}`,
  ];
  return sip(lines, body);
}
