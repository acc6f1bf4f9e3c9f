/**
 * What a translation step does when it finds no translation (steps/outcome.ts): go on with the
 * next step (the default: the next step decides, as a Kamailio script tests the function's -1 and
 * carries on), or answer a reply itself (the book's scripts answer `404 Not Found`).
 */
import type { StepResult } from '../pipeline/route-context.js';
import { outcomeResult, outcomeSchema, type OutcomeSpec, type ReplySpec } from '../steps/outcome.js';

export type NoMatchSpec = OutcomeSpec;

const NOT_FOUND: ReplySpec = { code: 404, reason: 'Not Found' };

export const noMatchSchema = outcomeSchema('No translation', 'continue', NOT_FOUND);

export function noMatchResult(spec: NoMatchSpec | undefined): StepResult {
  return outcomeResult(spec, 'continue', NOT_FOUND);
}
