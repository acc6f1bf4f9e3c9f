/**
 * The `dialplan` step: translates the R-URI user (Kamailio `dp_replace(dpid, $rU, "$rU")`), or the
 * From or To user into a variable only (the To header itself is the edge's: the book's `$tU`
 * rewrite is not done). A translation puts the rule's attrs in `dialplan.attrs` (Kamailio's
 * attrs_pvar) and the output in `dialplan.output`; a rule with an empty repl_exp matches without
 * changing anything, as in Kamailio. No rule, a subst_exp that fails or an unknown dpid: on_no_match.
 */
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { CONTINUE, setRuriUser, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepKind } from '../steps/step-kind.js';
import { Dialplan } from './dialplan.js';
import { noMatchResult, noMatchSchema, type NoMatchSpec } from './no-match.js';

export const DIALPLAN_INPUTS = ['ruri_user', 'from_user', 'to_user'] as const;
export type DialplanInput = (typeof DIALPLAN_INPUTS)[number];

export interface DialplanStepSpec {
  dpid: number;
  source: RowSourceSpec;
  input?: DialplanInput;
  on_no_match?: NoMatchSpec;
}

export class DialplanStep implements PolicyStep {
  readonly kind = 'dialplan';

  constructor(
    private readonly dialplan: Dialplan,
    private readonly dpid: number,
    private readonly input: DialplanInput,
    private readonly noMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const input = this.input === 'ruri_user' ? ctx.ruriUser : this.input === 'from_user' ? ctx.params.from.user : ctx.params.to.user;
    const t = this.dialplan.translate(this.dpid, input ?? '', { ruri: ctx.ruri });
    if (!t.ok) return this.noMatch;
    ctx.vars.set('dialplan.attrs', t.attrs);
    if (t.output === '') return CONTINUE;
    ctx.vars.set('dialplan.output', t.output);
    if (this.input === 'ruri_user') setRuriUser(ctx, t.output);
    return CONTINUE;
  }
}

export const dialplanKind: StepKind = {
  key: 'dialplan',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "Translate a number with Kamailio's dialplan rules (table dialplan): the R-URI user is rewritten, From/To users go to dialplan.output",
    required: ['dpid', 'source'],
    properties: {
      dpid: { type: 'integer', description: 'Rule set (dialplan.dpid) to translate with' },
      source: { ...rowSourceSchema, description: 'dialplan rows (usually {table: dialplan})' },
      input: { enum: DIALPLAN_INPUTS, default: 'ruri_user', description: 'What to translate: the R-URI user (rewritten), or the From/To user (into dialplan.output only)' },
      on_no_match: noMatchSchema,
    },
  },
  async build(raw, ctx) {
    const spec = raw as DialplanStepSpec;
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const loaded = await runSliced(Dialplan.buildRows(rows.rows, rows.origin));
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${ctx.where}: ${e}`) };
    ctx.expose('dialplan', String(spec.dpid), loaded.dialplan);
    return { ok: true, step: new DialplanStep(loaded.dialplan, spec.dpid, spec.input ?? 'ruri_user', noMatchResult(spec.on_no_match)) };
  },
};
