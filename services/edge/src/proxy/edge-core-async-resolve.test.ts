/**
 * Next hops that need DNS (RFC 3263) resolve asynchronously: what happens while a branch waits for
 * its address. The resolver here answers when the test says so, like a slow DNS server.
 */
import { describe, expect, it } from 'vitest';
import type { SipUri } from '../parser/sip-uri.js';
import type { Resolver, ResolveResult } from './next-hop.js';
import { CALLEE_A, CALLER, ProxyHarness, startLine } from './proxy-harness.fixture.js';
import { cancelOf, invite, responseTo } from './sip-peers.fixture.js';

class DeferredResolver implements Resolver {
  readonly pending: { host: string; settle: (r: ResolveResult) => void }[] = [];

  resolve(uri: SipUri): Promise<ResolveResult> {
    return new Promise((settle) => this.pending.push({ host: uri.host, settle }));
  }

  answer(index: number, r: ResolveResult): void {
    this.pending[index]?.settle(r);
  }
}

const FOUND: ResolveResult = { ok: true, address: CALLEE_A };
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function upstream(h: ProxyHarness): string[] {
  return h.transports.sent.filter((d) => d.dest.ip === CALLER.ip).map((d) => startLine(d.text));
}

describe('asynchronous next-hop resolution', () => {
  it('sends the INVITE once the address is known', async () => {
    const resolver = new DeferredResolver();
    const h = new ProxyHarness({ resolver });
    h.receive(invite());
    h.router.answer({ routes: [{ dst_uri: 'sip:pbx.example.net' }] });
    expect(resolver.pending.map((p) => p.host)).toEqual(['pbx.example.net']);
    resolver.answer(0, FOUND);
    await settle();
    const fw = h.transports.sent.filter((d) => d.dest.ip === CALLEE_A.ip);
    expect(fw.map((d) => startLine(d.text))).toEqual(['INVITE sip:bob@example.com SIP/2.0']);
    h.receive(responseTo(fw[0]?.text ?? '', 200, 'OK'), CALLEE_A);
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
  });

  // The 487 waits for the lookup to end (the branch count is not known before): a slow DNS server
  // delays it, but nothing is ever sent to the resolved address.
  it('answers 487 to a CANCEL that comes while resolving, and sends nothing when the address arrives', async () => {
    const resolver = new DeferredResolver();
    const h = new ProxyHarness({ resolver });
    h.receive(invite());
    h.router.answer({ routes: [{ dst_uri: 'sip:pbx.example.net' }] });
    h.receive(cancelOf());
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    resolver.answer(0, FOUND);
    await settle();
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
    await settle();
    expect(h.transports.sent.filter((d) => d.dest.ip === CALLEE_A.ip)).toEqual([]);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[487, 'cancelled']]);
  });

  it('fails over to the next route when DNS fails, as a 503 of that route', async () => {
    const resolver = new DeferredResolver();
    const h = new ProxyHarness({ resolver });
    h.receive(invite());
    h.router.answer({ routes: [{ dst_uri: 'sip:gone.example.net' }, { dst_uri: 'sip:pbx.example.net' }] });
    resolver.answer(0, { ok: false, code: 'EDGE_ERR_DNS', detail: 'gone.example.net: ENOTFOUND' });
    await settle();
    expect(resolver.pending.map((p) => p.host)).toEqual(['gone.example.net', 'pbx.example.net']);
    resolver.answer(1, FOUND);
    await settle();
    expect(h.transports.sent.filter((d) => d.dest.ip === CALLEE_A.ip)).toHaveLength(1);
  });

  it('answers once every route failed to resolve', async () => {
    const resolver = new DeferredResolver();
    const h = new ProxyHarness({ resolver });
    h.receive(invite());
    h.router.answer({ routes: [{ dst_uri: 'sip:gone.example.net' }] });
    resolver.answer(0, { ok: false, code: 'EDGE_ERR_DNS', detail: 'gone.example.net: ENOTFOUND' });
    await settle();
    expect(upstream(h)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 503 Service Unavailable']);
  });
});
