/**
 * A phone on loopback UDP that sends REGISTERs exactly as a test writes them and waits for the
 * final response: for the registration rules SIPp scenarios cannot vary per step (replayed nonce
 * counts, out-of-order CSeq, several Contacts). Digest answers are computed independently of the
 * registrar (registrar/src/auth/digest-client.fixture.ts).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { clientAuthorization } from '../../../services/registrar/src/auth/digest-client.fixture.js';
import { headerValues, responseStatus } from '../../helpers/sip-message-text.js';

export interface RegisterRequest {
  user: string;
  callId: string;
  cseq: number;
  contacts?: string[];
  expires?: number;
  authorization?: string;
  extra?: string[];
}

export interface Reply {
  status: number;
  text: string;
  header(name: string): string[];
}

export class UdpPhone {
  private socket: dgram.Socket | undefined;
  private waiting: ((text: string) => void) | undefined;
  private branch = 0;

  constructor(
    readonly port: number,
    readonly proxyPort: number,
  ) {}

  async start(): Promise<void> {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      const status = responseStatus(text);
      if (status !== undefined && status >= 200) this.waiting?.(text);
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

  /** Sends one REGISTER and resolves with its final response (rejects after 5 s). */
  register(r: RegisterRequest): Promise<Reply> {
    const domain = `127.0.0.1:${this.proxyPort}`;
    const lines = [
      `REGISTER sip:${domain} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-phone-${this.port}-${++this.branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:${r.user}@${domain}>;tag=ph${this.port}`,
      `To: <sip:${r.user}@${domain}>`,
      `Call-ID: ${r.callId}`,
      `CSeq: ${r.cseq} REGISTER`,
      ...(r.contacts ?? [`<sip:${r.user}@127.0.0.1:${this.port}>`]).map((c) => `Contact: ${c}`),
      ...(r.expires !== undefined ? [`Expires: ${r.expires}`] : []),
      ...(r.authorization ? [`Authorization: ${r.authorization}`] : []),
      ...(r.extra ?? []),
      'Content-Length: 0',
    ];
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('phone not started'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no final response to REGISTER CSeq ${r.cseq}`));
      }, 5000);
      this.waiting = (text) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve({ status: responseStatus(text) ?? 0, text, header: (name) => headerValues(text, name) });
      };
      socket.send(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), this.proxyPort, '127.0.0.1');
    });
  }

  /** The Authorization answering `challenge` (a 401) for `user` with `password`, nonce count `nc`. */
  answer(challenge: Reply, user: string, password: string, nc = 1): string {
    const www = challenge.header('WWW-Authenticate')[0] ?? '';
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1] ?? '';
    const realm = /realm="([^"]+)"/.exec(www)?.[1] ?? '';
    return clientAuthorization({ username: user, password, realm, nonce, method: 'REGISTER', uri: `sip:127.0.0.1:${this.proxyPort}`, nc });
  }
}
