/**
 * The file policy: an ordered list of rules, first match wins. A rule answers with a fixed route set
 * (rtjson), a reply, or a dispatcher selection. Everything is compiled when the file is loaded, so a
 * decision is a few string compares; a rule with a call `limit` adds one store round trip for the
 * initial INVITEs it relays (call-limit.ts).
 */
import { CONTRACT_VERSION, type ContractValidators, type OnFailure, type Route, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import type { Policy } from '../policy.js';
import { answer, CONTINUE, type PolicyStep, type RouteContext, type StepResult } from '../pipeline/route-context.js';
import { resolveAlgorithm } from '../dispatcher/algorithms.js';
import type { Dispatcher, SelectionConfig } from '../dispatcher/dispatcher.js';
import { compileHashTemplate } from '../dispatcher/hash-key.js';
import { compileCallLimit, type CallLimitStore } from '../call-limit/call-limit.js';
import { compileHostPattern, compilePattern, type Matcher } from './match-pattern.js';
import { inNetwork, parseIp, parseNetwork, type Network } from '../security/ip-match.js';
import type { DispatcherActionSpec, RuleSpec } from './routes-file.js';

const MAX_ROUTES = 64;

interface CompiledRule {
  name: string;
  matches: (p: RouteParams) => boolean;
  /** Synchronous unless the rule has a call limit and relays an initial INVITE. */
  decide: (p: RouteParams) => RouteAnswer | Promise<RouteAnswer>;
}

export type CompileResult = { ok: true; policy: StaticPolicy } | { ok: false; errors: string[] };

/**
 * A list of rules as one step of a policy pipeline: the first matching rule answers, and a request
 * no rule matches goes on to the next step.
 */
export class RulesStep implements PolicyStep {
  readonly kind = 'rules';
  constructor(private readonly rules: StaticPolicy) {}

  run(ctx: RouteContext): StepResult | Promise<StepResult> {
    const a = this.rules.match(ctx.params);
    if (a === undefined) return CONTINUE;
    return a instanceof Promise ? a.then(answer) : answer(a);
  }
}

export class StaticPolicy implements Policy {
  private constructor(
    readonly name: string,
    private readonly rules: readonly CompiledRule[],
  ) {}

  /** `calls` is where rules with a `limit` count calls; a rule with one fails to load without it. */
  static compile(name: string, specs: readonly RuleSpec[], dispatcher: Dispatcher, validators: ContractValidators, calls?: CallLimitStore): CompileResult {
    const errors: string[] = [];
    const rules: CompiledRule[] = [];
    specs.forEach((spec, i) => {
      const ruleName = spec.name ?? `rule ${i + 1}`;
      const where = `policy ${name}, ${ruleName}`;
      const decide = compileAction(spec, dispatcher, validators, where, errors);
      if (spec.limit === undefined) {
        if (decide) rules.push({ name: ruleName, matches: compileMatch(spec), decide });
        return;
      }
      if (spec.reply) errors.push(`${where}: limit counts the calls a rule relays, and a reply rule relays none`);
      const limit = compileCallLimit(spec.limit, calls, (e) => errors.push(`${where}: ${e}`));
      if (decide && limit) rules.push({ name: ruleName, matches: compileMatch(spec), decide: (p) => limit.apply(p, decide(p)) });
    });
    return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: new StaticPolicy(name, rules) };
  }

  decide(params: RouteParams): RouteAnswer | Promise<RouteAnswer> {
    return this.match(params) ?? { version: CONTRACT_VERSION, reply: { code: 404, reason: 'No route' }, policy: this.name };
  }

  /** The answer of the first rule that matches, undefined when none does. */
  match(params: RouteParams): RouteAnswer | Promise<RouteAnswer> | undefined {
    for (const rule of this.rules) if (rule.matches(params)) return rule.decide(params);
    return undefined;
  }
}

function compileMatch(spec: RuleSpec): (p: RouteParams) => boolean {
  const m = spec.match ?? {};
  const checks: ((p: RouteParams) => boolean)[] = [];
  if (m.method !== undefined) {
    const methods = new Set(Array.isArray(m.method) ? m.method : [m.method]);
    checks.push((p) => methods.has(p.method));
  }
  const field = (pattern: string | undefined, host: boolean, get: (p: RouteParams) => string | undefined): void => {
    if (pattern === undefined) return;
    const matcher: Matcher = host ? compileHostPattern(pattern) : compilePattern(pattern);
    checks.push((p) => matcher(get(p)));
  };
  field(m.ruri_user, false, (p) => p.ruri_parts.user);
  field(m.ruri_host, true, (p) => p.ruri_parts.host);
  field(m.from_user, false, (p) => p.from.user);
  field(m.from_host, true, (p) => p.from.host);
  field(m.to_user, false, (p) => p.to.user);
  if (m.source_ip !== undefined && m.source_ip.includes('/') && parseNetwork(m.source_ip)) {
    // a network: Kamailio ip_is_in_subnet
    const network = parseNetwork(m.source_ip) as Network;
    checks.push((p) => {
      const ip = parseIp(p.source.ip);
      return ip !== undefined && inNetwork(ip, network);
    });
  } else field(m.source_ip, false, (p) => p.source.ip);
  if (checks.length === 0) return () => true;
  return (p) => {
    for (const c of checks) if (!c(p)) return false;
    return true;
  };
}

