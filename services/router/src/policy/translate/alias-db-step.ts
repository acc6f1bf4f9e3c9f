/**
 * The `alias_db` step: Kamailio's `alias_db_lookup(table[, flags])`. The R-URI user (and host,
 * with use_domain) is looked up in dbaliases and the R-URI becomes `sip:<username>@<domain>` of the
 * first matching row; its parameters are not kept (the book's row puts `;transport=tcp` in the
 * domain column for that reason). Further rows would be branches in Kamailio with append_branches;
 * the step rewrites to the first only and counts them in `alias_db.matches`. No row: on_no_match.
 */
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepKind } from '../steps/step-kind.js';
import { AliasTable, type AliasLookupOptions } from './alias-db.js';
import { noMatchResult, noMatchSchema, type NoMatchSpec } from './no-match.js';
import { setRuri } from './request-uri.js';

export interface AliasDbStepSpec {
  source: RowSourceSpec;
  use_domain?: boolean;
  reverse?: boolean;
  domain_prefix?: string;
  on_no_match?: NoMatchSpec;
}

export class AliasDbStep implements PolicyStep {
  readonly kind = 'alias_db';

  constructor(
    private readonly aliases: AliasTable,
    private readonly options: AliasLookupOptions,
    private readonly noMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const uris = this.aliases.lookup(ctx.ruriUser, ctx.ruriHost, this.options);
    const first = uris[0];
    if (first === undefined || !setRuri(ctx, first)) return this.noMatch;
    ctx.vars.set('alias_db.matches', String(uris.length));
    return CONTINUE;
  }
}

export const aliasDbKind: StepKind = {
  key: 'alias_db',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "Replace an alias R-URI by its user's URI with Kamailio's dbaliases table (alias_db_lookup)",
    required: ['source'],
    properties: {
      source: { ...rowSourceSchema, description: 'dbaliases rows (usually {table: dbaliases})' },
      use_domain: { type: 'boolean', default: false, description: 'Match the R-URI host against alias_domain too (Kamailio use_domain / flag u)' },
      reverse: { type: 'boolean', default: false, description: 'Look up the user and give its alias (Kamailio flag r)' },
      domain_prefix: { type: 'string', description: 'Leading part of the R-URI host ignored when matching domains (Kamailio domain_prefix)' },
      on_no_match: noMatchSchema,
    },
  },
  async build(raw, ctx) {
    const spec = raw as AliasDbStepSpec;
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const loaded = await runSliced(AliasTable.buildRows(rows.rows, rows.origin));
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${ctx.where}: ${e}`) };
    const options: AliasLookupOptions = { useDomain: spec.use_domain ?? false, reverse: spec.reverse ?? false, ...(spec.domain_prefix === undefined ? {} : { domainPrefix: spec.domain_prefix }) };
    return { ok: true, step: new AliasDbStep(loaded.aliases, options, noMatchResult(spec.on_no_match)) };
  },
};
