import { describe, expect, it } from 'vitest';
import { INVITE_CLIENT_TRANSITIONS, InviteClientTransaction } from './invite-client-transaction.js';
import { ManualTimerWheel } from './manual-timer-wheel.js';
import { RecordingPeer, TransitionCoverage, sipMessage } from './recording-peer.fixture.js';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers } from './timers.js';

const derived = deriveTransactionTimers(RFC3261_TIMER_DEFAULTS);
if (!derived.ok) throw new Error(derived.error.message);
const profiles = derived.value;
const coverage = new TransitionCoverage();

const dialogHeaders = [
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74b43',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'Call-ID: 3848276298220188511@atlanta.example.com',
];
const INVITE = sipMessage(
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  ...dialogHeaders,
  'Max-Forwards: 69',
  'To: Bob <sip:bob@biloxi.example.com>',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@192.0.2.10>',
  'Content-Length: 0',
);
const response = (statusLine: string, toTag = '') =>
  sipMessage(statusLine, ...dialogHeaders, `To: Bob <sip:bob@biloxi.example.com>${toTag}`, 'CSeq: 1 INVITE', 'Content-Length: 0');
const TRYING = response('SIP/2.0 100 Trying');
const RINGING = response('SIP/2.0 180 Ringing', ';tag=8321234356');
const OK = response('SIP/2.0 200 OK', ';tag=8321234356');
const OK_OTHER_FORK = response('SIP/2.0 200 OK', ';tag=ff00aa');
const BUSY = response('SIP/2.0 486 Busy Here', ';tag=8321234356');
const TERMINATED = response('SIP/2.0 487 Request Terminated', ';tag=8321234356');
const ACK = sipMessage(
  'ACK sip:bob@biloxi.example.com SIP/2.0',
  ...dialogHeaders,
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'CSeq: 1 ACK',
  'Content-Length: 0',
);

function setup(options: { reliable?: boolean; timerCMs?: number } = {}) {
  const wheel = new ManualTimerWheel();
  const peer = new RecordingPeer(wheel);
  const ackBuiltFrom: Buffer[] = [];
  const tx = new InviteClientTransaction({
    key: 'z9hG4bK74b43 INVITE',
    sender: peer,
    timers: options.reliable === true ? profiles.reliable : profiles.unreliable,
    wheel,
    user: peer,
    request: INVITE,
    buildAck: (responsePayload) => {
      ackBuiltFrom.push(responsePayload);
      return ACK;
    },
    observer: coverage.observer,
    ...(options.timerCMs === undefined ? {} : { timerCMs: options.timerCMs }),
  });
  return { wheel, peer, tx, ackBuiltFrom };
}

