/**
 * TCP connection lifetimes over real loopback sockets: idle connections close after the idle
 * timeout, and a connection a phone registered over stays open for as long as it is kept.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from './tcp-transport.js';
import type { InboundMessage } from './transport.js';

const OPTIONS = { idleTimeoutMs: 300, connectTimeoutMs: 1000, maxConnections: 10, maxMessageBytes: 65535, maxHeaderBytes: 16384 };
const MESSAGE = 'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK1\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';

let transport: TcpTransport | undefined;
afterEach(async () => {
  await transport?.close();
  transport = undefined;
});

/** A client connection that has sent one message, with the id the transport gave it and when it closed. */
async function connect(t: TcpTransport, inbound: InboundMessage[]): Promise<{ id: number; closed: () => boolean }> {
  const port = t.listeners[0]?.port as number;
  const socket = net.connect({ host: '127.0.0.1', port });
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  const before = inbound.length;
  socket.write(MESSAGE);
  for (let i = 0; i < 100 && inbound.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  const id = inbound[inbound.length - 1]?.connectionId;
  if (id === undefined) throw new Error('message not received');
  return { id, closed: () => closed };
}

describe('TCP connection lifetime', () => {
  it('closes an idle connection after the idle timeout, but keeps one a phone registered over', async () => {
    const inbound: InboundMessage[] = [];
    transport = await TcpTransport.bind([{ ip: '127.0.0.1', port: 0, advertise: undefined, name: undefined }], OPTIONS, { message: (m) => void inbound.push(m) });
    const plain = await connect(transport, inbound);
    const registered = await connect(transport, inbound);
    expect(transport.keepOpen(registered.id, 1500)).toBe(true);
    await new Promise((r) => setTimeout(r, 800));
    expect(plain.closed()).toBe(true);
    expect(registered.closed()).toBe(false);
    await new Promise((r) => setTimeout(r, 1200));
    expect(registered.closed()).toBe(true);
    expect(transport.keepOpen(registered.id, 1500)).toBe(false);
  });
});
