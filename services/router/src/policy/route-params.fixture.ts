/** Route request facts for policy tests: an INVITE from alice@example.com to `ruri`, both ours. */
import type { RouteParams } from '@sipmesh/contracts';

export interface ParamsSpec extends Partial<Omit<RouteParams, 'ruri' | 'from'>> {
  /** Request-URI; parts are derived from it. */
  ruri?: string;
  /** From URI; parts are derived from it. */
  from?: string;
}

function parts(uri: string): { scheme: string; user?: string; host: string; port?: number } {
  const m = /^(sips?):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?/i.exec(uri);
  if (!m) throw new Error(`fixture URI ${uri} does not parse`);
  const out: { scheme: string; user?: string; host: string; port?: number } = { scheme: (m[1] ?? 'sip').toLowerCase(), host: m[3] ?? '' };
  if (m[2] !== undefined && m[2] !== '') out.user = m[2];
  if (m[4] !== undefined) out.port = Number(m[4]);
  return out;
}

export function routeParams(spec: ParamsSpec = {}): RouteParams {
  const { ruri = 'sip:9196@example.com', from = 'sip:alice@example.com', ...rest } = spec;
  const r = parts(ruri);
  const f = parts(from);
  return {
    version: '1.0',
    edge: 'e1',
    tx: 'e1.1.1',
    method: 'INVITE',
    ruri,
    ruri_parts: r,
    from: { uri: from, ...(f.user === undefined ? {} : { user: f.user }), host: f.host, tag: 't1' },
    to: { uri: ruri, ...(r.user === undefined ? {} : { user: r.user }), host: r.host },
    call_id: 'call-1',
    cseq: { seq: 1, method: rest.method ?? 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
    ...rest,
  };
}