function compileAction(
  spec: RuleSpec,
  dispatcher: Dispatcher,
  validators: ContractValidators,
  where: string,
  errors: string[],
): ((p: RouteParams) => RouteAnswer) | undefined {
  const common: Partial<RouteAnswer> = { version: CONTRACT_VERSION };
  if (spec.on_failure) common.on_failure = spec.on_failure as OnFailure;
  if (spec.record_route !== undefined) common.record_route = spec.record_route;
  if (spec.acc !== undefined) common.acc = spec.acc;
  if (spec.media !== undefined) common.media = spec.media;

  if (spec.reply) {
    const answer: RouteAnswer = { ...common, version: CONTRACT_VERSION, reply: spec.reply };
    return check(answer) ? () => answer : undefined;
  }
  if (spec.routes) {
    const answer: RouteAnswer = { ...common, version: CONTRACT_VERSION, routing: spec.routing ?? 'serial', routes: spec.routes as Route[] };
    return check(answer) ? () => answer : undefined;
  }
  const ds = spec.dispatcher;
  if (!ds) return undefined;
  const config = compileSelection(ds, dispatcher, (e) => errors.push(`${where}: ${e}`));
  if (!config) return undefined;
  if (!check({ ...common, version: CONTRACT_VERSION, routes: [{ dst_uri: 'sip:probe.invalid' }] })) return undefined;
  // Kamailio's parallel algorithm forks to all; any other can be forked with routing: parallel,
  // which then takes the whole failover list.
  const routing = config.algorithm === 'parallel' ? 'parallel' : (ds.routing ?? 'serial');
  if (routing === 'parallel') config.failover = true;
  const noDestination: RouteAnswer = { version: CONTRACT_VERSION, reply: { code: 404, reason: 'No destination' } };
  return (p) => {
    const selected = dispatcher.select(ds.set, config, p);
    if (!selected.ok) return noDestination;
    const routes = selected.destinations.map((d): Route => (d.attrs.socket ? { dst_uri: d.uri, socket: d.attrs.socket } : { dst_uri: d.uri }));
    return { ...common, version: CONTRACT_VERSION, routing, routes };
  };

  function check(answer: RouteAnswer): boolean {
    const r = validators.routeAnswer(answer);
    if (!r.ok) errors.push(`${where}: ${r.errors.join('; ')}`);
    return r.ok;
  }
}

/**
 * Checks a dispatcher action against the loaded list once, so mistakes Kamailio would only log per
 * call (a call-load set without duids, a missing hash_pvar) stop the load instead.
 */
function compileSelection(ds: DispatcherActionSpec, dispatcher: Dispatcher, error: (message: string) => void): SelectionConfig | undefined {
  const set = dispatcher.sets.get(ds.set);
  if (!set) {
    error(`dispatcher set ${ds.set} is not defined`);
    return undefined;
  }
  const algorithm = resolveAlgorithm(ds.algorithm ?? 'round-robin');
  if (!algorithm) {
    error(`unknown dispatcher algorithm ${String(ds.algorithm)}`);
    return undefined;
  }
  // A route answer carries at most 64 routes (contract route-answer.json), whatever the set size.
  const config: SelectionConfig = { algorithm, failover: ds.failover ?? true, limit: Math.min(ds.limit || MAX_ROUTES, MAX_ROUTES) };
  if (ds.use_default) config.useDefault = true;
  if (ds.hash_user_only) config.hashUserOnly = true;
  if (ds.hash_pvar !== undefined && algorithm !== 'hash-pvar') {
    error(`hash_pvar is only used by algorithm hash-pvar (7), not ${algorithm}`);
    return undefined;
  }
  if (algorithm === 'hash-pvar') {
    const template = compileHashTemplate(ds.hash_pvar ?? '');
    if (!template.ok) {
      error(ds.hash_pvar === undefined ? 'algorithm hash-pvar (7) needs hash_pvar, e.g. "$fU"' : template.error);
      return undefined;
    }
    config.hashPvar = template.template;
  }
  if (algorithm === 'call-load') {
    const missing = set.destinations.filter((d) => d.attrs.duid === undefined).map((d) => d.line);
    if (missing.length > 0) {
      error(`algorithm call-load (10) counts calls by duid, but set ${ds.set} has destinations without one (dispatcher list line ${missing.sort((a, b) => a - b).join(', ')})`);
      return undefined;
    }
  }
  return config;
}
