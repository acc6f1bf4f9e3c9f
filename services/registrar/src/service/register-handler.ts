/**
 * One REGISTER as the edge hands it over (a route request of method REGISTER on
 * `sipmesh.registrar.v1.register`), answered with the reply the edge sends: Kamailio's default
 * route[REGISTRAR] with route[AUTH] in front — `www_authorize` / `auth_check(..., 1)` against the
 * To user and domain, then `save("location")` with nathelper's `fix_nated_register` when the
 * phone is behind NAT.
 */
import type { Reply, RouteParams } from '@sipmesh/contracts';
import { AuthResultKind, type DigestAuthenticator } from '../auth/index.js';
import { natUacTest } from '@sipmesh/runtime';
import { processRegister, readAorAhead, SipTransport, type RegisterConfig, type RegisterFacts, type RegisterOutcome } from '../register/index.js';
import type { AorSnapshot, LocationStore } from '../location/index.js';

export interface RegisterHandlerDeps {
  readonly store: LocationStore;
  readonly register: RegisterConfig;
  /** Undefined: REGISTER is not authenticated. */
  readonly authenticator: DigestAuthenticator | undefined;
  /** nat_uac_test flags deciding a phone is behind NAT; 0: never. */
  readonly natTest: number;
  readonly now: () => number;
}

export type RegisterHandling =
  | { readonly kind: 'auth'; readonly reply: Reply; readonly outcome: 'challenge' | 'banned' | 'unavailable'; readonly reason?: string; readonly user?: string }
  | { readonly kind: 'register'; readonly reply: Reply; readonly outcome: RegisterOutcome; readonly facts: RegisterFacts; readonly user?: string };

const TRANSPORTS = new Set<string>(Object.values(SipTransport));

export async function handleRegister(p: RouteParams, deps: RegisterHandlerDeps): Promise<RegisterHandling> {
  let user: string | undefined;
  // made before authentication only when they are needed then (the AoR read ahead)
  let facts: RegisterFacts | undefined;
  let readAhead: Promise<AorSnapshot> | undefined;
  if (deps.authenticator) {
    const realm = p.to.host;
    const credentials = p.headers['authorization'] ?? [];
    // with credentials the request is likely to pass: its AoR is read meanwhile
    if (credentials.length > 0) {
      facts = registerFacts(p, deps);
      readAhead = readAorAhead(deps.store, facts, deps.register);
    }
    let auth;
    try {
      auth = await deps.authenticator.authenticate({
        method: p.method,
        requestUri: p.ruri,
        credentialsHeaderValues: credentials,
        realm,
        ...(p.to.user !== undefined ? { checkUser: p.to.user } : {}),
        sourceIp: p.source.ip,
      });
    } catch (e) {
      // The subscriber or nonce-count store is down: the phone retries later, nothing is decided.
      return { kind: 'auth', outcome: 'unavailable', reason: (e as Error).message, reply: { code: 503, reason: 'Service Unavailable', headers: ['Retry-After: 5'] } };
    }
    if (auth.result === AuthResultKind.banned) {
      return { kind: 'auth', outcome: 'banned', reason: auth.detail, ...(auth.user ? { user: auth.user } : {}), reply: { code: 403, reason: 'Try later' } };
    }
    if (auth.result === AuthResultKind.challenge) {
      const c = deps.authenticator.challengeHeaders(realm, auth.stale, true);
      return { kind: 'auth', outcome: 'challenge', reason: auth.reason, ...(auth.user ? { user: auth.user } : {}), reply: { code: c.code, reason: c.reason, headers: [...c.headers] } };
    }
    user = auth.user;
  }
  facts ??= registerFacts(p, deps);
  const outcome = await processRegister(deps.store, facts, deps.register, readAhead ? { update: { readFirst: readAhead } } : {});
  return { kind: 'register', facts, outcome, ...(user ? { user } : {}), reply: { code: outcome.code, reason: outcome.reason, headers: [...outcome.headers] } };
}

export function registerFacts(p: RouteParams, deps: Pick<RegisterHandlerDeps, 'natTest' | 'now'>): RegisterFacts {
  const h = (name: string): string[] => p.headers[name] ?? [];
  // The edge splits comma lists (contract: route-request headers), so every value is one element.
  const contacts = p.contact ?? h('contact');
  const path = h('path');
  const transport = TRANSPORTS.has(p.source.transport) ? (p.source.transport as SipTransport) : SipTransport.udp;
  const contactHosts = contacts.map(contactHost).filter((x): x is string => x !== undefined);
  // Behind a Path-adding proxy the source is that proxy, not the phone: it keeps the NAT binding.
  const nat = path.length === 0 && deps.natTest !== 0 && natUacTest({ source: p.source, topVia: h('via')[0], contactHosts }, deps.natTest) !== 0;
  const expires = h('expires')[0];
  const userAgent = h('user-agent')[0];
  const allow = h('allow');
  const supported = h('supported').map((v) => v.trim().toLowerCase());
  const s = p.socket;
  return {
    aor: p.to.uri,
    callId: p.call_id,
    cseq: p.cseq.seq,
    contacts,
    ...(expires !== undefined ? { expiresHeader: expires } : {}),
    path,
    pathSupported: supported.includes('path'),
    ...(userAgent !== undefined ? { userAgent } : {}),
    ...(allow.length > 0 ? { allow: allow.map((m) => m.trim().toUpperCase()).filter((m) => m !== '') } : {}),
    source: { ip: p.source.ip, port: p.source.port, transport },
    edge: p.edge,
    socket: `${s.transport}:${s.ip}:${s.port}`,
    edgeUri: `sip:${s.advertise ?? `${s.ip}:${s.port}`};transport=${s.transport}`,
    natDetected: nat,
    now: deps.now(),
  };
}

/** Host of a Contact value's URI, for the NAT test. */
function contactHost(value: string): string | undefined {
  const m = /(?:^|<|\s)sips?:(?:[^@<>\s]*@)?(\[[^\]]+\]|[^:;>\s?]+)/i.exec(value);
  return m?.[1];
}
