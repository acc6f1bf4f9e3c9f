/**
 * The file policy: an ordered list of rules, first match wins. A rule answers with a fixed route set
 * (rtjson), a reply, or a dispatcher selection. Everything is compiled when the file is loaded, so a
 * decision is a few string compares.
 */
import { CONTRACT_VERSION, type ContractValidators, type OnFailure, type Route, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import type { Policy } from '../policy.js';
import { kamailioAlgorithmNumbers, orderDestinations, SelectionState, type DispatcherAlgorithm } from '../dispatcher/algorithms.js';
import type { DispatcherSet } from '../dispatcher/dispatcher-list.js';
import { compileHostPattern, compilePattern, type Matcher } from './match-pattern.js';
import type { RuleSpec } from './routes-file.js';

interface CompiledRule {
  name: string;
  matches: (p: RouteParams) => boolean;
  decide: (p: RouteParams) => RouteAnswer;
}

export type CompileResult = { ok: true; policy: StaticPolicy } | { ok: false; errors: string[] };

export class StaticPolicy implements Policy {
  private constructor(
    readonly name: string,
    private readonly rules: readonly CompiledRule[],
  ) {}

  static compile(name: string, specs: readonly RuleSpec[], sets: ReadonlyMap<number, DispatcherSet>, validators: ContractValidators, state = new SelectionState()): CompileResult {
    const errors: string[] = [];
    const rules: CompiledRule[] = [];
    specs.forEach((spec, i) => {
      const ruleName = spec.name ?? `rule ${i + 1}`;
      const where = `policy ${name}, ${ruleName}`;
      const decide = compileAction(spec, sets, state, validators, where, errors);
      if (decide) rules.push({ name: ruleName, matches: compileMatch(spec), decide });
    });
    return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: new StaticPolicy(name, rules) };
  }

  decide(params: RouteParams): RouteAnswer {
    for (const rule of this.rules) if (rule.matches(params)) return rule.decide(params);
    return { version: CONTRACT_VERSION, reply: { code: 404, reason: 'No route' }, policy: this.name };
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
  field(m.source_ip, false, (p) => p.source.ip);
  if (checks.length === 0) return () => true;
  return (p) => {
    for (const c of checks) if (!c(p)) return false;
    return true;
  };
}

function compileAction(
  spec: RuleSpec,
  sets: ReadonlyMap<number, DispatcherSet>,
  state: SelectionState,
  validators: ContractValidators,
  where: string,
  errors: string[],
): ((p: RouteParams) => RouteAnswer) | undefined {
  const common: Partial<RouteAnswer> = { version: CONTRACT_VERSION };
  if (spec.on_failure) common.on_failure = spec.on_failure as OnFailure;
  if (spec.record_route !== undefined) common.record_route = spec.record_route;

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
  const set = sets.get(ds.set);
  if (!set) {
    errors.push(`${where}: dispatcher set ${ds.set} is not defined`);
    return undefined;
  }
  const algorithm = resolveAlgorithm(ds.algorithm ?? 'round-robin');
  if (!algorithm) {
    errors.push(`${where}: unknown dispatcher algorithm ${String(ds.algorithm)}`);
    return undefined;
  }
  if (!check({ ...common, version: CONTRACT_VERSION, routes: [{ dst_uri: 'sip:probe.invalid' }] })) return undefined;
  const failover = ds.failover ?? true;
  const routing = ds.routing ?? 'serial';
  const noDestination: RouteAnswer = { version: CONTRACT_VERSION, reply: { code: 404, reason: 'No destination' } };
  return (p) => {
    const ordered = orderDestinations(set, algorithm, p, state);
    if (ordered.length === 0) return noDestination;
    const chosen = failover || routing === 'parallel' ? ordered : ordered.slice(0, 1);
    return { ...common, version: CONTRACT_VERSION, routing, routes: chosen.map((d) => ({ dst_uri: d.uri })) };
  };

  function check(answer: RouteAnswer): boolean {
    const r = validators.routeAnswer(answer);
    if (!r.ok) errors.push(`${where}: ${r.errors.join('; ')}`);
    return r.ok;
  }
}

function resolveAlgorithm(a: string | number): DispatcherAlgorithm | undefined {
  if (typeof a === 'number') return kamailioAlgorithmNumbers[a];
  const known: readonly string[] = ['hash-call-id', 'hash-from', 'hash-to', 'hash-ruri', 'round-robin', 'random', 'priority'];
  return known.includes(a) ? (a as DispatcherAlgorithm) : undefined;
}
