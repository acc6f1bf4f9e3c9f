import { describe, expect, it } from 'vitest';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { ManualTimerWheel } from './manual-timer-wheel.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import { RecordingPeer, sipMessage } from './recording-peer.fixture.js';
import { RFC3261_TIMER_DEFAULTS, deriveTransactionTimers } from './timers.js';
import { serverTransactionKey } from './transaction-key.js';
import { TransactionTable } from './transaction-table.js';

const derived = deriveTransactionTimers(RFC3261_TIMER_DEFAULTS);
if (!derived.ok) throw new Error(derived.error.message);
const timers = derived.value.unreliable;
const REQUEST = sipMessage('OPTIONS sip:edge.example.com SIP/2.0', 'Content-Length: 0');
const RESPONSE = sipMessage('SIP/2.0 200 OK', 'Content-Length: 0');

function fixture() {
  const wheel = new ManualTimerWheel();
  const peer = new RecordingPeer(wheel);
  const common = { sender: peer, timers, wheel, user: peer };
  return {
    wheel,
    peer,
    inviteServer: (key: string) => new InviteServerTransaction({ ...common, key }),
    nonInviteServer: (key: string) => new NonInviteServerTransaction({ ...common, key }),
    inviteClient: (key: string) => new InviteClientTransaction({ ...common, key, request: REQUEST, buildAck: () => REQUEST }),
    nonInviteClient: (key: string) => new NonInviteClientTransaction({ ...common, key, request: REQUEST }),
  };
}

describe('TransactionTable', () => {
  it('finds transactions by key and counts them per kind', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 10 });
    const invite = f.inviteServer('z9hG4bK1 host:5060 INVITE');
    expect(table.addServer(invite)).toEqual({ ok: true, value: invite });
    table.addServer(f.nonInviteServer('z9hG4bK2 host:5060 BYE'));
    table.addClient(f.inviteClient('z9hG4bK3 INVITE'));
    table.addClient(f.nonInviteClient('z9hG4bK3 CANCEL'));
    expect(table.findServer(serverTransactionKey({ branch: 'z9hG4bK1', sentByHost: 'HOST', sentByPort: '5060', method: 'ACK' }))).toBe(invite);
    expect(table.findClient('z9hG4bK3 CANCEL')?.kind).toBe('non-invite-client');
    expect(table.findServer('z9hG4bK3 INVITE')).toBeUndefined();
    expect(table.size).toBe(4);
    expect(table.counts()).toEqual({ 'invite-client': 1, 'invite-server': 1, 'non-invite-client': 1, 'non-invite-server': 1 });
  });

  it('keeps server and client keys in separate spaces', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 10 });
    const server = f.nonInviteServer('same');
    const client = f.nonInviteClient('same');
    expect(table.addServer(server).ok).toBe(true);
    expect(table.addClient(client).ok).toBe(true);
    expect(table.findServer('same')).toBe(server);
    expect(table.findClient('same')).toBe(client);
  });

  it('refuses a duplicate key with EDGE_ERR_TRANSACTION_EXISTS', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 10 });
    table.addServer(f.inviteServer('k'));
    const result = table.addServer(f.inviteServer('k'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('EDGE_ERR_TRANSACTION_EXISTS');
    expect(table.size).toBe(1);
  });

  it('refuses creation beyond the limit with EDGE_ERR_TRANSACTION_LIMIT, and accepts again after a removal', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 3 });
    const first = f.inviteServer('a');
    table.addServer(first);
    table.addServer(f.nonInviteServer('b'));
    expect(table.isFull).toBe(false);
    table.addClient(f.inviteClient('c'));
    expect(table.isFull).toBe(true);
    const refusedServer = table.addServer(f.nonInviteServer('d'));
    const refusedClient = table.addClient(f.nonInviteClient('e'));
    expect(refusedServer).toEqual({
      ok: false,
      error: { code: 'EDGE_ERR_TRANSACTION_LIMIT', message: 'live transaction limit 3 reached' },
    });
    expect(refusedClient.ok).toBe(false);
    expect(table.size).toBe(3);
    expect(table.remove(first)).toBe(true);
    expect(table.addServer(f.nonInviteServer('d')).ok).toBe(true);
  });

  it('removes only the transaction stored under the key', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 10 });
    const stored = f.inviteServer('k');
    table.addServer(stored);
    expect(table.remove(f.inviteServer('k'))).toBe(false);
    expect(table.findServer('k')).toBe(stored);
    expect(table.remove(stored)).toBe(true);
    expect(table.remove(stored)).toBe(false);
    expect(table.counts()['invite-server']).toBe(0);
  });

  it('empties as transactions terminate when the TU removes them on termination', () => {
    const f = fixture();
    const table = new TransactionTable({ maxTransactions: 10 });
    f.peer.onTerminatedHook = (tx) => table.remove(tx);
    const server = f.nonInviteServer('s');
    const client = f.nonInviteClient('c');
    table.addServer(server);
    table.addClient(client);
    client.start();
    server.sendFinal(200, RESPONSE);
    f.wheel.advance(40_000);
    expect(table.size).toBe(0);
    expect(table.counts()).toEqual({ 'invite-client': 0, 'invite-server': 0, 'non-invite-client': 0, 'non-invite-server': 0 });
    expect(f.wheel.size).toBe(0);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new TransactionTable({ maxTransactions: 0 })).toThrow(RangeError);
    expect(() => new TransactionTable({ maxTransactions: 1.5 })).toThrow(RangeError);
  });
});
