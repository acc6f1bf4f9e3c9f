/**
 * TCP transport. Every connection, accepted or opened, goes into one table keyed by id and by the
 * peer's ip:port, so responses go back on the connection the request came in on and requests to a
 * peer reuse any open connection to it (RFC 3261 §18.2.2, §18.1.1; RFC 5626 for registered phones).
 * Framing is the StreamFramer's job; this file only moves bytes and enforces connection limits.
 */
import net from 'node:net';
import { StreamFramer } from './stream-framer.js';
import { makeListener } from './udp-transport.js';
import type { Listener, SendResult, Transport, TransportAddress, TransportEvents } from './transport.js';

export interface TcpListenerOptions {
  ip: string;
  port: number;
  advertise: string | undefined;
  name: string | undefined;
}

export interface TcpTransportOptions {
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  maxConnections: number;
  maxMessageBytes: number;
  maxHeaderBytes: number;
}

const CRLF = Buffer.from('\r\n');
const DOUBLE_CRLF = Buffer.from('\r\n\r\n');

interface Connection {
  id: number;
  socket: net.Socket;
  peer: TransportAddress;
  key: string;
  listener: Listener;
  connected: boolean;
  /** Idle timeout of this connection: the transport's, or longer while a phone is registered over it. */
  idleMs: number;
}

export class TcpTransport implements Transport {
  readonly protocol = 'tcp' as const;
  private readonly servers: { server: net.Server; listener: Listener }[] = [];
  private readonly byId = new Map<number, Connection>();
  private readonly byPeer = new Map<string, Connection>();
  private nextId = 1;
  private closing = false;

  private constructor(
    private readonly options: TcpTransportOptions,
    private readonly events: TransportEvents,
  ) {}

  static async bind(listeners: readonly TcpListenerOptions[], options: TcpTransportOptions, events: TransportEvents): Promise<TcpTransport> {
    const t = new TcpTransport(options, events);
    try {
      for (const l of listeners) await t.listen(l);
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  get listeners(): readonly Listener[] {
    return this.servers.map((s) => s.listener);
  }

  get connectionCount(): number {
    return this.byId.size;
  }

  private async listen(o: TcpListenerOptions): Promise<void> {
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: o.ip, port: o.port, backlog: 1024 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address() as net.AddressInfo; // listen() on host/port always yields AddressInfo
    const listener = makeListener('tcp', o.ip, address.port, o.advertise, o.name);
    server.on('connection', (socket) => {
      if (this.closing || this.byId.size >= this.options.maxConnections) {
        socket.destroy();
        return;
      }
      const peer: TransportAddress = { transport: 'tcp', ip: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
      this.adopt(socket, peer, listener, true);
    });
    server.on('error', () => {
      // accept errors (EMFILE) are transient; the listener keeps running
    });
    this.servers.push({ server, listener });
  }

  private adopt(socket: net.Socket, peer: TransportAddress, listener: Listener, connected: boolean): Connection {
    const conn: Connection = { id: this.nextId++, socket, peer, key: peerKey(peer.ip, peer.port), listener, connected, idleMs: this.options.idleTimeoutMs };
    this.byId.set(conn.id, conn);
    this.byPeer.set(conn.key, conn);
    socket.setNoDelay(true);
    socket.setTimeout(connected ? conn.idleMs : this.options.connectTimeoutMs);
    const events = this.events;
    const framer = new StreamFramer({
      maxMessageBytes: this.options.maxMessageBytes,
      maxHeaderBytes: this.options.maxHeaderBytes,
      onMessage: (data: Buffer) => events.message({ data, source: conn.peer, listener, connectionId: conn.id }),
      // RFC 5626 §4.4.1: answer a CRLFCRLF ping with a CRLF pong
      onPing: () => {
        socket.write(CRLF);
      },
      onPong: () => {},
      onError: (code: string, detail: string) => {
        events.framingError?.(conn.peer, code, detail);
        socket.destroy();
      },
    });
    socket.on('connect', () => {
      conn.connected = true;
      socket.setTimeout(conn.idleMs);
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('timeout', () => {
      if (!conn.connected) events.sendError?.(conn.peer, 'connect timeout');
      socket.destroy();
    });
    socket.on('error', (err) => {
      if (!conn.connected) events.sendError?.(conn.peer, err.message);
    });
    socket.on('close', () => this.forget(conn));
    return conn;
  }

  private forget(conn: Connection): void {
    this.byId.delete(conn.id);
    if (this.byPeer.get(conn.key) === conn) this.byPeer.delete(conn.key);
  }

  send(dest: TransportAddress, data: Buffer, connectionId?: number): SendResult {
    let conn = connectionId !== undefined ? this.byId.get(connectionId) : undefined;
    conn ??= this.byPeer.get(peerKey(dest.ip, dest.port));
    if (!conn) {
      if (this.closing) return { ok: false, code: 'EDGE_ERR_SEND_FAILED', detail: 'transport closing' };
      if (this.byId.size >= this.options.maxConnections) return { ok: false, code: 'EDGE_ERR_CONNECTION_LIMIT', detail: `${this.byId.size} connections open` };
      const listener = this.servers[0]?.listener;
      if (!listener) return { ok: false, code: 'EDGE_ERR_NO_CONNECTION', detail: 'no TCP listener' };
      const socket = net.connect({ host: dest.ip, port: dest.port, noDelay: true });
      conn = this.adopt(socket, { transport: 'tcp', ip: dest.ip, port: dest.port }, listener, false);
    }
    if (conn.socket.destroyed) return { ok: false, code: 'EDGE_ERR_NO_CONNECTION', detail: `connection ${conn.id} closed` };
    conn.socket.write(data);
    return { ok: true };
  }

  /**
   * Writes a CRLFCRLF keep-alive (RFC 5626 §3.5.1) on the open connection to `dest`, never opening
   * one; false when there is none. Keeps a NAT mapping of a phone registered over it open.
   */
  ping(dest: TransportAddress): boolean {
    const conn = this.byPeer.get(peerKey(dest.ip, dest.port));
    if (!conn || conn.socket.destroyed || !conn.connected) return false;
    conn.socket.write(DOUBLE_CRLF);
    return true;
  }

  /**
   * Keeps connection `connectionId` open through `forMs` of silence (Kamailio extends a TCP
   * connection's lifetime to the registration's expiry): a phone registered over it must still be
   * reachable over it when a call comes. Never shortens the transport's own idle timeout.
   */
  keepOpen(connectionId: number, forMs: number): boolean {
    const conn = this.byId.get(connectionId);
    if (!conn || conn.socket.destroyed) return false;
    conn.idleMs = Math.max(this.options.idleTimeoutMs, forMs);
    if (conn.connected) conn.socket.setTimeout(conn.idleMs);
    return true;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const c of this.byId.values()) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    this.servers.length = 0;
  }
}

function peerKey(ip: string, port: number): string {
  return `${ip}:${port}`;
}

/** Node reports IPv4 peers of dual-stack sockets as ::ffff:a.b.c.d. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
