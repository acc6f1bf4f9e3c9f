/**
 * The `carrierroute` step: Kamailio's `cr_route(carrier, domain, prefix_matching, rewrite_user,
 * hash_source)` (book §8.8, TC-98) as one serial route to the chosen host, its Request-URI
 * `sip:<rewrite_prefix><user minus strip><rewrite_suffix>@<rewrite_host>` (Kamailio replaces the
 * whole R-URI: the old host, port and parameters go). With carrierfailureroute rows the answer
 * also carries the re-ask plan of failure-plan.ts, and a re-ask routes in the next domain. Without
 * them a re-ask (another step's plan) routes in the same domain, the hosts tried avoided.
 *
 * Kamailio's cr_route returns -1 for a blocklisted number (empty rewrite_host) and for no route
 * alike; here the two are told apart: by default a blocklisted number is refused `403 Blocked` and
 * no route goes on with the next step. On a re-ask, when nothing is left to try, the answer is the
 * failure itself (what Kamailio's failure_route does by ending without relaying).
 *
 * With `rewrite_only` the step only rewrites the R-URI and keeps `carrierroute.host` (the
 * rewrite_host), `carrierroute.domain` (the domain routed in) and `carrierroute.description` (the
 * rule's description: cr_route's descavp) for the steps after it, one of which answers.
 */
