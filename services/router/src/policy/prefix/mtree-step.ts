/**
 * The `mtree` step: the R-URI user matched in a tree of number prefixes (Kamailio's
 * `mt_match(tree, $rU, 0)`), its value kept as `mtree.<tree>` for the steps after it, and
 * optionally used right away: as the next hop (the book's `forward_uri(tvalue)`, R-URI unchanged)
 * or as a dispatcher set id (§9.2.5's `$var(mtval){s.int}` handed to ds_select_dst).
 *
 * With `use_as: dispatcher` every value of the tree must name a dispatcher set, checked at load:
 * one dispatcher step is built per distinct value, so a request does one tree walk and one
 * selection.
 */
import { CONTRACT_VERSION } from '@sipmesh/contracts';
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { answer, CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { dispatcherKind } from '../steps/builtin-kinds.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { ruleSchema, type DispatcherActionSpec } from '../static/routes-file.js';
import { MT_DEFAULT_CHAR_LIST, MTree } from './mtree.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';

export const MTREE_USES = ['var', 'dst_uri', 'dispatcher'] as const;
export type MtreeUse = (typeof MTREE_USES)[number];

export interface MtreeStepSpec {
  tree: string;
  source: RowSourceSpec;
  char_list?: string;
  use_as?: MtreeUse;
  dispatcher?: Omit<DispatcherActionSpec, 'set'>;
  on_no_match?: OutcomeSpec;
}

const NOT_FOUND: ReplySpec = { code: 404, reason: 'Not Found' };

// The dispatcher settings of a rule, without the set: the tree's value is the set.
const { set: _set, ...selectionProperties } = ruleSchema.properties.dispatcher.properties;

export const mtreeStepSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Longest-prefix match of the R-URI user in a Kamailio mtree; the value goes into vars as mtree.<tree>',
  required: ['tree', 'source'],
  properties: {
    tree: { type: 'string', minLength: 1, description: 'Tree name; rows with a tname column (table mtrees) belong to it when tname equals it' },
    source: { ...rowSourceSchema, description: 'mtree rows (tprefix, tvalue) or mtrees rows (tname, tprefix, tvalue)' },
    char_list: { type: 'string', minLength: 1, default: MT_DEFAULT_CHAR_LIST, description: 'Characters of the tree; a user with another one in the walked part does not match (Kamailio char_list)' },
    use_as: { enum: MTREE_USES, default: 'var', description: 'var: only set the variable and go on; dst_uri: route to the value (a SIP URI); dispatcher: select from the dispatcher set the value names' },
    dispatcher: { type: 'object', additionalProperties: false, properties: selectionProperties, description: 'Selection settings with use_as dispatcher (as a dispatcher step, without set)' },
    on_no_match: outcomeSchema('No prefix matched', 'continue', NOT_FOUND),
  },
} as const;

export class MtreeStep implements PolicyStep {
  readonly kind = 'mtree';
  private readonly varName: string;

  /** `use` decides what a matched value does; undefined only sets the variable. */
  constructor(
    private readonly tree: MTree,
    private readonly noMatch: StepResult,
    private readonly use: ((value: string, ctx: RouteContext) => StepResult | Promise<StepResult>) | undefined,
  ) {
    this.varName = `mtree.${tree.name}`;
  }

  run(ctx: RouteContext): StepResult | Promise<StepResult> {
    const value = this.tree.match(ctx.ruriUser)?.values[0];
    if (value === undefined) return this.noMatch;
    ctx.vars.set(this.varName, value);
    return this.use ? this.use(value, ctx) : CONTINUE;
  }
}

export const mtreeKind: StepKind = {
  key: 'mtree',
  schema: mtreeStepSchema,
  build: (spec, ctx) => buildMtreeStep(spec as MtreeStepSpec, ctx),
};

async function buildMtreeStep(spec: MtreeStepSpec, ctx: StepBuildContext): Promise<StepBuild> {
  const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
  if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
  const built = await runSliced(MTree.buildRows(rows.rows, { name: spec.tree, charList: spec.char_list ?? MT_DEFAULT_CHAR_LIST }, rows.origin));
  if (!built.ok) return { ok: false, errors: built.errors.map((e) => `${ctx.where}: ${e}`) };
  const tree = built.tree;
  ctx.expose('mtree', spec.tree, tree);
  const noMatch = outcomeResult(spec.on_no_match, 'continue', NOT_FOUND);
  const use = spec.use_as ?? 'var';
  if (use === 'var') return { ok: true, step: new MtreeStep(tree, noMatch, undefined) };
  if (use === 'dst_uri') {
    const bad = [...tree.entries()].filter(([, v]) => !/^sips?:/i.test(v));
    if (bad.length > 0) return { ok: false, errors: [`${ctx.where}: use_as dst_uri needs SIP URIs as values; ${someOf(bad)}`] };
    return { ok: true, step: new MtreeStep(tree, noMatch, (value) => answer({ version: CONTRACT_VERSION, routing: 'serial', routes: [{ dst_uri: value }] })) };
  }
  const bad = [...tree.entries()].filter(([, v]) => !/^\s*\d+\s*$/.test(v));
  if (bad.length > 0) return { ok: false, errors: [`${ctx.where}: use_as dispatcher needs dispatcher set ids as values; ${someOf(bad)}`] };
  const bySet = new Map<string, PolicyStep>();
  const errors: string[] = [];
  for (const value of new Set([...tree.entries()].map(([, v]) => v))) {
    const step = await dispatcherKind.build({ ...spec.dispatcher, set: Number(value) }, ctx);
    if (step.ok) bySet.set(value, step.step);
    else errors.push(...step.errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  // Every value of the tree has a step: the loop above built one for each.
  return { ok: true, step: new MtreeStep(tree, noMatch, (value, c) => (bySet.get(value) as PolicyStep).run(c)) };
}

function someOf(entries: readonly [string, string][]): string {
  const shown = entries.slice(0, 3).map(([p, v]) => `${p} -> "${v}"`);
  return `${shown.join(', ')}${entries.length > 3 ? ` and ${entries.length - 3} more` : ''}`;
}
