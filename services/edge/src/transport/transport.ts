/**
 * The one Transport interface shared by UDP, TCP and (later) TLS and WebSocket. A transport owns
 * its sockets and delivers whole SIP messages (framed, not parsed) upward; it never looks inside
 * them. Upper layers address peers by `TransportAddress` and may pin a reply to the connection a
 * request came in on (`connectionId`), as RFC 3261 §18.2.2 asks for stream transports.
 */

export const TransportProtocol = { udp: 'udp', tcp: 'tcp', tls: 'tls', ws: 'ws', wss: 'wss' } as const;
export type TransportProtocol = (typeof TransportProtocol)[keyof typeof TransportProtocol];

/** Protocols whose delivery is reliable, which turns off retransmission timers (RFC 3261 §17). */
export function isReliable(p: TransportProtocol): boolean {
  return p !== 'udp';
}

export interface TransportAddress {
  transport: TransportProtocol;
  ip: string;
  port: number;
}

/** A bound listener and the address it advertises (Via sent-by, Record-Route). */
export interface Listener {
  readonly transport: TransportProtocol;
  readonly ip: string;
  readonly port: number;
  /** host[:port] advertised; defaults to ip:port. */
  readonly advertiseHost: string;
  readonly advertisePort: number;
  readonly name: string | undefined;
}

export interface InboundMessage {
  data: Buffer;
  source: TransportAddress;
  listener: Listener;
  /** Stream connection the message arrived on; undefined for datagrams. */
  connectionId: number | undefined;
}

export type SendResult = { ok: true } | { ok: false; code: 'EDGE_ERR_SEND_FAILED' | 'EDGE_ERR_NO_CONNECTION' | 'EDGE_ERR_CONNECTION_LIMIT'; detail: string };

export interface TransportEvents {
  message(msg: InboundMessage): void;
  /** A message that could not be framed on a stream (the transport already answered/closed). */
  framingError?(source: TransportAddress, code: string, detail: string): void;
  /** A send on a stream failed asynchronously (connect refused, reset) — transactions map it to 503. */
  sendError?(dest: TransportAddress, detail: string): void;
}

export interface Transport {
  readonly protocol: TransportProtocol;
  readonly listeners: readonly Listener[];
  /**
   * Sends one framed message. Stream transports reuse the connection given by `connectionId`, or an
   * open connection to `dest`, or open a new one. Errors after this call returns are reported through
   * `TransportEvents.sendError`.
   */
  send(dest: TransportAddress, data: Buffer, connectionId?: number): SendResult;
  close(): Promise<void>;
}
