/**
 * The `pdt` step: Kamailio's `pd_translate(sdomain, mode)` and `prefix2domain(mode, sd_mode)` on
 * the R-URI. `sdomain: from_domain` is the book's `pd_translate($fd, 0)`; with `fallback` it is
 * `prefix2domain(mode, 2)` (the From domain, then `*`); `sdomain: "*"` is `prefix2domain(mode)`.
 * The matched prefix goes in `pdt.prefix`. No prefix for the user: on_no_match.
 */
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepKind } from '../steps/step-kind.js';
import { noMatchResult, noMatchSchema, type NoMatchSpec } from './no-match.js';
import { PDT_ANY_SDOMAIN, PDT_DEFAULT_CHAR_LIST, PDT_MODES, PdtTable, type PdtMode } from './pdt.js';
import { setRuriUserHostAll } from './request-uri.js';

/** The From URI's host as source domain (Kamailio `$fd`). */
export const PDT_FROM_DOMAIN = 'from_domain';

export interface PdtStepSpec {
  source: RowSourceSpec;
  /** A mode name, or Kamailio's number for it (0, 1, 2). */
  mode?: PdtMode | 0 | 1 | 2;
  sdomain?: string;
  fallback?: boolean;
  prefix?: string;
  char_list?: string;
  check_domain?: boolean;
  on_no_match?: NoMatchSpec;
}

export class PdtStep implements PolicyStep {
  readonly kind = 'pdt';

  constructor(
    private readonly pdt: PdtTable,
    private readonly options: { sdomain: string; fallback: boolean; prefix: string; mode: PdtMode },
    private readonly noMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const o = this.options;
    const sdomain = o.sdomain === PDT_FROM_DOMAIN ? ctx.params.from.host : o.sdomain;
    const t = this.pdt.translate(ctx.ruriUser, { sdomain, fallback: o.fallback, prefix: o.prefix, mode: o.mode });
    if (!t) return this.noMatch;
    if (!setRuriUserHostAll(ctx, t.user, t.domain)) return this.noMatch;
    ctx.vars.set('pdt.prefix', t.prefix);
    return CONTINUE;
  }
}

export const pdtKind: StepKind = {
  key: 'pdt',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "Route a number prefix to a domain with Kamailio's pdt table (sdomain, prefix, domain): the R-URI host becomes the prefix's domain",
    required: ['source'],
    properties: {
      source: { ...rowSourceSchema, description: 'pdt rows (usually {table: pdt})' },
      mode: {
        default: 'strip',
        description: 'User rewrite: strip (0) the prefix parameter and the pdt prefix, strip_prefix_param (1) only the prefix parameter, keep (2) the user as it is',
        oneOf: [{ enum: PDT_MODES }, { enum: [0, 1, 2] }],
      },
      sdomain: {
        type: 'string',
        minLength: 1,
        default: PDT_ANY_SDOMAIN,
        description: `Whose prefixes: "${PDT_FROM_DOMAIN}" (the From host, Kamailio $fd), "*" (rows for any source domain), or a literal sdomain`,
      },
      fallback: { type: 'boolean', default: false, description: 'When the sdomain has no prefix for the user, try the "*" rows (prefix2domain sd_mode 2)' },
      prefix: { type: 'string', default: '', description: 'Kamailio pdt "prefix" parameter: only users starting with it are translated, and it is not part of the pdt prefix' },
      char_list: { type: 'string', minLength: 1, default: PDT_DEFAULT_CHAR_LIST, description: 'Characters pdt prefixes are made of' },
      check_domain: { type: 'boolean', default: true, description: 'Refuse two prefixes of one sdomain mapping to the same domain (Kamailio check_domain)' },
      on_no_match: noMatchSchema,
    },
  },
  async build(raw, ctx) {
    const spec = raw as PdtStepSpec;
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const loaded = await runSliced(PdtTable.buildRows(rows.rows, rows.origin, { charList: spec.char_list ?? PDT_DEFAULT_CHAR_LIST, checkDomain: spec.check_domain ?? true }));
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${ctx.where}: ${e}`) };
    ctx.expose('pdt', spec.sdomain ?? '*', loaded.pdt);
    const mode = typeof spec.mode === 'number' ? PDT_MODES[spec.mode] : (spec.mode ?? 'strip');
    const options = { sdomain: spec.sdomain ?? PDT_ANY_SDOMAIN, fallback: spec.fallback ?? false, prefix: spec.prefix ?? '', mode };
    return { ok: true, step: new PdtStep(loaded.pdt, options, noMatchResult(spec.on_no_match)) };
  },
};
