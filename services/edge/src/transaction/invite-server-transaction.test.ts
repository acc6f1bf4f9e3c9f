import { describe, expect, it } from 'vitest';
import { INVITE_SERVER_TRANSITIONS, InviteServerTransaction } from './invite-server-transaction.js';
import { ManualTimerWheel } from './manual-timer-wheel.js';
import { RecordingPeer, TransitionCoverage, resentAfterSlabReuse, sipMessage } from './recording-peer.fixture.js';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers } from './timers.js';

const derived = deriveTransactionTimers(RFC3261_TIMER_DEFAULTS);
if (!derived.ok) throw new Error(derived.error.message);
const profiles = derived.value;
const coverage = new TransitionCoverage();

const headers = [
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
];
const response = (statusLine: string, toTag: string) =>
  sipMessage(statusLine, ...headers, `To: Bob <sip:bob@biloxi.example.com>${toTag}`, 'CSeq: 314159 INVITE', 'Content-Length: 0');
const TRYING = response('SIP/2.0 100 Trying', '');
const RINGING = response('SIP/2.0 180 Ringing', ';tag=a6c85cf');
const OK = response('SIP/2.0 200 OK', ';tag=a6c85cf');
const BUSY = response('SIP/2.0 486 Busy Here', ';tag=a6c85cf');
const ACK = sipMessage(
  'ACK sip:bob@biloxi.example.com SIP/2.0',
  ...headers,
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf',
  'CSeq: 314159 ACK',
  'Content-Length: 0',
);

function setup(options: { reliable?: boolean } = {}) {
  const wheel = new ManualTimerWheel();
  const peer = new RecordingPeer(wheel);
  const tx = new InviteServerTransaction({
    key: 'z9hG4bKnashds8 pc33.atlanta.example.com INVITE',
    sender: peer,
    timers: options.reliable === true ? profiles.reliable : profiles.unreliable,
    wheel,
    user: peer,
    observer: coverage.observer,
  });
  return { wheel, peer, tx };
}

const label = (payload: Buffer) =>
  payload.equals(TRYING) ? '100' : payload.equals(RINGING) ? '180' : payload.equals(OK) ? '200' : payload.equals(BUSY) ? '486' : '?';

describe('InviteServerTransaction, Proceeding', () => {
  it('starts in Proceeding and ignores INVITE retransmissions until a response exists', () => {
    const { peer, tx } = setup();
    expect(tx.state).toBe('Proceeding');
    expect(tx.lastResponseStatus).toBe(0);
    expect(tx.receiveRequestRetransmission()).toBe(true);
    expect(peer.sent).toEqual([]);
  });

  it('resends the most recent provisional on INVITE retransmission', () => {
    const { wheel, peer, tx } = setup();
    tx.sendProvisional(100, TRYING);
    wheel.advance(500);
    tx.receiveRequestRetransmission();
    tx.sendProvisional(180, RINGING);
    wheel.advance(1000);
    tx.receiveRequestRetransmission();
    expect(peer.sent.map((entry) => `${entry.atMs} ${label(entry.payload)}`)).toEqual(['0 100', '500 100', '500 180', '1500 180']);
    expect(tx.lastResponseStatus).toBe(180);
    expect(tx.state).toBe('Proceeding');
  });

  it('refuses provisional and final statuses through the wrong method', () => {
    const { peer, tx } = setup();
    expect(tx.sendProvisional(200, OK)).toBe(false);
    expect(tx.sendFinal(180, RINGING)).toBe(false);
    expect(tx.sendFinal(700, BUSY)).toBe(false);
    expect(peer.sent).toEqual([]);
  });

  it('reports a transport error and terminates', () => {
    const { peer, tx } = setup();
    tx.sendProvisional(100, TRYING);
    expect(tx.transportError()).toBe(true);
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual(['0 server-transport-error', '0 server-terminated']);
  });
});

