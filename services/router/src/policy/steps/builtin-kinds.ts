/** The step kinds that come with the router itself: rules, dispatcher, default. */
import { DefaultStep } from '../default/default-step.js';
import { authKind } from '../auth/auth-step.js';
import { RulesStep, StaticPolicy } from '../static/static-policy.js';
import { ruleSchema, type DefaultStepSpec, type DispatcherActionSpec, type RuleSpec } from '../static/routes-file.js';
import type { StepKind } from './step-kind.js';

export const rulesKind: StepKind = {
  key: 'rules',
  schema: { type: 'array', items: ruleSchema, description: 'The first matching rule answers; no match goes on to the next step' },
  build(spec, ctx) {
    const compiled = StaticPolicy.compile(ctx.where, spec as RuleSpec[], ctx.dispatcher, ctx.validators, ctx.calls);
    return compiled.ok ? { ok: true, step: new RulesStep(compiled.policy) } : compiled;
  },
};

export const dispatcherKind: StepKind = {
  key: 'dispatcher',
  schema: { ...ruleSchema.properties.dispatcher, description: 'Select from a dispatcher set (404 No destination when none is usable)' },
  build(spec, ctx) {
    // A dispatcher step is a rules step of one rule that always matches.
    return rulesKind.build([{ name: 'dispatcher', dispatcher: spec as DispatcherActionSpec }], ctx);
  },
};

export const defaultKind: StepKind = {
  key: 'default',
  schema: {
    type: 'object',
    additionalProperties: false,
    description: "The book's default proxy decisions: 403 Not relaying, outbound relay with P-hint, 484, location lookup",
    properties: {
      outbound_hint: { type: 'boolean', default: true, description: 'Add P-hint: outbound to requests leaving for foreign domains' },
      lookup_without_domain: { type: 'boolean', default: false, description: 'Look users up by user part only (Kamailio use_domain=0)' },
    },
  },
  build(spec, ctx) {
    const s = spec as DefaultStepSpec;
    const options = { outboundHint: s.outbound_hint ?? true, lookupWithoutDomain: s.lookup_without_domain ?? false };
    return { ok: true, step: new DefaultStep(ctx.registrar ? { ...options, location: ctx.registrar } : options) };
  },
};

export const BUILTIN_KINDS: readonly StepKind[] = [rulesKind, dispatcherKind, defaultKind, authKind];
