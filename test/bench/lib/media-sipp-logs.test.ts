import { describe, expect, it } from 'vitest';
import { inviteTimes, loggedPorts } from './media-sipp-logs.mjs';

// Lines as SIPp 3.6 writes them with -trace_shortmsg (tab-separated).
const line = (epoch: string, dir: 'S' | 'R', callId: string, cseq: string, first: string): string => ['2026-11-27', '12:23:03.213607', epoch, dir, callId, cseq, first].join('\t');

describe('INVITE -> 200 times from -trace_shortmsg', () => {
  it('takes the first INVITE sent and the first 200 received of each call, in ms with microseconds', () => {
    const text = [
      line('1795782183.213607', 'S', '1-1@h', 'CSeq:10 INVITE', 'INVITE sip:plain-1@127.0.0.1:5060 SIP/2.0'),
      line('1795782184.000100', 'S', '2-1@h', 'CSeq:10 INVITE', 'INVITE sip:plain-2@127.0.0.1:5060 SIP/2.0'),
      line('1795782183.213833', 'R', '1-1@h', 'CSeq:10 INVITE', 'SIP/2.0 100 Trying'),
      line('1795782183.215005', 'R', '1-1@h', 'CSeq:10 INVITE', 'SIP/2.0 200 OK'),
      line('1795782183.215066', 'S', '1-1@h', 'CSeq:10 ACK', 'ACK sip:callee@127.0.0.1:5070;transport=UDP SIP/2.0'),
      // a retransmitted 200 of call 1, and call 2's INVITE retransmitted before its 200 (over a second boundary)
      line('1795782183.715000', 'R', '1-1@h', 'CSeq:10 INVITE', 'SIP/2.0 200 OK'),
      line('1795782184.500100', 'S', '2-1@h', 'CSeq:10 INVITE', 'INVITE sip:plain-2@127.0.0.1:5060 SIP/2.0'),
      line('1795782184.600200', 'R', '2-1@h', 'CSeq:10 INVITE', 'SIP/2.0 200 OK'),
      // the BYE's 200 is not an INVITE's; a call without 200 has no time
      line('1795782185.000000', 'R', '1-1@h', 'CSeq:11 BYE', 'SIP/2.0 200 OK'),
      line('1795782185.100000', 'S', '3-1@h', 'CSeq:10 INVITE', 'INVITE sip:plain-3@127.0.0.1:5060 SIP/2.0'),
      '',
    ].join('\n');
    const times = inviteTimes(text);
    expect(times).toHaveLength(2);
    expect(times[0]).toBeCloseTo(1.398, 6);
    expect(times[1]).toBeCloseTo(600.1, 6);
  });
});

describe('audio ports logged by the scenarios', () => {
  it('counts ports in rtpengine range and others, per kind', () => {
    const text = ['offer 1-1@h m=audio 20010', 'offer 2-1@h m=audio 6000', 'answer 1-1@h m=audio 20994', 'offer 3-1@h m=audio 21999', 'offer 4-1@h '].join('\n');
    expect(loggedPorts(text, 'offer', [20000, 21999])).toEqual({ rtpengine: 2, other: 1, other_sample: [6000] });
    expect(loggedPorts(text, 'answer', [20000, 21999])).toEqual({ rtpengine: 1, other: 0, other_sample: [] });
  });
});