describe('InviteServerTransaction, non-2xx final over UDP', () => {
  it('retransmits on Timer G (doubling, capped at T2) and gives up on Timer H at 64*T1', () => {
    const { wheel, peer, tx } = setup();
    tx.sendProvisional(100, TRYING);
    expect(tx.sendFinal(486, BUSY)).toBe(true);
    expect(tx.state).toBe('Completed');
    wheel.advance(40_000);
    const finals = peer.sent.filter((entry) => entry.payload.equals(BUSY)).map((entry) => entry.atMs);
    expect(finals).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(peer.events).toEqual(['32000 server-timeout', '32000 server-terminated']);
    expect(tx.state).toBe('Terminated');
    expect(wheel.size).toBe(0);
  });

  it('resends the final on INVITE retransmission in Completed', () => {
    const { wheel, peer, tx } = setup();
    tx.sendFinal(486, BUSY);
    wheel.advance(200);
    tx.receiveRequestRetransmission();
    expect(peer.sent.map((entry) => `${entry.atMs} ${label(entry.payload)}`)).toEqual(['0 486', '200 486']);
  });

  it('keeps the final it resends in a buffer of its own, not a view of a larger one it would hold for Timer H', () => {
    const { peer, tx } = setup();
    const resent = resentAfterSlabReuse(peer, BUSY, (view) => tx.sendFinal(486, view), () => tx.receiveRequestRetransmission());
    expect(resent?.equals(BUSY)).toBe(true);
    expect(resent?.buffer.byteLength).toBe(BUSY.length);
  });

  it('on ACK moves to Confirmed, stops retransmitting, absorbs ACKs and INVITEs, ends on Timer I = T4', () => {
    const { wheel, peer, tx } = setup();
    tx.sendFinal(486, BUSY);
    wheel.advance(600);
    expect(tx.receiveAck(ACK)).toBe(true);
    expect(tx.state).toBe('Confirmed');
    wheel.advance(1000);
    expect(tx.receiveAck(ACK)).toBe(true);
    expect(tx.receiveRequestRetransmission()).toBe(true);
    wheel.advance(3999);
    expect(tx.state).toBe('Confirmed');
    wheel.advance(1);
    expect(tx.state).toBe('Terminated');
    expect(peer.sentTimes()).toEqual([0, 500]);
    expect(peer.events).toEqual(['5600 server-terminated']);
  });

  it('discards a second final response from the TU', () => {
    const { peer, tx } = setup();
    tx.sendFinal(486, BUSY);
    expect(tx.sendFinal(200, OK)).toBe(false);
    expect(tx.sendProvisional(180, RINGING)).toBe(false);
    expect(peer.sent.map((entry) => label(entry.payload))).toEqual(['486']);
    expect(tx.lastResponseStatus).toBe(486);
  });

  it('reports a transport error in Completed and terminates', () => {
    const { wheel, peer, tx } = setup();
    tx.sendFinal(486, BUSY);
    wheel.advance(500);
    tx.transportError();
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual(['500 server-transport-error', '500 server-terminated']);
    expect(wheel.size).toBe(0);
  });
});

describe('InviteServerTransaction with a transport that fails synchronously', () => {
  it('terminates inside sendFinal and leaves no timer behind', () => {
    const wheel = new ManualTimerWheel();
    const peer = new RecordingPeer(wheel);
    const failing = { send: () => void tx.transportError() };
    const tx: InviteServerTransaction = new InviteServerTransaction({
      key: 'z9hG4bKnashds8 pc33.atlanta.example.com INVITE',
      sender: failing,
      timers: profiles.unreliable,
      wheel,
      user: peer,
    });
    expect(tx.sendFinal(486, BUSY)).toBe(true);
    expect(tx.state).toBe('Terminated');
    expect(wheel.size).toBe(0);
    wheel.advance(40_000);
    expect(peer.events).toEqual(['0 server-transport-error', '0 server-terminated']);
  });
});

describe('InviteServerTransaction over a reliable transport', () => {
  it('sends the final once and still waits for the ACK with Timer H', () => {
    const { wheel, peer, tx } = setup({ reliable: true });
    tx.sendFinal(486, BUSY);
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0]);
    expect(peer.events).toEqual(['32000 server-timeout', '32000 server-terminated']);
  });

  it('terminates as soon as the ACK arrives (Timer I = 0)', () => {
    const { wheel, peer, tx } = setup({ reliable: true });
    tx.sendFinal(486, BUSY);
    wheel.advance(100);
    tx.receiveAck(ACK);
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual(['100 server-terminated']);
    expect(wheel.size).toBe(0);
  });
});

describe('InviteServerTransaction, RFC 6026 Accepted', () => {
  it('after a 2xx: passes TU 2xx retransmissions, absorbs INVITE retransmissions, passes ACKs up, ends on Timer L', () => {
    const { wheel, peer, tx } = setup();
    tx.sendProvisional(180, RINGING);
    wheel.advance(1000);
    expect(tx.sendFinal(200, OK)).toBe(true);
    expect(tx.state).toBe('Accepted');
    wheel.advance(500);
    expect(tx.sendFinal(200, OK)).toBe(true);
    expect(tx.receiveRequestRetransmission()).toBe(true);
    wheel.advance(100);
    expect(tx.receiveAck(ACK)).toBe(true);
    expect(tx.sendFinal(486, BUSY)).toBe(false);
    wheel.advance(32_000 - 600 - 1);
    expect(tx.state).toBe('Accepted');
    wheel.advance(1);
    expect(peer.sent.map((entry) => `${entry.atMs} ${label(entry.payload)}`)).toEqual(['0 180', '1000 200', '1500 200']);
    expect(peer.events).toEqual([`1600 ack-for-2xx ${ACK.length}B`, '33000 server-terminated']);
  });

  it('keeps Timer L over reliable transports too', () => {
    const { wheel, tx } = setup({ reliable: true });
    tx.sendFinal(200, OK);
    wheel.advance(31_999);
    expect(tx.state).toBe('Accepted');
    wheel.advance(1);
    expect(tx.state).toBe('Terminated');
  });

  it('informs the TU of a transport error and stays in Accepted', () => {
    const { peer, tx } = setup();
    tx.sendFinal(200, OK);
    tx.transportError();
    expect(tx.state).toBe('Accepted');
    expect(peer.events).toEqual(['0 server-transport-error']);
  });

  it('ignores an ACK while still Proceeding', () => {
    const { tx } = setup();
    expect(tx.receiveAck(ACK)).toBe(false);
    expect(tx.state).toBe('Proceeding');
  });
});

describe('InviteServerTransaction table', () => {
  it('has every transition row exercised by this file', () => {
    expect(coverage.missing(INVITE_SERVER_TRANSITIONS)).toEqual([]);
  });
});
