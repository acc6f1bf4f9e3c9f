/**
 * The `drouting` step: the gateways of the dr_rules rule matching the caller's group, the R-URI
 * user and the time, as one serial route set the edge fails over through (Kamailio's
 * `do_routing()` or `do_routing(group)` with `use_next_gw()` in the failure route, book §8.5).
 * Each route carries the gateway's own Request-URI; its host is the gateway's address, so no
 * dst_uri is needed. The loaded DrTable, with the rows the load skipped, is exposed for admin
 * commands as kind `drouting`, key `<policy> step <n> (drouting)`.
 */
import { CONTRACT_VERSION, type Route } from '@sipmesh/contracts';
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import type { RandomSource } from '../dispatcher/random-source.js';
import { answer, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { DrTable } from './drouting.js';
import { DR_SORT_ORDERS, type DrSortOrder } from './gwlist.js';
import { WallClock } from './wall-clock.js';

export interface DroutingStepSpec {
  gateways: RowSourceSpec;
  rules: RowSourceSpec;
  gw_lists?: RowSourceSpec;
  groups?: RowSourceSpec;
  group?: number;
  use_domain?: boolean;
  sort_order?: DrSortOrder;
  time_zone?: string;
  on_no_route?: OutcomeSpec;
}

/** The book's script answers a failed do_routing with 404. */
const NOT_FOUND: ReplySpec = { code: 404, reason: 'Not Found' };

export const droutingStepSchema = {
  type: 'object',
  additionalProperties: false,
  description: "Dynamic routing over Kamailio's drouting tables: the gateways of the highest-priority rule for the caller's group, the longest prefix of the R-URI user and the current time, as a serial route set",
  required: ['gateways', 'rules'],
  anyOf: [{ required: ['group'] }, { required: ['groups'] }],
  properties: {
    gateways: { ...rowSourceSchema, description: 'dr_gateways rows (usually {table: dr_gateways})' },
    rules: { ...rowSourceSchema, description: 'dr_rules rows (usually {table: dr_rules})' },
    gw_lists: { ...rowSourceSchema, description: 'dr_gw_lists rows, named by gwlist values #<id> (usually {table: dr_gw_lists})' },
    groups: { ...rowSourceSchema, description: "dr_groups rows: the caller's routing group by From user and domain (Kamailio's do_routing())" },
    group: { type: 'integer', minimum: 0, description: "The routing group (Kamailio's do_routing(group)); with groups, the group of callers that have no dr_groups row" },
    use_domain: { type: 'boolean', default: true, description: 'Match dr_groups rows by the From domain as well as the user (Kamailio use_domain)' },
    sort_order: {
      enum: DR_SORT_ORDERS,
      default: 'in_order',
      description: 'in_order: every gateway as listed (Kamailio sort_order 0); first_two_random: in each ;-group the first two drawn at random (1); one_per_group: one random gateway per group, none twice (2)',
    },
    time_zone: { type: 'string', minLength: 1, description: 'IANA time zone timerecs are read in (default: the router process\'s local zone, as Kamailio uses server local time)' },
    on_no_route: outcomeSchema('No group, rule or usable gateway', 'continue', NOT_FOUND),
  },
} as const;

export interface DroutingKindOptions {
  /** Draws for sort orders other than in_order; default Math.random. */
  readonly random?: RandomSource;
  /** Current time in milliseconds since 1970 UTC, compared with timerecs; default the system clock. */
  readonly nowMs?: () => number;
}

export class DroutingStep implements PolicyStep {
  readonly kind = 'drouting';

  constructor(
    readonly table: DrTable,
    private readonly noRoute: StepResult,
    private readonly random: RandomSource,
    private readonly wallNow: () => number,
  ) {}

  run(ctx: RouteContext): StepResult {
    const from = ctx.params.from;
    const found = this.table.lookup(
      { user: ctx.ruriUser, requestUri: ctx.ruri, callerUser: from.user ?? '', callerHost: from.host },
      { random: this.random, wallNow: this.wallNow },
    );
    if (!found.ok) return this.noRoute;
    const routes = found.routes.map((r): Route => ({ uri: r.uri }));
    return answer({ version: CONTRACT_VERSION, routing: 'serial', routes });
  }
}

/** The `drouting` kind; tests pass a seeded random source and a fixed clock. */
export function createDroutingKind(options: DroutingKindOptions = {}): StepKind {
  const random = options.random ?? Math.random;
  const nowMs = options.nowMs ?? Date.now;
  return {
    key: 'drouting',
    schema: droutingStepSchema,
    // compileRoutes has validated spec against droutingStepSchema
    build: (spec, ctx) => buildDroutingStep(spec as DroutingStepSpec, ctx, random, nowMs),
  };
}

export const droutingKind: StepKind = createDroutingKind();

async function buildDroutingStep(spec: DroutingStepSpec, ctx: StepBuildContext, random: RandomSource, nowMs: () => number): Promise<StepBuild> {
  const clock = WallClock.create(spec.time_zone ?? WallClock.localTimeZone());
  if (!clock.ok) return { ok: false, errors: [`${ctx.where}: ${clock.error}`] };
  const none = Promise.resolve(undefined);
  const [gateways, rules, gwLists, groups] = await Promise.all([
    loadRows(spec.gateways, ctx.baseDir, ctx.db),
    loadRows(spec.rules, ctx.baseDir, ctx.db),
    spec.gw_lists ? loadRows(spec.gw_lists, ctx.baseDir, ctx.db) : none,
    spec.groups ? loadRows(spec.groups, ctx.baseDir, ctx.db) : none,
  ]);
  const failed = [gateways, rules, gwLists, groups].flatMap((r) => (r && !r.ok ? [`${ctx.where}: ${r.error}`] : []));
  if (!gateways.ok || !rules.ok || (gwLists && !gwLists.ok) || (groups && !groups.ok)) return { ok: false, errors: failed };
  const built = await runSliced(
    DrTable.buildRows(
      { gateways: gateways.rows, rules: rules.rows, gwLists: gwLists?.rows ?? [], groups: groups?.rows ?? [] },
      {
        sortOrder: spec.sort_order ?? 'in_order',
        useDomain: spec.use_domain ?? true,
        ...(spec.group === undefined ? {} : { defaultGroup: spec.group }),
        origins: {
          gateways: `gateways (${gateways.origin})`,
          rules: `rules (${rules.origin})`,
          gwLists: `gw_lists (${gwLists?.origin ?? 'none'})`,
          groups: `groups (${groups?.origin ?? 'none'})`,
        },
      },
    ),
  );
  if (!built.ok) return { ok: false, errors: built.errors.map((e) => `${ctx.where}: ${e}`) };
  // Skipped rows do not refuse the load (Kamailio logs them and routes with the rest); the admin
  // view lists them with the table.
  ctx.expose('drouting', ctx.where, built.table);
  const noRoute = outcomeResult(spec.on_no_route, 'continue', NOT_FOUND);
  const wallClock = clock.clock;
  return { ok: true, step: new DroutingStep(built.table, noRoute, random, () => wallClock.wallSeconds(nowMs())) };
}
