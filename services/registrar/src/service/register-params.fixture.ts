/** A REGISTER as the edge hands it to the registrar (a route request's params), for tests. */
import { CONTRACT_VERSION, type RouteParams } from '@sipmesh/contracts';

export interface RegisterParamsOptions {
  /** To and From user, domain example.com; default 1001. */
  readonly user?: string;
  /** Contact URI; default `sip:<user>@192.0.2.5:5062`. */
  readonly contact?: string;
  /** Expires header; default 600. */
  readonly expires?: number;
  readonly authorization?: string;
  readonly callId?: string;
  readonly cseq?: number;
  /** Source address; default 192.0.2.5 (port 5062, udp). */
  readonly ip?: string;
}

export function registerParams(o: RegisterParamsOptions = {}): RouteParams {
  const user = o.user ?? '1001';
  const contact = `<${o.contact ?? `sip:${user}@192.0.2.5:5062`}>`;
  const headers: Record<string, string[]> = { contact: [contact], expires: [String(o.expires ?? 600)] };
  if (o.authorization !== undefined) headers['authorization'] = [o.authorization];
  return {
    version: CONTRACT_VERSION,
    edge: 'edge1',
    tx: 'edge1.1.1',
    method: 'REGISTER',
    ruri: 'sip:example.com',
    ruri_parts: { scheme: 'sip', host: 'example.com' },
    from: { uri: `sip:${user}@example.com`, user, host: 'example.com', tag: 'f1' },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: o.callId ?? `reg-${user}`,
    cseq: { seq: o.cseq ?? 1, method: 'REGISTER' },
    contact: [contact],
    headers,
    source: { ip: o.ip ?? '192.0.2.5', port: 5062, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060, advertise: '127.0.0.1:5060' },
    ours: { ruri: true, from: true },
    auth: null,
    attempt: 1,
  };
}
