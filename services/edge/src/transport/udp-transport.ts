/**
 * UDP transport: one datagram is one message (RFC 3261 §18.1). Oversize datagrams are handed up
 * like any other: the edge answers 513 when it can parse enough to answer.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { InboundMessage, Listener, SendResult, Transport, TransportAddress, TransportEvents } from './transport.js';

export interface UdpListenerOptions {
  ip: string;
  port: number;
  advertise: string | undefined;
  name: string | undefined;
  recvBufferBytes: number;
}

export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  private readonly sockets: { socket: dgram.Socket; listener: Listener }[] = [];

  private constructor(private readonly events: TransportEvents) {}

  static async bind(options: readonly UdpListenerOptions[], events: TransportEvents): Promise<UdpTransport> {
    const t = new UdpTransport(events);
    try {
      for (const o of options) await t.bindOne(o);
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  get listeners(): readonly Listener[] {
    return this.sockets.map((s) => s.listener);
  }

  /** The receive buffer the kernel granted each socket (Linux reports twice the requested size, capped by net.core.rmem_max). */
  receiveBufferBytes(): { listener: Listener; bytes: number }[] {
    return this.sockets.map((s) => ({ listener: s.listener, bytes: s.socket.getRecvBufferSize() }));
  }

  private async bindOne(o: UdpListenerOptions): Promise<void> {
    const type = o.ip.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type, reuseAddr: false, lookup: literalFirstLookup, ...(o.recvBufferBytes > 0 ? { recvBufferSize: o.recvBufferBytes } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.port, o.ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const port = socket.address().port;
    const listener = makeListener('udp', o.ip, port, o.advertise, o.name);
    socket.on('error', () => {
      // ICMP errors and the like surface here on some platforms; a datagram socket stays usable.
    });
    const events = this.events;
    socket.on('message', (data, rinfo) => {
      const msg: InboundMessage = { data, source: { transport: 'udp', ip: rinfo.address, port: rinfo.port }, listener, connectionId: undefined };
      events.message(msg);
    });
    this.sockets.push({ socket, listener });
  }

  /** Sends from the listener matching the destination's address family (first one). */
  send(dest: TransportAddress, data: Buffer, _connectionId?: number, from?: Listener): SendResult {
    const entry = (from && this.sockets.find((s) => s.listener === from)) ?? this.pick(dest.ip);
    if (!entry) return { ok: false, code: 'EDGE_ERR_SEND_FAILED', detail: `no UDP socket for ${dest.ip}` };
    entry.socket.send(data, dest.port, dest.ip);
    return { ok: true };
  }

  private pick(ip: string): { socket: dgram.Socket; listener: Listener } | undefined {
    const v6 = ip.includes(':');
    return this.sockets.find((s) => s.listener.ip.includes(':') === v6) ?? this.sockets[0];
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => new Promise<void>((resolve) => s.socket.close(() => resolve()))));
    this.sockets.length = 0;
  }
}

/**
 * dgram resolves every destination through `lookup` before sending, and the default answers even
 * an IP literal on the next tick: one extra tick and closure per datagram. Destinations here are
 * nearly always literals (the next-hop resolver works out addresses), so those are answered at
 * once and only names go to the resolver.
 */
function literalFirstLookup(hostname: string, options: dns.LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = net.isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dns.lookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

export function makeListener(transport: Listener['transport'], ip: string, port: number, advertise: string | undefined, name: string | undefined): Listener {
  let advertiseHost = ip.includes(':') ? `[${ip}]` : ip;
  let advertisePort = port;
  if (advertise) {
    const parsed = splitHostPort(advertise);
    advertiseHost = parsed.host;
    advertisePort = parsed.port ?? port;
  }
  return { transport, ip, port, advertiseHost, advertisePort, name };
}

/** "host", "host:port", "[v6]" or "[v6]:port". */
export function splitHostPort(s: string): { host: string; port: number | undefined } {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    const host = s.slice(0, close + 1);
    const rest = s.slice(close + 1);
    return { host, port: rest.startsWith(':') ? Number(rest.slice(1)) : undefined };
  }
  const colon = s.lastIndexOf(':');
  if (colon === -1) return { host: s, port: undefined };
  return { host: s.slice(0, colon), port: Number(s.slice(colon + 1)) };
}
