/**
 * Loads a routes file (YAML or JSON) and its dispatcher list into compiled policies. Returns every
 * problem found, with its place, instead of throwing, so a reload can keep the old policies.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { ContractValidators } from '@sipmesh/contracts';
import type { DispatcherSet } from '../dispatcher/dispatcher-list.js';
import { Dispatcher, type DispatcherOptions } from '../dispatcher/dispatcher.js';
import { DefaultStep } from '../default/default-step.js';
import { parseReplyCodes } from '../dispatcher/probe-state.js';
import type { ProbeConfig } from '../../service/dispatcher-prober.js';
import { PipelinePolicy } from '../pipeline/pipeline-policy.js';
import type { PolicyStep } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { RulesStep, StaticPolicy } from './static-policy.js';
import { routesFileSchema, type RoutesFile, type StepSpec } from './routes-file.js';

export type LoadedPolicies =
  | {
      ok: true;
      policies: ReadonlyMap<string, Policy>;
      sets: ReadonlyMap<number, DispatcherSet>;
      /** The dispatcher built for this load (selection state, set_state, load and latency feeds, dispatcher.list). */
      dispatcher: Dispatcher;
      /** Keepalive probing of its destinations; undefined when not configured or switched off. */
      probing: ProbeConfig | undefined;
    }
  | { ok: false; errors: string[] };

/** Each load builds its own Dispatcher: a reload starts its sets afresh, as a Kamailio reload does. */
export async function loadRoutesFile(file: string, validators: ContractValidators, options: DispatcherOptions = {}): Promise<LoadedPolicies> {
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

export async function compileRoutes(doc: unknown, baseDir: string, validators: ContractValidators, options: DispatcherOptions = {}): Promise<LoadedPolicies> {
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
  const validate = ajv.compile<RoutesFile>(routesFileSchema);
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
    const loaded = Dispatcher.fromList(listText, options);
    if (!loaded.ok) return { ok: false, errors: loaded.errors.map((e) => `dispatcher list ${e}`) };
    dispatcher = loaded.dispatcher;
  }
  const policies = new Map<string, Policy>();
  const errors: string[] = [];
  for (const [name, spec] of Object.entries(doc.policies)) {
    if (spec.rules !== undefined) {
      const compiled = StaticPolicy.compile(name, spec.rules, dispatcher, validators);
      if (compiled.ok) policies.set(name, compiled.policy);
      else errors.push(...compiled.errors);
      continue;
    }
    const steps: PolicyStep[] = [];
    (spec.steps ?? []).forEach((step, i) => {
      const built = buildStep(`${name} step ${i + 1}`, step, dispatcher, validators);
      if (built.ok) steps.push(built.step);
      else errors.push(...built.errors);
    });
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
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policies, sets: dispatcher.sets, dispatcher, probing };
}

/** One step of a `steps` list; `where` names it in errors (`<policy> step <n>`). */
function buildStep(where: string, spec: StepSpec, dispatcher: Dispatcher, validators: ContractValidators): { ok: true; step: PolicyStep } | { ok: false; errors: string[] } {
  if (spec.default !== undefined) {
    return { ok: true, step: new DefaultStep({ outboundHint: spec.default.outbound_hint ?? true, lookupWithoutDomain: spec.default.lookup_without_domain ?? false }) };
  }
  // A dispatcher step is a rules step of one rule that always matches.
  const rules = spec.rules ?? (spec.dispatcher ? [{ name: 'dispatcher', dispatcher: spec.dispatcher }] : []);
  const compiled = StaticPolicy.compile(where, rules, dispatcher, validators);
  return compiled.ok ? { ok: true, step: new RulesStep(compiled.policy) } : compiled;
}
