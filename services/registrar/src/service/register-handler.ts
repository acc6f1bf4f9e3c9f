/**
 * One REGISTER as the edge hands it over (a route request of method REGISTER on
 * `sipmesh.registrar.v1.register`), answered with the reply the edge sends: Kamailio's default
 * route[REGISTRAR] with route[AUTH] in front — `www_authorize` / `auth_check(..., 1)` against the
 * To user and domain, then `save("location")` with nathelper's `fix_nated_register` when the
 * phone is behind NAT.
 */
import type { Reply, RouteParams } from '@sipmesh/contracts';
import { Acceptance, AuthResultKind, type AuthAcceptor, type DigestAuthenticator } from '../auth/index.js';
import { natUacTest } from '@sipmesh/runtime';
import { prepareRegister, readAorAhead, runRegister, SipTransport, type ApplyRegisterResult, type PreparedRegister, type RegisterConfig, type RegisterFacts, type RegisterOutcome } from '../register/index.js';
import type { AorDecision, AorSnapshot, LocationStore } from '../location/index.js';
import type { AcceptAndSaveResult, RedisAcceptAndSave } from './accept-and-save.js';

export interface RegisterHandlerDeps {
  readonly store: LocationStore;
  readonly register: RegisterConfig;
  /** Undefined: REGISTER is not authenticated. */
  readonly authenticator: DigestAuthenticator | undefined;
  /**
   * The store and the authenticator's state share one Redis: a good digest is accepted and its
   * bindings written in one script (accept-and-save.ts). Undefined: accepted, then written.
   */
  readonly acceptAndSave?: Pick<RedisAcceptAndSave, 'presume' | 'run'>;
  /** nat_uac_test flags deciding a phone is behind NAT; 0: never. */
  readonly natTest: number;
  readonly now: () => number;
}

export type RegisterHandling =
  | { readonly kind: 'auth'; readonly reply: Reply; readonly outcome: 'challenge' | 'banned' | 'unavailable'; readonly reason?: string; readonly user?: string }
  | {
      readonly kind: 'register';
      readonly reply: Reply;
      readonly outcome: RegisterOutcome;
      readonly facts: RegisterFacts;
      readonly user?: string;
      /** Accepted and written in one script: whether the AoR was as presumed (`acceptAndSave`). */
      readonly presumed?: 'right' | 'wrong';
    };

const TRANSPORTS = new Set<string>(Object.values(SipTransport));

export async function handleRegister(p: RouteParams, deps: RegisterHandlerDeps): Promise<RegisterHandling> {
  let user: string | undefined;
  // made before authentication only when they are needed then
  let facts: RegisterFacts | undefined;
  let prepared: PreparedRegister | undefined;
  let readAhead: Promise<AorSnapshot> | undefined;
  let acceptor: AuthAcceptor | undefined;
  let saved: AcceptAndSaveResult | undefined;
  let presumed: { readonly snapshot: AorSnapshot; readonly decision: AorDecision<ApplyRegisterResult> } | undefined;
  if (deps.authenticator) {
    const realm = p.to.host;
    const credentials = p.headers['authorization'] ?? [];
    // with credentials the request is likely to pass: its bindings are written with the
    // acceptance of its digest (one store step), or else its AoR is read meanwhile
    if (credentials.length > 0) {
      facts = registerFacts(p, deps);
      const combined = deps.acceptAndSave;
      if (combined !== undefined) {
        prepared = prepareRegister(facts, deps.register);
        const update = prepared.kind === 'update' ? prepared : undefined;
        if (update !== undefined) {
          acceptor = {
            accept: async (banUser, ip, nonce, nc, expiresAtMs) => {
              const snapshot = combined.presume(update.aor);
              presumed = { snapshot, decision: update.decide(snapshot) };
              saved = await combined.run({ banUser, ip, nonce, nc, expiresAtMs }, update.aor, snapshot.version, presumed.decision.next);
              return saved.acceptance;
            },
          };
        }
      } else {
        readAhead = readAorAhead(deps.store, facts, deps.register);
      }
    }
    let auth;
    try {
      auth = await deps.authenticator.authenticate(
        {
          method: p.method,
          requestUri: p.ruri,
          credentialsHeaderValues: credentials,
          realm,
          ...(p.to.user !== undefined ? { checkUser: p.to.user } : {}),
          sourceIp: p.source.ip,
        },
        acceptor !== undefined ? { acceptor } : {},
      );
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
  prepared ??= prepareRegister(facts, deps.register);
  let outcome: RegisterOutcome;
  let presumedRight: boolean | undefined;
  if (prepared.kind === 'update' && saved?.acceptance === Acceptance.ok && presumed !== undefined) {
    presumedRight = saved.saved;
    // decided and written (or found unchanged) with the acceptance; else decided again from the AoR as it is
    const { decision, snapshot } = presumed;
    outcome = saved.saved
      ? prepared.answer({ ok: true, result: decision.result, snapshot: { aor: prepared.aor, version: saved.version, bindings: decision.next ?? snapshot.bindings }, attempts: 1 })
      : await runRegister(deps.store, prepared, { readFirst: Promise.resolve(saved.snapshot) });
  } else {
    outcome = await runRegister(deps.store, prepared, readAhead ? { readFirst: readAhead } : undefined);
  }
  return {
    kind: 'register',
    facts,
    outcome,
    ...(user ? { user } : {}),
    ...(presumedRight !== undefined ? { presumed: presumedRight ? 'right' : 'wrong' } : {}),
    reply: { code: outcome.code, reason: outcome.reason, headers: [...outcome.headers] },
  };
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
