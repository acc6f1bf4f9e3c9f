/**
 * `uac_trunk`: calls out through the carrier account a local user registered to (the book's §8.11
 * outbound flow — `ksr_get_next_uri($fU)` finds the caller's `uacreg` row, the call goes to its
 * `auth_proxy`, and `uac_auth()` answers the carrier's 407 with the row's credentials). The
 * answer routes the call to `sip:<R-URI user>@<r_domain>` through `auth_proxy` when set, with the
 * row's credentials on the route: the edge answers the carrier's 401/407 itself.
 *
 *   - uac_trunk:
 *       source: { table: uacreg }   # or { file: uacreg.yaml } / { rows: [...] }
 *       ruri_user: '0*'             # which numbers go out this way (rules pattern); default any
 *       on_no_match: continue       # caller without a row: next step (default) | reply | { reply: {...} }
 *
 * A row matches the caller by `l_username` (and `l_domain` when the row names one); disabled rows
 * (flags bit 1) do not route.
 */
import { CONTRACT_VERSION, type Route } from '@sipmesh/contracts';
import { loadRows, rowSourceSchema, type Row, type RowSourceSpec } from '../../data/table-rows.js';
import { answer, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { compilePattern, type Matcher } from '../static/match-pattern.js';
import type { StepKind } from '../steps/step-kind.js';
import { noMatchResult, noMatchSchema, type NoMatchSpec } from '../translate/no-match.js';

export interface UacTrunkSpec {
  source: RowSourceSpec;
  ruri_user?: string;
  on_no_match?: NoMatchSpec;
}

export interface TrunkAccount {
  readonly localUser: string;
  readonly localDomain: string;
  readonly remoteDomain: string;
  readonly proxy: string;
  readonly auth: NonNullable<Route['auth']>;
}

export class UacTrunkStep implements PolicyStep {
  readonly kind = 'uac_trunk';

  constructor(
    private readonly byUser: ReadonlyMap<string, readonly TrunkAccount[]>,
    private readonly ruriUser: Matcher,
    private readonly noMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const from = ctx.params.from;
    if (!this.ruriUser(ctx.ruriUser)) return this.noMatch;
    const account = (this.byUser.get(from.user ?? '') ?? []).find((a) => a.localDomain === '' || a.localDomain.toLowerCase() === from.host.toLowerCase());
    if (!account) return this.noMatch;
    const route: Route = { uri: `sip:${ctx.ruriUser}@${account.remoteDomain}`, ...(account.proxy ? { dst_uri: account.proxy } : {}), auth: account.auth };
    return answer({ version: CONTRACT_VERSION, routes: [route], record_route: true });
  }
}

/** uacreg rows → accounts by local user; rows that cannot route are errors naming them. */
export function trunkAccounts(rows: readonly Row[], origin: string): { ok: true; byUser: Map<string, TrunkAccount[]> } | { ok: false; errors: string[] } {
  const byUser = new Map<string, TrunkAccount[]>();
  const errors: string[] = [];
  for (const [i, row] of rows.entries()) {
    const text = (k: string): string => (row[k] === undefined || row[k] === null ? '' : String(row[k]));
    const name = `${origin} row ${i + 1}${text('l_uuid') ? ` (${text('l_uuid')})` : ''}`;
    if (Number(row['flags'] ?? 0) & 1) continue;
    const username = text('auth_username') || text('r_username');
    if (!text('l_username') || !text('r_domain') || !username) {
      errors.push(`${name}: l_username, r_domain and auth_username (or r_username) are needed`);
      continue;
    }
    const proxy = text('auth_proxy');
    if (proxy && !/^sips?:/i.test(proxy)) {
      errors.push(`${name}: auth_proxy ${proxy} is not a SIP URI`);
      continue;
    }
    const ha1 = text('auth_ha1');
    if (ha1 && !/^([0-9a-f]{32}|[0-9a-f]{64})$/i.test(ha1)) {
      errors.push(`${name}: auth_ha1 is not an MD5 or SHA-256 hex digest`);
      continue;
    }
    const auth: NonNullable<Route['auth']> = { username, ...(ha1 ? { ha1 } : { password: text('auth_password') }), ...(text('realm') ? { realm: text('realm') } : {}) };
    const account: TrunkAccount = { localUser: text('l_username'), localDomain: text('l_domain'), remoteDomain: text('r_domain'), proxy, auth };
    const list = byUser.get(account.localUser) ?? [];
    list.push(account);
    byUser.set(account.localUser, list);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, byUser };
}

export const uacTrunkKind: StepKind = {
  key: 'uac_trunk',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "Route a local caller's call out through the carrier account of its uacreg row, with the row's credentials for the carrier's challenge (book §8.11)",
    required: ['source'],
    properties: {
      source: { ...rowSourceSchema, description: 'uacreg rows (usually {table: uacreg})' },
      ruri_user: { type: 'string', default: '*', description: 'Request-URI users that go out this way: exact, prefix*, /regex/ or *' },
      on_no_match: noMatchSchema,
    },
  },
  async build(raw, ctx) {
    const spec = raw as UacTrunkSpec;
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const accounts = trunkAccounts(rows.rows, rows.origin);
    if (!accounts.ok) return { ok: false, errors: accounts.errors.map((e) => `${ctx.where}: ${e}`) };
    let matcher: Matcher;
    try {
      matcher = compilePattern(spec.ruri_user ?? '*');
    } catch (e) {
      return { ok: false, errors: [`${ctx.where}: ruri_user ${spec.ruri_user ?? ''}: ${(e as Error).message}`] };
    }
    return { ok: true, step: new UacTrunkStep(accounts.byUser, matcher, noMatchResult(spec.on_no_match)) };
  },
};
