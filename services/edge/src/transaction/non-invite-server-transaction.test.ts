import { describe, expect, it } from 'vitest';
import { ManualTimerWheel } from './manual-timer-wheel.js';
import { NON_INVITE_SERVER_TRANSITIONS, NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { RecordingPeer, TransitionCoverage, resentAfterSlabReuse, sipMessage } from './recording-peer.fixture.js';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers } from './timers.js';

const derived = deriveTransactionTimers(RFC3261_TIMER_DEFAULTS);
if (!derived.ok) throw new Error(derived.error.message);
const profiles = derived.value;
const coverage = new TransitionCoverage();

const headers = [
  'Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;received=192.0.2.4',
  'To: Bob <sip:bob@biloxi.example.com>;tag=2493k59kd',
  'From: Bob <sip:bob@biloxi.example.com>;tag=456248',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
];
const PROGRESS = sipMessage('SIP/2.0 100 Trying', ...headers, 'Content-Length: 0');
const OK = sipMessage('SIP/2.0 200 OK', ...headers, 'Expires: 7200', 'Content-Length: 0');
const UNAUTHORIZED = sipMessage('SIP/2.0 401 Unauthorized', ...headers, 'Content-Length: 0');

function setup(options: { reliable?: boolean } = {}) {
  const wheel = new ManualTimerWheel();
  const peer = new RecordingPeer(wheel);
  const tx = new NonInviteServerTransaction({
    key: 'z9hG4bKnashds7 bobspc.biloxi.example.com:5060 REGISTER',
    sender: peer,
    timers: options.reliable === true ? profiles.reliable : profiles.unreliable,
    wheel,
    user: peer,
    observer: coverage.observer,
  });
  return { wheel, peer, tx };
}

const label = (payload: Buffer) => (payload.equals(PROGRESS) ? '100' : payload.equals(OK) ? '200' : payload.equals(UNAUTHORIZED) ? '401' : '?');

describe('NonInviteServerTransaction over UDP', () => {
  it('discards request retransmissions in Trying', () => {
    const { peer, tx } = setup();
    expect(tx.state).toBe('Trying');
    expect(tx.receiveRequestRetransmission()).toBe(true);
    expect(peer.sent).toEqual([]);
  });

  it('in Proceeding resends the last provisional on retransmission', () => {
    const { wheel, peer, tx } = setup();
    expect(tx.sendProvisional(100, PROGRESS)).toBe(true);
    expect(tx.state).toBe('Proceeding');
    wheel.advance(500);
    tx.receiveRequestRetransmission();
    tx.sendProvisional(100, PROGRESS);
    expect(peer.sent.map((entry) => `${entry.atMs} ${label(entry.payload)}`)).toEqual(['0 100', '500 100', '500 100']);
  });

  it('in Completed resends the final on retransmission, discards other finals, ends on Timer J = 64*T1', () => {
    const { wheel, peer, tx } = setup();
    tx.sendProvisional(100, PROGRESS);
    wheel.advance(100);
    expect(tx.sendFinal(401, UNAUTHORIZED)).toBe(true);
    expect(tx.state).toBe('Completed');
    wheel.advance(1000);
    tx.receiveRequestRetransmission();
    expect(tx.sendFinal(200, OK)).toBe(false);
    expect(tx.sendProvisional(100, PROGRESS)).toBe(false);
    wheel.advance(30_999);
    expect(tx.state).toBe('Completed');
    wheel.advance(1);
    expect(peer.sent.map((entry) => `${entry.atMs} ${label(entry.payload)}`)).toEqual(['0 100', '100 401', '1100 401']);
    expect(peer.events).toEqual(['32100 server-terminated']);
    expect(tx.lastResponseStatus).toBe(401);
  });

  it('keeps the final it resends in a buffer of its own, not a view of a larger one it would hold for Timer J', () => {
    const { peer, tx } = setup();
    const resent = resentAfterSlabReuse(peer, OK, (view) => tx.sendFinal(200, view), () => tx.receiveRequestRetransmission());
    expect(resent?.equals(OK)).toBe(true);
    expect(resent?.buffer.byteLength).toBe(OK.length);
  });

  it('goes from Trying straight to Completed on a final', () => {
    const { peer, tx } = setup();
    tx.sendFinal(200, OK);
    expect(tx.state).toBe('Completed');
    expect(peer.sent.map((entry) => label(entry.payload))).toEqual(['200']);
  });

  it('refuses statuses through the wrong method', () => {
    const { tx } = setup();
    expect(tx.sendProvisional(200, OK)).toBe(false);
    expect(tx.sendFinal(100, PROGRESS)).toBe(false);
    expect(tx.state).toBe('Trying');
  });

  it('reports transport errors in Proceeding and Completed and terminates', () => {
    const proceeding = setup();
    proceeding.tx.sendProvisional(100, PROGRESS);
    proceeding.tx.transportError();
    expect(proceeding.peer.events).toEqual(['0 server-transport-error', '0 server-terminated']);

    const completed = setup();
    completed.tx.sendFinal(200, OK);
    completed.tx.transportError();
    expect(completed.tx.state).toBe('Terminated');
    expect(completed.wheel.size).toBe(0);
  });
});

describe('NonInviteServerTransaction over a reliable transport', () => {
  it('terminates as soon as the final is sent (Timer J = 0)', () => {
    const { peer, tx } = setup({ reliable: true });
    tx.sendFinal(200, OK);
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual(['0 server-terminated']);
  });
});

describe('NonInviteServerTransaction table', () => {
  it('has every transition row exercised by this file', () => {
    expect(coverage.missing(NON_INVITE_SERVER_TRANSITIONS)).toEqual([]);
  });
});
