/** A SIP peer on loopback UDP that answers every request with 200 and records the request lines. */
import dgram from 'node:dgram';
import { once } from 'node:events';

export class RecordingPeer {
  readonly requestLines: string[] = [];
  private socket: dgram.Socket | undefined;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data: Buffer, rinfo) => {
      const text = data.toString();
      const line = text.slice(0, text.indexOf('\r\n'));
      if (!/^[A-Z]+ /.test(line) || line.startsWith('ACK ')) return;
      this.requestLines.push(line);
      const copy = (name: string): string => (new RegExp(`^${name}:.*$`, 'mi').exec(text)?.[0] ?? '') + '\r\n';
      const vias = text.match(/^Via:.*$/gim)?.join('\r\n') ?? '';
      socket.send(Buffer.from(`SIP/2.0 200 OK\r\n${vias}\r\n${copy('From')}${copy('To').replace(/\r\n$/, ';tag=peer\r\n')}${copy('Call-ID')}${copy('CSeq')}Content-Length: 0\r\n\r\n`), rinfo.port, rinfo.address);
    });
    socket.bind(this.port, '127.0.0.1');
    await once(socket, 'listening');
    this.socket = socket;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