describe('InviteClientTransaction over UDP', () => {
  it('retransmits at 500, 1500, 3500, 7500, 15500, 31500 ms and times out on Timer B at 32000 ms', () => {
    const { wheel, peer, tx } = setup();
    expect(tx.state).toBe('Initial');
    expect(tx.start()).toBe(true);
    expect(tx.state).toBe('Calling');
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(peer.sent.every((entry) => entry.payload.equals(INVITE))).toBe(true);
    expect(peer.events).toEqual(['32000 timeout B', '32000 terminated']);
    expect(tx.state).toBe('Terminated');
    expect(wheel.size).toBe(0);
  });

  it('sends once on start; a second start is refused', () => {
    const { peer, tx } = setup();
    tx.start();
    expect(tx.start()).toBe(false);
    expect(peer.sent).toHaveLength(1);
  });

  it('stops retransmitting and Timer B on 100 Trying, passing it up', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    wheel.advance(600);
    expect(tx.receiveResponse(100, TRYING)).toBe(true);
    expect(tx.state).toBe('Proceeding');
    expect(tx.cancellable).toBe(true);
    wheel.advance(60_000);
    expect(peer.sentTimes()).toEqual([0, 500]);
    expect(peer.events).toEqual(['600 response 100 ' + TRYING.length + 'B']);
    expect(tx.isTimerRunning('timerB')).toBe(false);
    expect(tx.isTimerRunning('timerC')).toBe(true);
  });

  it('passes every provisional up in Proceeding', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(1000);
    tx.receiveResponse(100, TRYING);
    tx.receiveResponse(183, RINGING);
    expect(peer.events).toEqual([`0 response 180 ${RINGING.length}B`, `1000 response 100 ${TRYING.length}B`, `1000 response 183 ${RINGING.length}B`]);
  });

  it('on a non-2xx final in Calling: passes it up once, ACKs it, absorbs retransmissions with the same ACK, ends on Timer D', () => {
    const { wheel, peer, tx, ackBuiltFrom } = setup();
    tx.start();
    wheel.advance(700);
    expect(tx.receiveResponse(486, BUSY)).toBe(true);
    expect(tx.state).toBe('Completed');
    expect(tx.cancellable).toBe(false);
    expect(ackBuiltFrom).toEqual([BUSY]);
    wheel.advance(1000);
    expect(tx.receiveResponse(486, BUSY)).toBe(true);
    wheel.advance(1000);
    tx.receiveResponse(486, BUSY);
    expect(peer.sent.map((entry) => [entry.atMs, entry.payload.equals(ACK) ? 'ACK' : 'INVITE'])).toEqual([
      [0, 'INVITE'],
      [500, 'INVITE'],
      [700, 'ACK'],
      [1700, 'ACK'],
      [2700, 'ACK'],
    ]);
    expect(ackBuiltFrom).toHaveLength(1);
    wheel.advance(32_000 - 2000 - 1);
    expect(tx.state).toBe('Completed');
    wheel.advance(1);
    expect(peer.events).toEqual([`700 response 486 ${BUSY.length}B`, '32700 terminated']);
    expect(wheel.size).toBe(0);
  });

  it('on a non-2xx final in Proceeding: ACKs it and completes', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(5000);
    tx.receiveResponse(487, TERMINATED);
    expect(tx.state).toBe('Completed');
    expect(peer.sent[1]?.payload).toBe(ACK);
    expect(peer.events).toEqual([`0 response 180 ${RINGING.length}B`, `5000 response 487 ${TERMINATED.length}B`]);
  });

  it('RFC 6026: a 2xx in Calling moves to Accepted, further 2xx reach the TU, no ACK is sent, Timer M ends it', () => {
    const { wheel, peer, tx, ackBuiltFrom } = setup();
    tx.start();
    wheel.advance(200);
    expect(tx.receiveResponse(200, OK)).toBe(true);
    expect(tx.state).toBe('Accepted');
    wheel.advance(300);
    expect(tx.receiveResponse(200, OK)).toBe(true);
    expect(tx.receiveResponse(200, OK_OTHER_FORK)).toBe(true);
    expect(tx.receiveResponse(486, BUSY)).toBe(false);
    expect(tx.receiveResponse(180, RINGING)).toBe(false);
    wheel.advance(32_000 - 300);
    expect(peer.events).toEqual([
      `200 response 200 ${OK.length}B`,
      `500 response 200 ${OK.length}B`,
      `500 response 200 ${OK_OTHER_FORK.length}B`,
      '32200 terminated',
    ]);
    expect(peer.sentTimes()).toEqual([0]);
    expect(ackBuiltFrom).toEqual([]);
  });

  it('RFC 6026: a 2xx in Proceeding moves to Accepted', () => {
    const { wheel, tx } = setup();
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(10);
    tx.receiveResponse(200, OK);
    expect(tx.state).toBe('Accepted');
    expect(tx.isTimerRunning('timerC')).toBe(false);
    expect(tx.isTimerRunning('timerM')).toBe(true);
  });

  it('reports a transport error in Calling and terminates', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    expect(tx.transportError()).toBe(true);
    expect(peer.events).toEqual(['0 transport-error', '0 terminated']);
    expect(wheel.size).toBe(0);
  });

  it('reports a transport error in Completed (the ACK failed) and terminates', () => {
    const { peer, tx } = setup();
    tx.start();
    tx.receiveResponse(486, BUSY);
    tx.transportError();
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual([`0 response 486 ${BUSY.length}B`, '0 transport-error', '0 terminated']);
  });

  it('ignores status codes outside 100-699', () => {
    const { tx } = setup();
    tx.start();
    expect(tx.receiveResponse(99, TRYING)).toBe(false);
    expect(tx.receiveResponse(700, TRYING)).toBe(false);
    expect(tx.state).toBe('Calling');
  });

  it('prints its kind, key and state', () => {
    const { tx } = setup();
    tx.start();
    expect(String(tx)).toBe('invite-client z9hG4bK74b43 INVITE Calling');
  });
});

