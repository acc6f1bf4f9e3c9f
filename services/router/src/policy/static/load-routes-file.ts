/**
 * Loads a routes file (YAML or JSON) and its dispatcher list into compiled policies. Returns every
 * problem found, with its place, instead of throwing, so a reload can keep the old policies.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { ContractValidators } from '@sipmesh/contracts';
import type { DispatcherSet } from '../dispatcher/dispatcher-list.js';
import { Dispatcher, type DispatcherOptions } from '../dispatcher/dispatcher.js';
import { parseReplyCodes } from '../dispatcher/probe-state.js';
import type { ProbeConfig } from '../../service/dispatcher-prober.js';
import { PipelinePolicy } from '../pipeline/pipeline-policy.js';
import type { PolicyStep } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { StaticPolicy } from './static-policy.js';
import { routesFileSchema, type RoutesFile } from './routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { loadRows, RowReader, type Row, type TableReader } from '../../data/table-rows.js';
import type { Authenticator } from '../auth/auth-step.js';
import type { LocationService } from '../default/location.js';
import type { CallLimitStore } from '../call-limit/call-limit.js';

export type LoadedPolicies =
  | {
      ok: true;
      policies: ReadonlyMap<string, Policy>;
      sets: ReadonlyMap<number, DispatcherSet>;
      /** The dispatcher built for this load (selection state, set_state, load and latency feeds, dispatcher.list). */
      dispatcher: Dispatcher;
      /** Keepalive probing of its destinations; undefined when not configured or switched off. */
      probing: ProbeConfig | undefined;
      /** policy → the policy that shadows it. */
      shadows: ReadonlyMap<string, string>;
      /** Data the steps exposed for admin commands: kind → key → data. */
      exposed: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
    }
  | { ok: false; errors: string[] };

/** Each load builds its own Dispatcher: a reload starts its sets afresh, as a Kamailio reload does. */
export interface LoadOptions extends DispatcherOptions {
  /** The router database (tables of `steps` with a `table` source). */
  db?: TableReader;
  /** The registrar over the bus, for the default step's lookups and the auth step. */
  registrar?: LocationService & Authenticator;
  /** Where rules with a call `limit` count calls. */
  calls?: CallLimitStore;
  /** Step kinds known (default: every kind of the router). */
  kinds?: readonly StepKind[];
}

export async function loadRoutesFile(file: string, validators: ContractValidators, options: LoadOptions = {}): Promise<LoadedPolicies> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { ok: false, errors: [`${file}: ${(e as Error).message}`] };
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // JSON is valid YAML
  } catch (e) {
    return { ok: false, errors: [`${file}: ${(e as Error).message}`] };
  }
  return compileRoutes(doc, path.dirname(file), validators, options);
}

/**
 * The routes-file validator for a list of step kinds, compiled once: compiling the schema of every
 * kind takes long enough to hold up route requests on each reload.
 */
const validatorsByKinds = new WeakMap<readonly StepKind[], ValidateFunction<RoutesFile>>();
function routesValidator(kinds: readonly StepKind[]): ValidateFunction<RoutesFile> {
  let validate = validatorsByKinds.get(kinds);
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
    validate = ajv.compile<RoutesFile>(routesFileSchema(kinds));
    validatorsByKinds.set(kinds, validate);
  }
  return validate;
}

