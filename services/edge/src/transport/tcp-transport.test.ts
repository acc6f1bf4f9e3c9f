/**
 * TCP connection lifetimes over real loopback sockets: idle connections close after the idle
 * timeout, a connection a phone registered over stays open for as long as it is kept, and a CRLF
 * keep-alive goes only over a connection that is open.
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

describe('CRLF keep-alive', () => {
  it('writes CRLFCRLF on the open connection of a peer, never opens one, and says when there is none', async () => {
    const inbound: InboundMessage[] = [];
    transport = await TcpTransport.bind([{ ip: '127.0.0.1', port: 0, advertise: undefined, name: undefined }], { ...OPTIONS, idleTimeoutMs: 5000 }, { message: (m) => void inbound.push(m) });
    const socket = net.connect({ host: '127.0.0.1', port: transport.listeners[0]?.port as number });
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => void received.push(d));
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    socket.write(MESSAGE);
    for (let i = 0; i < 100 && inbound.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const peer = inbound[0]?.source;
    if (!peer) throw new Error('message not received');

    expect(transport.ping(peer)).toBe(true);
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.concat(received).toString()).toBe('\r\n\r\n');

    // nobody at this address: nothing is opened
    expect(transport.ping({ transport: 'tcp', ip: '127.0.0.1', port: 9 })).toBe(false);
    socket.destroy();
    for (let i = 0; i < 100 && transport.ping(peer); i++) await new Promise((r) => setTimeout(r, 10));
    expect(transport.ping(peer)).toBe(false);
  });
});