describe('InviteClientTransaction over a reliable transport', () => {
  it('sends the INVITE once and still times out on Timer B', () => {
    const { wheel, peer, tx } = setup({ reliable: true });
    tx.start();
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0]);
    expect(peer.events).toEqual(['32000 timeout B', '32000 terminated']);
  });

  it('terminates right after ACKing a non-2xx (Timer D = 0)', () => {
    const { peer, tx } = setup({ reliable: true });
    tx.start();
    tx.receiveResponse(486, BUSY);
    expect(tx.state).toBe('Terminated');
    expect(peer.sent.map((entry) => entry.payload)).toEqual([INVITE, ACK]);
    expect(peer.events).toEqual([`0 response 486 ${BUSY.length}B`, '0 terminated']);
  });

  it('keeps Timer M = 64*T1 after a 2xx', () => {
    const { wheel, peer, tx } = setup({ reliable: true });
    tx.start();
    tx.receiveResponse(200, OK);
    wheel.advance(31_999);
    expect(tx.state).toBe('Accepted');
    wheel.advance(1);
    expect(peer.events.at(-1)).toBe('32000 terminated');
  });
});

describe('InviteClientTransaction Timer C (§16.8) and CANCEL (§9.1)', () => {
  it('starts Timer C with the INVITE; a provisional above 100 restarts it; on fire the TU is told and may CANCEL', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(100_000);
    tx.receiveResponse(183, RINGING);
    wheel.advance(180_999);
    expect(peer.events.some((event) => event.includes('timeout'))).toBe(false);
    wheel.advance(1);
    expect(peer.events.at(-1)).toBe('281000 timeout C');
    expect(tx.state).toBe('Proceeding');
    expect(tx.cancellable).toBe(true);
  });

  it('is not restarted by 100 Trying', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    wheel.advance(10_000);
    tx.receiveResponse(100, TRYING);
    wheel.advance(90_000);
    tx.receiveResponse(100, TRYING);
    wheel.advance(80_999);
    expect(peer.events.some((event) => event.includes('timeout'))).toBe(false);
    wheel.advance(1);
    expect(peer.events.at(-1)).toBe('181000 timeout C');
  });

  it('honours a per-branch Timer C', () => {
    const { wheel, peer, tx } = setup({ timerCMs: 60_000 });
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(60_000);
    expect(peer.events.at(-1)).toBe('60000 timeout C');
  });

  it('without a provisional, Timer C ends the transaction as a 408 would (§16.8)', () => {
    const { wheel, peer, tx } = setup({ timerCMs: 20_000 });
    tx.start();
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0, 500, 1500, 3500, 7500, 15500]);
    expect(peer.events).toEqual(['20000 timeout C', '20000 terminated']);
    expect(wheel.size).toBe(0);
  });

  it('after Timer C, waits 64*T1 for the final response, then gives up (§9.1)', () => {
    const { wheel, peer, tx } = setup({ timerCMs: 60_000 });
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(60_000 + 32_000);
    expect(peer.events.slice(1)).toEqual(['60000 timeout C', '92000 timeout cancel-wait', '92000 terminated']);
  });

  it('the TU CANCELs from the Timer C callback; the 487 completes the INVITE before the wait ends', () => {
    const { wheel, peer, tx } = setup({ timerCMs: 60_000 });
    peer.onTimeoutHook = (timedOut) => {
      if (timedOut === tx && tx.cancellable) tx.cancelSent();
    };
    tx.start();
    tx.receiveResponse(180, RINGING);
    wheel.advance(60_000);
    expect(tx.isTimerRunning('timerCancelWait')).toBe(true);
    wheel.advance(200);
    tx.receiveResponse(487, TERMINATED);
    wheel.advance(64_000);
    expect(peer.events.slice(1)).toEqual(['60000 timeout C', `60200 response 487 ${TERMINATED.length}B`, '92200 terminated']);
  });

  it('a CANCEL before any provisional is refused (§9.1); after one it starts the wait', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    expect(tx.cancellable).toBe(false);
    expect(tx.cancelSent()).toBe(false);
    tx.receiveResponse(180, RINGING);
    wheel.advance(1000);
    expect(tx.cancelSent()).toBe(true);
    wheel.advance(32_000);
    expect(peer.events.slice(1)).toEqual(['33000 timeout cancel-wait', '33000 terminated']);
  });
});

describe('InviteClientTransaction table', () => {
  it('has every transition row exercised by this file', () => {
    expect(coverage.missing(INVITE_CLIENT_TRANSITIONS)).toEqual([]);
  });
});
