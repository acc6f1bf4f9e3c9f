/**
 * The UDP transport on real loopback sockets: a datagram in is one message with its source, and a
 * send reaches an IP literal (answered without a resolver round) and a host name (resolved).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from './transport.js';
import { UdpTransport } from './udp-transport.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

async function peer(): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  opened.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  return { socket, port: socket.address().port };
}

describe('UdpTransport', () => {
  it('hands up each datagram with its source, and sends to an IP literal and to a host name', async () => {
    const received: InboundMessage[] = [];
    const t = await UdpTransport.bind([{ ip: '127.0.0.1', port: 0, advertise: undefined, name: undefined, recvBufferBytes: 0 }], { message: (m) => received.push(m) });
    opened.push(t);
    const edgePort = t.listeners[0]?.port ?? 0;
    const p = await peer();

    p.socket.send(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), edgePort, '127.0.0.1');
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]?.source).toEqual({ transport: 'udp', ip: '127.0.0.1', port: p.port });
    expect(received[0]?.data.toString()).toBe('OPTIONS sip:x SIP/2.0\r\n\r\n');

    const got: string[] = [];
    p.socket.on('message', (d: Buffer) => got.push(d.toString()));
    expect(t.send({ transport: 'udp', ip: '127.0.0.1', port: p.port }, Buffer.from('to a literal'))).toEqual({ ok: true });
    expect(t.send({ transport: 'udp', ip: 'localhost', port: p.port }, Buffer.from('to a name'))).toEqual({ ok: true });
    await expect.poll(() => [...got].sort()).toEqual(['to a literal', 'to a name']);
  });
});