export async function compileRoutes(doc: unknown, baseDir: string, validators: ContractValidators, options: LoadOptions = {}): Promise<LoadedPolicies> {
  const kinds = options.kinds ?? STEP_KINDS;
  const validate = routesValidator(kinds);
  if (!validate(doc)) {
    return { ok: false, errors: (validate.errors ?? []).map((e) => `routes file ${e.instancePath || '/'}: ${e.message ?? e.keyword}`) };
  }
  let dispatcher = new Dispatcher(new Map(), options);
  if (doc.dispatcher) {
    let listText = doc.dispatcher.inline ?? '';
    if (doc.dispatcher.list) {
      const listFile = path.resolve(baseDir, doc.dispatcher.list);
      try {
        listText += '\n' + (await readFile(listFile, 'utf8'));
      } catch (e) {
        return { ok: false, errors: [`${listFile}: ${(e as Error).message}`] };
      }
    }
    if (doc.dispatcher.table) {
      const rows = await loadRows({ table: doc.dispatcher.table }, baseDir, options.db);
      if (!rows.ok) return { ok: false, errors: [`dispatcher ${rows.error}`] };
      try {
        listText += '\n' + rows.rows.map(dispatcherLine).join('\n');
      } catch (e) {
        return { ok: false, errors: [(e as Error).message] };
      }
    }
    const loaded = Dispatcher.fromList(listText, options);
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `dispatcher list ${e}`) };
    dispatcher = loaded.dispatcher;
  }
  const policies = new Map<string, Policy>();
  const errors: string[] = [];
  const exposed = new Map<string, Map<string, unknown>>();
  const expose = (kind: string, key: string, data: unknown): void => {
    let m = exposed.get(kind);
    if (!m) {
      m = new Map();
      exposed.set(kind, m);
    }
    m.set(key, data);
  };
  for (const [name, spec] of Object.entries(doc.policies)) {
    if (spec.rules !== undefined) {
      const compiled = StaticPolicy.compile(name, spec.rules, dispatcher, validators, options.calls);
      if (compiled.ok) policies.set(name, compiled.policy);
      else errors.push(...compiled.errors);
      continue;
    }
    const steps: PolicyStep[] = [];
    for (const [i, step] of (spec.steps ?? []).entries()) {
      const [key, settings] = Object.entries(step)[0] ?? [];
      // a kind listed later replaces an earlier one with the same key (tests inject their own)
      const kind = kinds.findLast((k) => k.key === key);
      const where = `${name} step ${i + 1} (${key ?? '?'})`;
      if (!kind) {
        errors.push(`${where}: unknown step kind`);
        continue;
      }
      // Requests keep being answered between steps while a reload builds big indexes.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        const built = await kind.build(settings, { where, baseDir, dispatcher, validators, db: options.db, expose, registrar: options.registrar, calls: options.calls });
        if (built.ok) steps.push(built.step);
        else errors.push(...built.errors);
      } catch (e) {
        errors.push(`${where}: ${(e as Error).message}`);
      }
    }
    policies.set(name, new PipelinePolicy(name, steps));
  }
  let probing: ProbeConfig | undefined;
  const p = doc.dispatcher?.probing;
  if (p && p.ping_interval > 0) {
    const codes = parseReplyCodes(p.ping_reply_codes);
    if (!codes.ok) errors.push(`dispatcher probing ping_reply_codes: ${codes.error}`);
    else {
      probing = {
        intervalMs: p.ping_interval * 1000,
        rules: { mode: p.probing_mode, threshold: p.probing_threshold, inactiveThreshold: p.inactive_threshold, upCodes: codes.value },
        from: p.ping_from,
        timeoutMs: p.ping_timeout_ms,
      };
    }
  }
  const shadows = new Map<string, string>();
  for (const [name, spec] of Object.entries(doc.policies)) {
    if (spec.shadow === undefined) continue;
    if (spec.shadow === name) errors.push(`policy ${name}: cannot shadow itself`);
    else if (!policies.has(spec.shadow)) errors.push(`policy ${name}: shadow policy ${spec.shadow} is not defined`);
    else shadows.set(name, spec.shadow);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policies, sets: dispatcher.sets, dispatcher, probing, shadows, exposed };
}

/** A row of Kamailio's dispatcher table as a dispatcher.list line. */
function dispatcherLine(row: Row, i: number): string {
  const r = new RowReader(row, `dispatcher row ${i + 1}`);
  const attrs = r.str('attrs', '').trim();
  return `${r.int('setid')} ${r.str('destination').trim()} ${r.int('flags', 0)} ${r.int('priority', 0)}${attrs === '' ? '' : ` ${attrs}`}`;
}
