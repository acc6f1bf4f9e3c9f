/**
 * A phone that speaks SIP over one TCP connection it opened and accepts no connections (a phone
 * behind NAT or a firewall, RFC 5626): it registers over that connection, and requests for it can
 * only come back over the same one. Incoming INVITEs are answered with `answerInvites` (default
 * 486 Busy Here), so a test sees a call reach the phone without needing its unreachable Contact.
 */
import net from 'node:net';
import { clientAuthorization } from '../../../services/registrar/src/auth/digest-client.fixture.js';
import { headerValues, requestMethod, responseStatus } from '../../helpers/sip-message-text.js';

export class TcpPhone {
  readonly received: string[] = [];
  private socket: net.Socket | undefined;
  private buffer = Buffer.alloc(0);
  private waiting: ((text: string) => void) | undefined;
  private branch = 0;
  answerInvites = { code: 486, reason: 'Busy Here' };

  /** The port written into Via and Contact: nothing listens there. */
  readonly fakePort = 9;

  constructor(readonly proxyPort: number) {}

  async connect(): Promise<void> {
    const socket = net.connect({ host: '127.0.0.1', port: this.proxyPort });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    this.socket = socket;
  }

  get closed(): boolean {
    return this.socket?.destroyed ?? true;
  }

  close(): void {
    this.socket?.destroy();
  }

  /** REGISTER → 401 → REGISTER with credentials; resolves with the final status. */
  async register(user: string, password: string, expires = 600): Promise<number> {
    const domain = `127.0.0.1:${this.proxyPort}`;
    const callId = `tcp-phone-${user}`;
    const challenge = await this.send(this.registerText(user, domain, callId, 1, expires));
    if (responseStatus(challenge) !== 401) return responseStatus(challenge) ?? 0;
    const www = headerValues(challenge, 'WWW-Authenticate')[0] ?? '';
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1] ?? '';
    const realm = /realm="([^"]+)"/.exec(www)?.[1] ?? '';
    const authorization = clientAuthorization({ username: user, password, realm, nonce, method: 'REGISTER', uri: `sip:${domain};transport=tcp` });
    return responseStatus(await this.send(this.registerText(user, domain, callId, 2, expires, authorization))) ?? 0;
  }

  private registerText(user: string, domain: string, callId: string, cseq: number, expires: number, authorization?: string): string {
    return [
      `REGISTER sip:${domain};transport=tcp SIP/2.0`,
      `Via: SIP/2.0/TCP 127.0.0.1:${this.fakePort};branch=z9hG4bK-tcpphone-${++this.branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${user}@${domain}>;tag=tcpphone`,
      `To: <sip:${user}@${domain}>`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${user}@127.0.0.1:${this.fakePort};transport=tcp>`,
      `Expires: ${expires}`,
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  private send(text: string): Promise<string> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('not connected'));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final response')), 5000);
      this.waiting = (t) => {
        clearTimeout(timer);
        resolve(t);
      };
      socket.write(text);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString();
      const length = Number(/^Content-Length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      const text = this.buffer.subarray(0, end + 4 + length).toString();
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.onMessage(text);
    }
  }

  private onMessage(text: string): void {
    this.received.push(text);
    const status = responseStatus(text);
    if (status !== undefined) {
      if (status >= 200) this.waiting?.(text);
      return;
    }
    if (requestMethod(text) === 'INVITE') {
      const copy = (name: string): string[] => headerValues(text, name).map((v) => `${name}: ${v}`);
      const to = `To: ${headerValues(text, 'To')[0] ?? ''};tag=tcpphone-callee`;
      const reply = [`SIP/2.0 ${this.answerInvites.code} ${this.answerInvites.reason}`, ...copy('Via'), ...copy('From'), to, ...copy('Call-ID'), ...copy('CSeq'), 'Content-Length: 0', '', ''].join('\r\n');
      this.socket?.write(reply);
    }
  }
}
