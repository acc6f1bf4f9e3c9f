/**
 * The `geoip2` step (book §6.4.4, Kamailio geoip2 module): looks an address of the request up in a
 * MaxMind database, leaves what it learnt in `geoip2.<field>` variables for the steps after it
 * (Kamailio's `geoip2_match("$si", "src")` then `$gip2(src=>cc)`), and optionally refuses
 * countries, as the book's "drop everything whose country is not CN" (TC-65):
 *
 *   - geoip2: { path: GeoLite2-City.mmdb, allow_countries: [CN] }
 *
 * The variables describe the latest lookup only: each run first clears what an earlier geoip2
 * step set, as Kamailio resets the container on every match, so a city never outlives its country.
 *
 * Kamailio has no reply for a refused country (the book's script drops the request); here the
 * step answers `on_refused`, 403 Forbidden unless set. An address the database does not know
 * (private ranges, a host name) goes on unless `on_unknown` says otherwise: sources on the local
 * network are never in GeoIP databases, and refusing them is one setting away.
 */
import path from 'node:path';
import { CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';
import type { StepBuild, StepBuildContext, StepKind } from '../steps/step-kind.js';
import { GeoIpDatabase, type GeoLocation } from './geoip-database.js';

/** Which fact of the request is looked up. */
export const GEOIP_ADDRESSES = ['source_ip', 'from_host', 'ruri_host'] as const;
export type GeoIpAddress = (typeof GEOIP_ADDRESSES)[number];

/** The variables the step sets, `geoip2.<field>`, in the order of `GeoLocation`. */
export const GEOIP_FIELDS = ['cc', 'country', 'regc', 'regn', 'city', 'lat', 'lon', 'tz'] as const satisfies readonly (keyof GeoLocation)[];

export interface GeoIp2StepSpec {
  path: string;
  address?: GeoIpAddress;
  allow_countries?: string[];
  deny_countries?: string[];
  on_refused?: OutcomeSpec;
  on_unknown?: OutcomeSpec;
}

const FORBIDDEN: ReplySpec = { code: 403, reason: 'Forbidden' };
const VAR_NAMES = GEOIP_FIELDS.map((f) => [f, `geoip2.${f}`] as const);

const countryList = (what: string): object => ({
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { type: 'string', pattern: '^[A-Za-z]{2}$' },
  description: `${what} (ISO 3166-1 alpha-2 codes, any case)`,
});

export const geoip2StepSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Look an address up in a MaxMind GeoIP2/GeoLite2 database (Kamailio geoip2): sets geoip2.cc, .country, .regc, .regn, .city, .lat, .lon, .tz; optionally refuses countries',
  required: ['path'],
  properties: {
    path: { type: 'string', minLength: 1, description: 'MaxMind DB file (.mmdb), relative to the routes file; read when the routes file is loaded' },
    address: {
      enum: GEOIP_ADDRESSES,
      default: 'source_ip',
      description: 'source_ip: where the request came from (Kamailio $si); from_host, ruri_host: the From / current Request-URI host, when it is an IP literal',
    },
    allow_countries: countryList('Only these countries pass; the others get on_refused. Not with deny_countries'),
    deny_countries: countryList('These countries get on_refused; the others pass. Not with allow_countries'),
    on_refused: outcomeSchema('Country refused by allow_countries / deny_countries', 'reply', FORBIDDEN),
    on_unknown: outcomeSchema('Address the database has no country for (private ranges, host names), when allow_countries or deny_countries is set', 'continue', FORBIDDEN),
  },
} as const;

/** Refusal by country: the allowed set, or the denied set. */
type CountryRule = { readonly allow: boolean; readonly countries: ReadonlySet<string> };

export class GeoIp2Step implements PolicyStep {
  readonly kind = 'geoip2';

  constructor(
    private readonly db: GeoIpDatabase,
    private readonly address: GeoIpAddress,
    private readonly rule: CountryRule | undefined,
    private readonly refused: StepResult,
    private readonly unknown: StepResult,
  ) {}

  run(ctx: RouteContext): StepResult {
    for (const [, name] of VAR_NAMES) ctx.vars.delete(name);
    const where = this.db.lookup(addressOf(ctx, this.address));
    if (where) {
      for (const [field, name] of VAR_NAMES) {
        const v = where[field];
        if (v !== undefined) ctx.vars.set(name, String(v));
      }
    }
    if (!this.rule) return CONTINUE;
    if (where?.cc === undefined) return this.unknown;
    return this.rule.countries.has(where.cc.toUpperCase()) === this.rule.allow ? CONTINUE : this.refused;
  }
}

function addressOf(ctx: RouteContext, address: GeoIpAddress): string {
  switch (address) {
    case 'source_ip':
      return ctx.params.source.ip;
    case 'from_host':
      return ctx.params.from.host;
    case 'ruri_host':
      // the Request-URI as earlier steps left it, as Kamailio's $rd
      return ctx.ruriHost;
  }
}

export const geoip2Kind: StepKind = {
  key: 'geoip2',
  schema: geoip2StepSchema,
  build: (spec, ctx) => buildGeoIp2Step(spec as GeoIp2StepSpec, ctx),
};

async function buildGeoIp2Step(spec: GeoIp2StepSpec, ctx: StepBuildContext): Promise<StepBuild> {
  // checked here rather than with a schema `not`, whose error would only say "must NOT be valid"
  if (spec.allow_countries !== undefined && spec.deny_countries !== undefined) return { ok: false, errors: [`${ctx.where}: allow_countries and deny_countries exclude each other; use one`] };
  const opened = await GeoIpDatabase.open(path.resolve(ctx.baseDir, spec.path));
  if (!opened.ok) return { ok: false, errors: [`${ctx.where}: geoip2 database ${opened.error}`] };
  ctx.expose('geoip2', spec.path, opened.db);
  const listed = spec.allow_countries ?? spec.deny_countries;
  const rule = listed === undefined ? undefined : { allow: spec.allow_countries !== undefined, countries: new Set(listed.map((c) => c.toUpperCase())) };
  const step = new GeoIp2Step(opened.db, spec.address ?? 'source_ip', rule, outcomeResult(spec.on_refused, 'reply', FORBIDDEN), outcomeResult(spec.on_unknown, 'continue', FORBIDDEN));
  return { ok: true, step };
}
