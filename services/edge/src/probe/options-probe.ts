/**
 * OPTIONS probes on behalf of other services (Kamailio dispatcher's keep-alive pings): the router
 * never speaks SIP, so it asks an edge to send one OPTIONS and tell it the final answer and the
 * round-trip time. The request leaves through a normal non-INVITE client transaction (retransmitted
 * over UDP, Timer F bounded by the probe's timeout), so a probe behaves on the wire exactly as any
 * other request from this edge.
 */
import type { OptionsProbeParams, OptionsProbeResult } from '@sipmesh/contracts';
import { buildRequest } from '../parser/message-builder.js';
import { parseUri } from '../parser/sip-uri.js';
import type { Resolver, ResolveResult } from '../proxy/next-hop.js';
import type { TransportSet } from '../proxy/proxy-context.js';
import { ourVia } from '../proxy/via-handling.js';
import { clientTransactionKey, NonInviteClientTransaction, type ClientTransaction, type ClientTransactionUser, type TimerWheel, type TransactionTable, type TransactionTimerProfiles } from '../transaction/index.js';
import { isReliable } from '../transport/transport.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

export interface OptionsProbeDeps {
  readonly edgeId: string;
  readonly wheel: TimerWheel;
  readonly timers: TransactionTimerProfiles;
  readonly table: TransactionTable;
  readonly resolver: Resolver;
  readonly transports: TransportSet;
  now(): number;
}

/** A probe that could not be sent at all: the caller gets a JSON-RPC error, not a SIP status. */
export class ProbeError extends Error {
  constructor(
    readonly code: 'EDGE_ERR_BAD_URI' | 'EDGE_ERR_UNSUPPORTED_TRANSPORT' | 'EDGE_ERR_DNS' | 'EDGE_ERR_TABLE_FULL',
    message: string,
  ) {
    super(message);
  }
}

export class OptionsProber {
  private serial = 0;
  private readonly tag = Math.floor(Math.random() * 0xffffff).toString(36);

  constructor(private readonly deps: OptionsProbeDeps) {}

  async probe(params: OptionsProbeParams): Promise<OptionsProbeResult> {
    const target = parseUri(params.uri);
    if (!target) throw new ProbeError('EDGE_ERR_BAD_URI', `cannot parse ${params.uri}`);
    const hop = params.dst_uri === undefined ? target : parseUri(params.dst_uri);
    if (!hop) throw new ProbeError('EDGE_ERR_BAD_URI', `cannot parse ${params.dst_uri ?? ''}`);
    let resolved: ResolveResult | Promise<ResolveResult> = this.deps.resolver.resolve(hop);
    if (resolved instanceof Promise) resolved = await resolved;
    if (!resolved.ok) throw new ProbeError(resolved.code, resolved.detail);
    const dest = resolved.address;
    const listener = this.deps.transports.listenerFor(dest.transport);
    if (!listener) throw new ProbeError('EDGE_ERR_UNSUPPORTED_TRANSPORT', `no ${dest.transport} listener`);

    const n = ++this.serial;
    const branch = `z9hG4bKprobe.${this.tag}.${n.toString(36)}`;
    const from = params.from ?? `sip:sipmesh@${listener.advertiseHost}`;
    const request = buildRequest({
      method: 'OPTIONS',
      uri: params.uri,
      via: `${ourVia(listener, branch)};rport`,
      from: `<${from}>;tag=${this.tag}${n.toString(36)}`,
      to: `<${params.uri}>`,
      callId: `probe-${this.tag}-${n.toString(36)}@${listener.advertiseHost}`,
      cseq: 1,
    });
    const timeoutMs = params.timeout_ms ?? DEFAULT_PROBE_TIMEOUT_MS;
    const base = isReliable(dest.transport) ? this.deps.timers.reliable : this.deps.timers.unreliable;
    // Timer F is the probe's patience; Timer K stays as the transport wants it.
    const timers = { ...base, timerFMs: timeoutMs };
    const started = this.deps.now();
    const edge = this.deps.edgeId;
    const table = this.deps.table;
    return new Promise<OptionsProbeResult>((resolve, reject) => {
      let settled = false;
      const finish = (status: number, reason: string, local: boolean): void => {
        if (settled) return;
        settled = true;
        resolve({ status, reason, local, rtt_ms: Math.max(0, this.deps.now() - started), edge });
      };
      const user: ClientTransactionUser = {
        onResponse: (_tx, status, payload) => {
          if (status >= 200) finish(status, reasonOf(payload), false);
        },
        onTimeout: () => finish(408, 'Request Timeout', true),
        onTransportError: () => finish(503, 'Service Unavailable', true),
        onTerminated: (tx: ClientTransaction) => {
          table.remove(tx);
          finish(408, 'Request Timeout', true);
        },
      };
      const tx = new NonInviteClientTransaction({
        key: clientTransactionKey({ branch, cseqMethod: 'OPTIONS' }),
        sender: {
          send: (payload) => {
            const r = this.deps.transports.send(dest, payload);
            if (!r.ok) queueMicrotask(() => tx.transportError());
          },
        },
        timers,
        wheel: this.deps.wheel,
        user,
        request,
      });
      if (!table.addClient(tx).ok) {
        reject(new ProbeError('EDGE_ERR_TABLE_FULL', 'transaction table full'));
        return;
      }
      tx.start();
    });
  }
}

/** Reason phrase of a response's status line (`SIP/2.0 200 OK`). */
function reasonOf(payload: Buffer): string {
  const eol = payload.indexOf(0x0d);
  const line = payload.toString('utf8', 0, eol === -1 ? Math.min(payload.length, 200) : eol);
  const m = /^SIP\/2\.0\s+\d{3}\s*(.*)$/.exec(line);
  return m?.[1] ?? '';
}
