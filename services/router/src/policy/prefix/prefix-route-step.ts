/**
 * The `prefix_route` step: the longest prefix of the R-URI user (digits only) names a route, and
 * the step's `routes` setting says what each name does: a route set, a reply or a dispatcher
 * selection, written as a rule of a `rules` step without `match`. Kamailio runs a script route
 * block of that name instead; here the name is also kept as the variable `prefix_route`. No
 * matching prefix: the next step decides (Kamailio's function returns -1 and the script goes on).
 */
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { rulesKind } from '../steps/builtin-kinds.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { ruleSchema, type RuleSpec } from '../static/routes-file.js';
import { PrefixRouteTable } from './prefix-route.js';

export type PrefixRouteAction = Omit<RuleSpec, 'name' | 'match'>;

export interface PrefixRouteStepSpec {
  source: RowSourceSpec;
  routes: Record<string, PrefixRouteAction>;
}

const p = ruleSchema.properties;
/** A rule's action: routes, reply or dispatcher, with routing, on_failure and record_route. */
const routeActionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { routing: p.routing, routes: p.routes, reply: p.reply, dispatcher: p.dispatcher, on_failure: p.on_failure, record_route: p.record_route },
  oneOf: ruleSchema.oneOf,
} as const;

export const prefixRouteStepSchema = {
  type: 'object',
  additionalProperties: false,
  description: "Kamailio's prefix_route: the longest prefix of the R-URI user names a route; the name is kept as the variable prefix_route",
  required: ['source', 'routes'],
  properties: {
    source: { ...rowSourceSchema, description: 'prefix_route rows (prefix, route); usually {table: prefix_route}' },
    routes: {
      type: 'object',
      minProperties: 1,
      additionalProperties: routeActionSchema,
      description: 'What each route name of the table does; a name the table uses but this map lacks refuses the load',
    },
  },
} as const;

export class PrefixRouteStep implements PolicyStep {
  readonly kind = 'prefix_route';

  constructor(
    private readonly table: PrefixRouteTable,
    private readonly routes: ReadonlyMap<string, PolicyStep>,
  ) {}

  run(ctx: RouteContext): StepResult | Promise<StepResult> {
    const m = this.table.match(ctx.ruriUser);
    if (!m) return CONTINUE;
    ctx.vars.set('prefix_route', m.route);
    // The table only holds names of `routes`: PrefixRouteTable.fromRows refused any other.
    return (this.routes.get(m.route) as PolicyStep).run(ctx);
  }
}

export const prefixRouteKind: StepKind = {
  key: 'prefix_route',
  schema: prefixRouteStepSchema,
  build: (spec, ctx) => buildPrefixRouteStep(spec as PrefixRouteStepSpec, ctx),
};

async function buildPrefixRouteStep(spec: PrefixRouteStepSpec, ctx: StepBuildContext): Promise<StepBuild> {
  const errors: string[] = [];
  const routes = new Map<string, PolicyStep>();
  for (const [name, action] of Object.entries(spec.routes)) {
    // A rule without `match` always matches: the step answers with the action.
    const built = await rulesKind.build([{ ...action, name: `route ${name}` }], ctx);
    if (built.ok) routes.set(name, built.step);
    else errors.push(...built.errors);
  }
  const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
  if (!rows.ok) errors.push(`${ctx.where}: ${rows.error}`);
  if (errors.length > 0 || !rows.ok) return { ok: false, errors };
  const table = await runSliced(PrefixRouteTable.buildRows(rows.rows, new Set(routes.keys()), rows.origin));
  if (!table.ok) return { ok: false, errors: table.errors.map((e) => `${ctx.where}: ${e}`) };
  ctx.expose('prefix_route', ctx.where, table.table);
  return { ok: true, step: new PrefixRouteStep(table.table, routes) };
}
