/**
 * Turns a next-hop URI into a transport address (RFC 3263, simplified): the transport comes from
 * the `transport` parameter (sips: TLS), the port from the URI or the transport's default; a host
 * name without a port is looked up as SRV first, then as A/AAAA. Answers are cached for a short
 * time so the lookup stays off the hot path for repeated destinations. All I/O is asynchronous.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { SipUri } from '../parser/sip-uri.js';
import type { TransportAddress, TransportProtocol } from '../transport/transport.js';

export type ResolveResult = { ok: true; address: TransportAddress } | { ok: false; code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT' | 'EDGE_ERR_DNS'; detail: string };

const TRANSPORTS: Readonly<Record<string, TransportProtocol>> = { udp: 'udp', tcp: 'tcp', tls: 'tls', ws: 'ws', wss: 'wss' };

export interface Resolver {
  resolve(uri: SipUri): ResolveResult | Promise<ResolveResult>;
}

export class NextHopResolver implements Resolver {
  private readonly cache = new Map<string, { at: number; result: ResolveResult }>();

  constructor(
    private readonly supported: ReadonlySet<TransportProtocol>,
    private readonly cacheMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Synchronous for IP literals (the common case), a promise when DNS is needed. */
  resolve(uri: SipUri): ResolveResult | Promise<ResolveResult> {
    const param = uri.params.get('transport');
    const transport = param ? TRANSPORTS[param.toLowerCase()] : uri.scheme === 'sips' ? 'tls' : 'udp';
    if (!transport || !this.supported.has(transport)) {
      return { ok: false, code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT', detail: `transport ${param ?? transport ?? '?'} of ${uri.raw} is not served by this edge` };
    }
    const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
    const defaultPort = transport === 'tls' || transport === 'wss' ? 5061 : 5060;
    if (net.isIP(host) !== 0) return { ok: true, address: { transport, ip: host, port: uri.port ?? defaultPort } };
    const key = `${transport}|${host}|${uri.port ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.result;
    return this.lookup(host, transport, uri.port, defaultPort).then((result) => {
      this.cache.set(key, { at: this.now(), result });
      return result;
    });
  }

  private async lookup(host: string, transport: TransportProtocol, port: number | undefined, defaultPort: number): Promise<ResolveResult> {
    let target = host;
    let targetPort = port;
    if (port === undefined) {
      // RFC 3263 §4.2: SRV for the chosen transport, lowest priority first
      try {
        const proto = transport === 'udp' ? '_udp' : '_tcp';
        const service = transport === 'tls' ? '_sips' : '_sip';
        const records = await dns.resolveSrv(`${service}.${proto}.${host}`);
        records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
        const best = records[0];
        if (best) {
          target = best.name;
          targetPort = best.port;
        }
      } catch {
        // no SRV: fall back to A/AAAA on the default port
      }
    }
    try {
      const { address } = await dns.lookup(target);
      return { ok: true, address: { transport, ip: address, port: targetPort ?? defaultPort } };
    } catch (e) {
      return { ok: false, code: 'EDGE_ERR_DNS', detail: `${target}: ${(e as Error).message}` };
    }
  }
}
