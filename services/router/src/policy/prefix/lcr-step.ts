/**
 * The `lcr` step: the gateways of the lcr tables for the R-URI user, as one serial route set the
 * edge fails over through (Kamailio's `load_gws` followed by `next_gw` in request and failure
 * routes). Each route carries the gateway's own Request-URI and, for a gateway named by hostname
 * that has an address too, the address as `dst_uri`. The caller URI of the rules' from_uri
 * patterns is the From URI (`load_gws_furi(id, $rU, $fu)`).
 */
import { CONTRACT_VERSION, type Route } from '@sipmesh/contracts';
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import type { RandomSource } from '../dispatcher/random-source.js';
import { answer, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { LcrTable } from './lcr.js';
import { MT_DEFAULT_CHAR_LIST, MTree } from './mtree.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';

export interface LcrStepSpec {
  lcr_id?: number;
  gateways: RowSourceSpec;
  rules: RowSourceSpec;
  targets: RowSourceSpec;
  caller_tree?: { source: RowSourceSpec; name?: string; char_list?: string };
  priority_ordering?: boolean;
  on_no_route?: OutcomeSpec;
}

const NO_GATEWAYS: ReplySpec = { code: 503, reason: 'No available gateways' };

export const lcrStepSchema = {
  type: 'object',
  additionalProperties: false,
  description: "Least-cost routing over Kamailio's lcr tables: every gateway of the rules matching the R-URI user, as a serial route set",
  required: ['gateways', 'rules', 'targets'],
  properties: {
    lcr_id: { type: 'integer', minimum: 1, default: 1, description: 'The lcr instance; rows without an lcr_id column belong to it, gateways with lcr_id 0 serve every instance' },
    gateways: { ...rowSourceSchema, description: 'lcr_gw rows (usually {table: lcr_gw})' },
    rules: { ...rowSourceSchema, description: 'lcr_rule rows (usually {table: lcr_rule})' },
    targets: { ...rowSourceSchema, description: 'lcr_rule_target rows (usually {table: lcr_rule_target})' },
    caller_tree: {
      type: 'object',
      additionalProperties: false,
      required: ['source'],
      description: "mtree rows the caller's From user is matched in, for rules with an mt_tvalue (Kamailio's mtree and mt_pv_values params)",
      properties: {
        source: rowSourceSchema,
        name: { type: 'string', default: 'lcr', description: 'Tree name: rows with a tname column belong to the tree when tname equals it' },
        char_list: { type: 'string', minLength: 1, default: MT_DEFAULT_CHAR_LIST },
      },
    },
    priority_ordering: { type: 'boolean', default: false, description: 'Order by priority first, ignoring rule prefix length (Kamailio priority_ordering=1)' },
    on_no_route: outcomeSchema('No usable gateway', 'continue', NO_GATEWAYS),
  },
} as const;

export interface LcrKindOptions {
  /** Default Math.random. */
  readonly random?: RandomSource;
  /** Current UNIX time in seconds, compared with lcr_gw.defunct; default the system clock. */
  readonly nowSec?: () => number;
}

export class LcrStep implements PolicyStep {
  readonly kind = 'lcr';

  constructor(
    private readonly table: LcrTable,
    private readonly noRoute: StepResult,
    private readonly random: RandomSource,
    private readonly nowSec: () => number,
  ) {}

  run(ctx: RouteContext): StepResult {
    const from = ctx.params.from;
    const request = { user: ctx.ruriUser, callerUri: from.uri, requestUri: ctx.ruri, ...(from.user === undefined ? {} : { callerUser: from.user }) };
    const choices = this.table.lookup(request, { random: this.random, nowSec: this.nowSec() });
    if (choices.length === 0) return this.noRoute;
    const routes = choices.map((c): Route => (c.dstUri === undefined ? { uri: c.ruri } : { uri: c.ruri, dst_uri: c.dstUri }));
    return answer({ version: CONTRACT_VERSION, routing: 'serial', routes });
  }
}

/** The `lcr` kind; tests pass a seeded random source and a fixed clock. */
export function createLcrKind(options: LcrKindOptions = {}): StepKind {
  const random = options.random ?? Math.random;
  const nowSec = options.nowSec ?? ((): number => Math.floor(Date.now() / 1000));
  return {
    key: 'lcr',
    schema: lcrStepSchema,
    build: (spec, ctx) => buildLcrStep(spec as LcrStepSpec, ctx, random, nowSec),
  };
}

export const lcrKind: StepKind = createLcrKind();

async function buildLcrStep(spec: LcrStepSpec, ctx: StepBuildContext, random: RandomSource, nowSec: () => number): Promise<StepBuild> {
  const [gateways, rules, targets] = await Promise.all([
    loadRows(spec.gateways, ctx.baseDir, ctx.db),
    loadRows(spec.rules, ctx.baseDir, ctx.db),
    loadRows(spec.targets, ctx.baseDir, ctx.db),
  ]);
  if (!gateways.ok || !rules.ok || !targets.ok) {
    return { ok: false, errors: [gateways, rules, targets].flatMap((r) => (r.ok ? [] : [`${ctx.where}: ${r.error}`])) };
  }
  let callerTree: MTree | undefined;
  if (spec.caller_tree) {
    const source = await loadRows(spec.caller_tree.source, ctx.baseDir, ctx.db);
    if (!source.ok) return { ok: false, errors: [`${ctx.where}: caller_tree ${source.error}`] };
    const tree = await runSliced(MTree.buildRows(source.rows, { name: spec.caller_tree.name ?? 'lcr', charList: spec.caller_tree.char_list ?? MT_DEFAULT_CHAR_LIST }, source.origin));
    if (!tree.ok) return { ok: false, errors: tree.errors.map((e) => `${ctx.where}: caller_tree ${e}`) };
    callerTree = tree.tree;
  }
  const built = await runSliced(
    LcrTable.buildRows(
      { gateways: gateways.rows, rules: rules.rows, targets: targets.rows },
      {
        lcrId: spec.lcr_id ?? 1,
        priorityOrdering: spec.priority_ordering ?? false,
        origins: { gateways: `gateways (${gateways.origin})`, rules: `rules (${rules.origin})`, targets: `targets (${targets.origin})` },
        ...(callerTree ? { callerTree } : {}),
      },
    ),
  );
  if (!built.ok) return { ok: false, errors: built.errors.map((e) => `${ctx.where}: ${e}`) };
  ctx.expose('lcr', String(spec.lcr_id ?? 1), built.table);
  const noRoute = outcomeResult(spec.on_no_route, 'continue', NO_GATEWAYS);
  return { ok: true, step: new LcrStep(built.table, noRoute, random, nowSec) };
}
