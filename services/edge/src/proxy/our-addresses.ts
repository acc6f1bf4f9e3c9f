/**
 * "Is this us?" (Kamailio `myself`): the hosts of our listeners and advertised names, plus the
 * configured domains. Used for Route processing (§16.4), OPTIONS to the edge, and the `ours`
 * facts of a route request. Host comparison is case-insensitive (RFC 3261 §19.1.4).
 */
import type { Listener } from '../transport/transport.js';

export class OurAddresses {
  private readonly hostPorts = new Set<string>();
  private readonly hosts = new Set<string>();
  private readonly domains = new Set<string>();
  private readonly ports = new Set<number>();

  constructor(listeners: readonly Listener[], domains: readonly string[]) {
    for (const l of listeners) {
      for (const host of [l.advertiseHost, bracket(l.ip)]) {
        const h = host.toLowerCase();
        this.hosts.add(h);
        this.hostPorts.add(`${h}:${l.advertisePort}`);
        this.hostPorts.add(`${h}:${l.port}`);
      }
      this.ports.add(l.port).add(l.advertisePort);
    }
    for (const d of domains) this.domains.add(d.toLowerCase());
  }

  /**
   * A URI host and port that address this edge itself (Route, Via sent-by, OPTIONS): one of our
   * addresses with one of its ports (no port means the transport's default), or one of our domains
   * with no port or any listening port.
   */
  isEdge(host: string, port: number | undefined, defaultPort = 5060): boolean {
    const h = host.toLowerCase();
    if (this.hostPorts.has(`${h}:${port ?? defaultPort}`)) return true;
    return this.domains.has(h) && (port === undefined || this.ports.has(port));
  }

  /** A host that is one of our domains or one of our own addresses (Kamailio uri==myself). */
  isOurDomain(host: string): boolean {
    const h = host.toLowerCase();
    return this.domains.has(h) || this.hosts.has(h);
  }
}

function bracket(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}
