import { describe, expect, it } from 'vitest';
import { ManualTimerWheel } from './manual-timer-wheel.js';
import { NON_INVITE_CLIENT_TRANSITIONS, NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { RecordingPeer, TransitionCoverage, sipMessage } from './recording-peer.fixture.js';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers } from './timers.js';

const derived = deriveTransactionTimers(RFC3261_TIMER_DEFAULTS);
if (!derived.ok) throw new Error(derived.error.message);
const profiles = derived.value;
const coverage = new TransitionCoverage();

const headers = [
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKkjshdyff',
  'From: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'To: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 BYE',
];
const BYE = sipMessage('BYE sip:alice@client.atlanta.example.com SIP/2.0', ...headers, 'Max-Forwards: 70', 'Content-Length: 0');
const OK = sipMessage('SIP/2.0 200 OK', ...headers, 'Content-Length: 0');
const TRYING = sipMessage('SIP/2.0 100 Trying', ...headers, 'Content-Length: 0');
const NO_TRANSACTION = sipMessage('SIP/2.0 481 Call/Transaction Does Not Exist', ...headers, 'Content-Length: 0');

function setup(options: { reliable?: boolean } = {}) {
  const wheel = new ManualTimerWheel();
  const peer = new RecordingPeer(wheel);
  const tx = new NonInviteClientTransaction({
    key: 'z9hG4bKkjshdyff BYE',
    sender: peer,
    timers: options.reliable === true ? profiles.reliable : profiles.unreliable,
    wheel,
    user: peer,
    request: BYE,
    observer: coverage.observer,
  });
  return { wheel, peer, tx };
}

describe('NonInviteClientTransaction over UDP', () => {
  it('retransmits on Timer E doubling up to T2 and times out on Timer F at 64*T1', () => {
    const { wheel, peer, tx } = setup();
    expect(tx.state).toBe('Initial');
    expect(tx.start()).toBe(true);
    expect(tx.state).toBe('Trying');
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(peer.sent.every((entry) => entry.payload === BYE)).toBe(true);
    expect(peer.events).toEqual(['32000 timeout F', '32000 terminated']);
    expect(wheel.size).toBe(0);
  });

  it('in Proceeding keeps retransmitting, every T2 counted from the provisional', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    wheel.advance(1000);
    expect(tx.receiveResponse(100, TRYING)).toBe(true);
    expect(tx.state).toBe('Proceeding');
    wheel.advance(39_000);
    // The 100 at 1000 ms restarts Timer E at T2 (as Kamailio does): 5000, then T2 apart.
    expect(peer.sentTimes()).toEqual([0, 500, 5000, 9000, 13000, 17000, 21000, 25000, 29000]);
    expect(peer.events).toEqual([`1000 response 100 ${TRYING.length}B`, '32000 timeout F', '32000 terminated']);
  });

  it('passes every provisional up in Proceeding', () => {
    const { peer, tx } = setup();
    tx.start();
    tx.receiveResponse(100, TRYING);
    tx.receiveResponse(100, TRYING);
    expect(peer.events).toHaveLength(2);
  });

  it('passes the final up once, absorbs its retransmissions and late provisionals, ends on Timer K = T4', () => {
    const { wheel, peer, tx } = setup();
    tx.start();
    wheel.advance(700);
    expect(tx.receiveResponse(200, OK)).toBe(true);
    expect(tx.state).toBe('Completed');
    wheel.advance(100);
    expect(tx.receiveResponse(200, OK)).toBe(true);
    expect(tx.receiveResponse(100, TRYING)).toBe(true);
    wheel.advance(4899);
    expect(tx.state).toBe('Completed');
    wheel.advance(1);
    expect(peer.sentTimes()).toEqual([0, 500]);
    expect(peer.events).toEqual([`700 response 200 ${OK.length}B`, '5700 terminated']);
  });

  it('completes from Proceeding', () => {
    const { peer, tx } = setup();
    tx.start();
    tx.receiveResponse(100, TRYING);
    tx.receiveResponse(481, NO_TRANSACTION);
    expect(tx.state).toBe('Completed');
    expect(peer.events.at(-1)).toBe(`0 response 481 ${NO_TRANSACTION.length}B`);
  });

  it('reports transport errors in Trying and Proceeding and terminates', () => {
    const trying = setup();
    trying.tx.start();
    trying.tx.transportError();
    expect(trying.peer.events).toEqual(['0 transport-error', '0 terminated']);

    const proceeding = setup();
    proceeding.tx.start();
    proceeding.tx.receiveResponse(100, TRYING);
    proceeding.tx.transportError();
    expect(proceeding.tx.state).toBe('Terminated');
    expect(proceeding.wheel.size).toBe(0);
  });

  it('ignores a second start and impossible status codes', () => {
    const { peer, tx } = setup();
    tx.start();
    expect(tx.start()).toBe(false);
    expect(tx.receiveResponse(0, OK)).toBe(false);
    expect(peer.sent).toHaveLength(1);
  });
});

describe('NonInviteClientTransaction over a reliable transport', () => {
  it('sends once and still times out on Timer F', () => {
    const { wheel, peer, tx } = setup({ reliable: true });
    tx.start();
    wheel.advance(40_000);
    expect(peer.sentTimes()).toEqual([0]);
    expect(peer.events).toEqual(['32000 timeout F', '32000 terminated']);
  });

  it('terminates on the final response (Timer K = 0)', () => {
    const { peer, tx } = setup({ reliable: true });
    tx.start();
    tx.receiveResponse(200, OK);
    expect(tx.state).toBe('Terminated');
    expect(peer.events).toEqual([`0 response 200 ${OK.length}B`, '0 terminated']);
  });
});

describe('NonInviteClientTransaction table', () => {
  it('has every transition row exercised by this file', () => {
    expect(coverage.missing(NON_INVITE_CLIENT_TRANSITIONS)).toEqual([]);
  });
});
