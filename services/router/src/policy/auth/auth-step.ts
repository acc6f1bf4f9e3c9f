/**
 * `auth`: digest authentication of local callers (the book's route[AUTH], Kamailio
 * `auth_check("$fd", "subscriber", "1")` + `auth_challenge` + `consume_credentials`). The registrar
 * checks the request's Proxy-Authorization; this step goes on when it is good (the user in
 * `auth.user`, the credentials removed before relaying), or answers with the registrar's reply:
 * `407` with a fresh challenge, `403 Try later` while the user or source is banned.
 *
 *   - auth:
 *       when: local_caller        # from_uri==myself (default) | always
 *       check_user: true          # the authenticated user must be the From user (flag 1)
 *       skip_groups: [1]          # sources an earlier permissions step put in these groups are trusted (WITH_IPAUTH)
 *       on_unavailable: reply     # registrar down: reply 503 (default) | continue (unauthenticated)
 *
 * A repeated route request of the same transaction (the edge asking again after a failed branch)
 * was authenticated the first time and is not checked again: its nonce count would look replayed.
 */
import { CONTRACT_VERSION, type AuthCheckParams, type AuthCheckResult } from '@sipmesh/contracts';
import { answer, CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepKind } from '../steps/step-kind.js';

export interface Authenticator {
  auth(params: Omit<AuthCheckParams, 'version'>): Promise<AuthCheckResult>;
}

export const AuthWhen = { localCaller: 'local_caller', always: 'always' } as const;
export type AuthWhen = (typeof AuthWhen)[keyof typeof AuthWhen];

export interface AuthStepOptions {
  readonly when: AuthWhen;
  readonly checkUser: boolean;
  readonly skipGroups: readonly string[];
  readonly onUnavailable: 'reply' | 'continue';
}

const UNAVAILABLE = answer({ version: CONTRACT_VERSION, reply: { code: 503, reason: 'Authentication service unavailable' } });

export class AuthStep implements PolicyStep {
  readonly kind = 'auth';

  constructor(
    private readonly registrar: Authenticator | undefined,
    private readonly options: AuthStepOptions,
  ) {}

  run(ctx: RouteContext): StepResult | Promise<StepResult> {
    const p = ctx.params;
    if (p.method === 'REGISTER' || p.method === 'ACK' || p.method === 'CANCEL') return CONTINUE;
    if (p.attempt > 1) return CONTINUE;
    if (this.options.when === AuthWhen.localCaller && !p.ours.from) return CONTINUE;
    const group = ctx.vars.get('permissions.group');
    if (group !== undefined && this.options.skipGroups.includes(group)) return CONTINUE;
    if (!this.registrar) return this.options.onUnavailable === 'continue' ? CONTINUE : UNAVAILABLE;
    const credentials = p.headers['proxy-authorization'] ?? [];
    const params: Omit<AuthCheckParams, 'version'> = { method: p.method, ruri: p.ruri, realm: p.from.host, credentials, source_ip: p.source.ip };
    if (this.options.checkUser && p.from.user !== undefined) params.check_user = p.from.user;
    return this.registrar.auth(params).then(
      (r) => {
        if (r.result !== 'ok') return answer({ version: CONTRACT_VERSION, reply: r.reply ?? { code: 403, reason: 'Forbidden' } });
        if (r.user !== undefined) ctx.vars.set('auth.user', r.user);
        if (r.realm !== undefined) ctx.vars.set('auth.realm', r.realm);
        // consume_credentials: the next hop has no use for them (and must not see them)
        ctx.removeHeaders.push('Proxy-Authorization');
        return CONTINUE;
      },
      () => (this.options.onUnavailable === 'continue' ? CONTINUE : UNAVAILABLE),
    );
  }
}

interface AuthSpec {
  when?: AuthWhen;
  check_user?: boolean;
  skip_groups?: (number | string)[];
  on_unavailable?: 'reply' | 'continue';
}

export const authKind: StepKind = {
  key: 'auth',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: 'Digest authentication of callers by the registrar (Kamailio auth_check/auth_challenge/consume_credentials)',
    properties: {
      when: { enum: ['local_caller', 'always'], default: 'local_caller', description: 'local_caller: only requests whose From domain is ours (from_uri==myself)' },
      check_user: { type: 'boolean', default: true, description: 'The authenticated user must be the From user (auth_check flag 1)' },
      skip_groups: { type: 'array', items: { type: ['integer', 'string'] }, default: [], description: 'Permissions address groups trusted without a password (an earlier permissions step sets the group)' },
      on_unavailable: { enum: ['reply', 'continue'], default: 'reply', description: 'When the registrar cannot answer: reply 503, or go on unauthenticated' },
    },
  },
  build(spec, ctx) {
    const s = (spec ?? {}) as AuthSpec;
    return {
      ok: true,
      step: new AuthStep(ctx.registrar, {
        when: s.when ?? AuthWhen.localCaller,
        checkUser: s.check_user ?? true,
        skipGroups: (s.skip_groups ?? []).map(String),
        onUnavailable: s.on_unavailable ?? 'reply',
      }),
    };
  },
};