import { CONTRACT_VERSION, type RouteAnswer } from '@sipmesh/contracts';
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import type { RandomSource } from '../dispatcher/random-source.js';
import { answer, CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';
import { CarrierRouteTables, CR_MATCH_MODES, type CrCarrier, type CrMatchMode } from './carrier-tables.js';
import { crRoute } from './cr-route.js';
import { codePatterns, failoverCodes, hostOfUri, replayFailures } from './failure-plan.js';
import { CR_HASH_SOURCES, hashKeyOf, type CrHashSource } from './hash-source.js';

/** Where cr_route's prefix_matching and rewrite_user come from: `$rU`, `$tU` or `$fU`. */
export const CR_USER_SOURCES = ['ruri_user', 'to_user', 'from_user'] as const;
export type CrUserSource = (typeof CR_USER_SOURCES)[number];

export interface CarrierrouteStepSpec {
  routes: RowSourceSpec;
  carriers: RowSourceSpec;
  domains: RowSourceSpec;
  failure_routes?: RowSourceSpec;
  carrier: string | number;
  domain: string | number;
  prefix_matching?: CrUserSource;
  rewrite_user?: CrUserSource;
  hash_source?: CrHashSource;
  match_mode?: CrMatchMode;
  flags?: number;
  flags_var?: string;
  avoid_failed_destinations?: boolean;
  rewrite_only?: boolean;
  on_blocked?: OutcomeSpec;
  on_no_route?: OutcomeSpec;
}

const BLOCKED: ReplySpec = { code: 403, reason: 'Blocked' };
const NO_ROUTE: ReplySpec = { code: 404, reason: 'No route' };
const nameOrId = { oneOf: [{ type: 'string', minLength: 1 }, { type: 'integer', minimum: 0 }] } as const;

export const carrierrouteStepSchema = {
  type: 'object',
  additionalProperties: false,
  description: "Kamailio's carrierroute: the longest scan_prefix of the number in a carrier's routing domain, a rule by probability over a hash, the R-URI rewritten to its host",
  required: ['routes', 'carriers', 'domains', 'carrier', 'domain'],
  properties: {
    routes: { ...rowSourceSchema, description: 'carrierroute rows (usually {table: carrierroute})' },
    carriers: { ...rowSourceSchema, description: 'carrier_name rows (id, carrier)' },
    domains: { ...rowSourceSchema, description: 'domain_name rows (id, domain)' },
    failure_routes: { ...rowSourceSchema, description: 'carrierfailureroute rows: with them a failure can re-ask and be routed in the next domain (cr_next_domain)' },
    carrier: { ...nameOrId, description: 'The carrier (routing tree): a carrier_name name or id' },
    domain: { ...nameOrId, description: 'The routing domain to start in: a domain_name name or id' },
    prefix_matching: { enum: CR_USER_SOURCES, default: 'ruri_user', description: 'The number matched against scan_prefix ($rU, $tU or $fU)' },
    rewrite_user: { enum: CR_USER_SOURCES, default: 'ruri_user', description: 'The user the new R-URI is made of' },
    hash_source: { enum: CR_HASH_SOURCES, default: 'call_id', description: 'What the probability dice hashes (rand: a new throw per call)' },
    match_mode: { enum: CR_MATCH_MODES, default: 'digits', description: 'digits: prefixes of digits, leading non-digits of the number skipped (Kamailio match_mode 10); ascii: any ASCII character (128)' },
    flags: { type: 'integer', minimum: 0, maximum: 0xffffffff, default: 0, description: "Message flags matched against the rules' flags/mask (Kamailio setflag(n) is bit 2^n)" },
    flags_var: { type: 'string', minLength: 1, description: 'A variable of an earlier step holding more message flags (a decimal number), added to flags' },
    avoid_failed_destinations: { type: 'boolean', default: true, description: 'On a re-ask, never pick a host already tried (Kamailio avoid_failed_destinations)' },
    rewrite_only: { type: 'boolean', default: false, description: 'Only rewrite the R-URI and set the variables, then go on: a later step answers with the new R-URI (and decides on_failure), as a Kamailio script relays after cr_route' },
    on_blocked: outcomeSchema('The rule picked has an empty rewrite_host (blocklisted)', 'reply', BLOCKED),
    on_no_route: outcomeSchema('No rule for the number, its flags or its domain', 'continue', NO_ROUTE),
  },
} as const;

interface StepSettings {
  readonly prefixMatching: CrUserSource;
  readonly rewriteUser: CrUserSource;
  readonly hashSource: CrHashSource;
  readonly flags: number;
  readonly flagsVar: string | undefined;
  readonly avoidFailed: boolean;
  readonly failureRouting: boolean;
  readonly rewriteOnly: boolean;
  readonly blocked: StepResult;
  readonly noRoute: StepResult;
}

export class CarrierrouteStep implements PolicyStep {
  readonly kind = 'carrierroute';

  constructor(
    private readonly tables: CarrierRouteTables,
    private readonly carrier: CrCarrier,
    private readonly domainId: number,
    private readonly settings: StepSettings,
    private readonly random: RandomSource,
  ) {}

  run(ctx: RouteContext): StepResult {
    const s = this.settings;
    const flags = this.flagsOf(ctx);
    const prefixUser = userOf(ctx, s.prefixMatching);
    const failure = ctx.params.failure;
    let domain = this.domainId;
    let tried: readonly string[] = [];
    if (failure && s.failureRouting) {
      const replay = replayFailures(this.carrier, this.domainId, prefixUser, flags, failure.branches);
      if (replay.kind === 'not-ours') return CONTINUE;
      if (replay.kind === 'end') return relayFailure(failure);
      domain = replay.domain;
      if (s.avoidFailed) tried = replay.tried;
    } else if (failure && s.avoidFailed) {
      // Another step asked for the re-ask: cr_route in a failure route, same domain, hosts tried avoided.
      tried = failure.branches.map((b) => hostOfUri(b.uri));
    }
    const request = {
      prefixUser,
      rewriteUser: userOf(ctx, s.rewriteUser),
      scheme: /^sips:/i.test(ctx.ruri) ? ('sips' as const) : ('sip' as const),
      hashKey: hashKeyOf(s.hashSource, ctx.params),
      flags,
      tried,
    };
    const r = crRoute(this.carrier, domain, request, this.random);
    if (r.kind !== 'routed') return failure ? relayFailure(failure) : r.kind === 'blocked' ? s.blocked : s.noRoute;
    ctx.ruri = r.uri;
    ctx.ruriUser = r.user;
    ctx.ruriHost = hostOnly(r.rule.host);
    ctx.vars.set('carrierroute.host', r.rule.host);
    ctx.vars.set('carrierroute.domain', this.tables.domainName(domain) ?? String(domain));
    if (r.rule.description !== '') ctx.vars.set('carrierroute.description', r.rule.description);
    if (s.rewriteOnly) return CONTINUE;
    const a: RouteAnswer = { version: CONTRACT_VERSION, routing: 'serial', routes: [{ uri: r.uri }] };
    const codes = s.failureRouting ? failoverCodes(this.carrier, domain, prefixUser, r.rule.host, flags) : [];
    if (codes.length > 0) a.on_failure = { action: 'ask', codes: codePatterns(codes) };
    return answer(a);
  }

  private flagsOf(ctx: RouteContext): number {
    const { flags, flagsVar } = this.settings;
    if (flagsVar === undefined) return flags;
    const v = ctx.vars.get(flagsVar);
    return v !== undefined && /^\d+$/.test(v) ? (flags | Number(v)) >>> 0 : flags;
  }
}

/** The `carrierroute` kind; tests pass a seeded random source (hash_source rand, failover picks). */
export function createCarrierrouteKind(options: { readonly random?: RandomSource } = {}): StepKind {
  const random = options.random ?? Math.random;
  return {
    key: 'carrierroute',
    schema: carrierrouteStepSchema,
    build: (spec, ctx) => buildCarrierrouteStep(spec as CarrierrouteStepSpec, ctx, random),
  };
}

export const carrierrouteKind: StepKind = createCarrierrouteKind();

async function buildCarrierrouteStep(spec: CarrierrouteStepSpec, ctx: StepBuildContext, random: RandomSource): Promise<StepBuild> {
  const [routes, carriers, domains, failures] = await Promise.all([
    loadRows(spec.routes, ctx.baseDir, ctx.db),
    loadRows(spec.carriers, ctx.baseDir, ctx.db),
    loadRows(spec.domains, ctx.baseDir, ctx.db),
    spec.failure_routes ? loadRows(spec.failure_routes, ctx.baseDir, ctx.db) : undefined,
  ]);
  const named = [['routes', routes], ['carriers', carriers], ['domains', domains], ['failure_routes', failures]] as const;
  if (!routes.ok || !carriers.ok || !domains.ok || (failures && !failures.ok)) {
    return { ok: false, errors: named.flatMap(([name, r]) => (r && !r.ok ? [`${ctx.where}: ${name} ${r.error}`] : [])) };
  }
  const built = await runSliced(
    CarrierRouteTables.buildRows(
      { routes: routes.rows, carriers: carriers.rows, domains: domains.rows, ...(failures ? { failureRoutes: failures.rows } : {}) },
      {
        matchMode: spec.match_mode ?? 'digits',
        origins: { routes: `routes (${routes.origin})`, carriers: `carriers (${carriers.origin})`, domains: `domains (${domains.origin})`, ...(failures ? { failureRoutes: `failure_routes (${failures.origin})` } : {}) },
      },
    ),
  );
  if (!built.ok) return { ok: false, errors: built.errors.map((e) => `${ctx.where}: ${e}`) };
  const tables = built.tables;
  const carrier = tables.carrier(spec.carrier);
  if (!carrier) return { ok: false, errors: [`${ctx.where}: carrier ${spec.carrier} is not in carrier_name`] };
  const domainId = tables.domainId(spec.domain);
  if (domainId === undefined) return { ok: false, errors: [`${ctx.where}: domain ${spec.domain} is not in domain_name`] };
  ctx.expose('carrierroute', carrier.name, tables);
  const settings: StepSettings = {
    prefixMatching: spec.prefix_matching ?? 'ruri_user',
    rewriteUser: spec.rewrite_user ?? 'ruri_user',
    hashSource: spec.hash_source ?? 'call_id',
    flags: (spec.flags ?? 0) >>> 0,
    flagsVar: spec.flags_var,
    avoidFailed: spec.avoid_failed_destinations ?? true,
    failureRouting: spec.failure_routes !== undefined,
    rewriteOnly: spec.rewrite_only ?? false,
    blocked: outcomeResult(spec.on_blocked, 'reply', BLOCKED),
    noRoute: outcomeResult(spec.on_no_route, 'continue', NO_ROUTE),
  };
  return { ok: true, step: new CarrierrouteStep(tables, carrier, domainId, settings, random) };
}

function userOf(ctx: RouteContext, source: CrUserSource): string {
  if (source === 'ruri_user') return ctx.ruriUser;
  return (source === 'to_user' ? ctx.params.to.user : ctx.params.from.user) ?? '';
}

/** The failure the edge reported, as the answer: it is what the caller gets when nothing else is tried. */
function relayFailure(failure: { status: number; reason: string }): StepResult {
  return answer({ version: CONTRACT_VERSION, reply: { code: failure.status, reason: failure.reason } });
}

/** The host of a rewrite_host (`host[:port][;params]`, an IPv6 reference in brackets). */
function hostOnly(hostPort: string): string {
  const end = hostPort.search(/[;?]/);
  const hp = end === -1 ? hostPort : hostPort.slice(0, end);
  if (hp.startsWith('[')) return hp.slice(0, hp.indexOf(']') + 1);
  return hp.split(':')[0] ?? hp;
}
