/**
 * The `speeddial` step: Kamailio's `sd_lookup(table[, owner])`. The R-URI user is the caller's short
 * number; the owner is the From URI (`lookup`) or the `owner` URI of the settings
 * (`lookup_owner`). A row replaces the whole R-URI with its new_uri. No row: on_no_match.
 */
import { runSliced } from '../../data/sliced.js';
import { loadRows, rowSourceSchema, type RowSourceSpec } from '../../data/table-rows.js';
import { CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import type { StepKind } from '../steps/step-kind.js';
import { noMatchResult, noMatchSchema, type NoMatchSpec } from './no-match.js';
import { setRuri, uriUserHost, type UriUserHost } from './request-uri.js';
import { SPEED_DIAL_DOMAIN_MATCHES, SpeedDialTable, type SpeedDialDomainMatch, type SpeedDialOptions } from './speed-dial.js';

export interface SpeedDialStepSpec {
  source: RowSourceSpec;
  owner?: string;
  /** A name, or Kamailio's use_domain number (0, 1, 2). */
  use_domain?: SpeedDialDomainMatch | 0 | 1 | 2;
  domain_prefix?: string;
  on_no_match?: NoMatchSpec;
}

export class SpeedDialStep implements PolicyStep {
  readonly kind = 'speeddial';

  constructor(
    private readonly speedDial: SpeedDialTable,
    /** Undefined: the caller (From URI). */
    private readonly owner: UriUserHost | undefined,
    private readonly options: SpeedDialOptions,
    private readonly noMatch: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    const from = ctx.params.from;
    const owner = this.owner ?? { user: from.user ?? '', host: from.host };
    const uri = this.speedDial.lookup(owner, { user: ctx.ruriUser, host: ctx.ruriHost }, this.options);
    if (uri === undefined || !setRuri(ctx, uri)) return this.noMatch;
    return CONTINUE;
  }
}

export const speedDialKind: StepKind = {
  key: 'speeddial',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "Replace a caller's short number by its target with Kamailio's speed_dial table (sd_lookup)",
    required: ['source'],
    properties: {
      source: { ...rowSourceSchema, description: 'speed_dial rows (usually {table: speed_dial})' },
      owner: { type: 'string', description: 'Whose short numbers (a SIP URI, Kamailio lookup_owner); absent: the caller, from the From URI' },
      use_domain: {
        default: 'none',
        description: 'Domains that must match too: none (0), the owner domain (1), the owner and the short-number domain (2)',
        oneOf: [{ enum: SPEED_DIAL_DOMAIN_MATCHES }, { enum: [0, 1, 2] }],
      },
      domain_prefix: { type: 'string', description: 'Leading part of hosts ignored when matching domains (Kamailio domain_prefix, e.g. "tel.")' },
      on_no_match: noMatchSchema,
    },
  },
  async build(raw, ctx) {
    const spec = raw as SpeedDialStepSpec;
    let owner: UriUserHost | undefined;
    if (spec.owner !== undefined) {
      owner = uriUserHost(spec.owner);
      if (!owner || owner.user === '') return { ok: false, errors: [`${ctx.where}: owner "${spec.owner}" is not a URI with a user and host`] };
    }
    const rows = await loadRows(spec.source, ctx.baseDir, ctx.db);
    if (!rows.ok) return { ok: false, errors: [`${ctx.where}: ${rows.error}`] };
    const loaded = await runSliced(SpeedDialTable.buildRows(rows.rows, rows.origin));
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `${ctx.where}: ${e}`) };
    const useDomain = typeof spec.use_domain === 'number' ? SPEED_DIAL_DOMAIN_MATCHES[spec.use_domain] : (spec.use_domain ?? 'none');
    const options: SpeedDialOptions = { useDomain, ...(spec.domain_prefix === undefined ? {} : { domainPrefix: spec.domain_prefix }) };
    return { ok: true, step: new SpeedDialStep(loaded.speedDial, owner, options, noMatchResult(spec.on_no_match)) };
  },
};
