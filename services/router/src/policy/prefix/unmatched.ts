/**
 * What a prefix step does when its table has nothing for the request: go on with the next step
 * (the pipeline answers `404 No route` when no step answers), or reply itself, as the book's
 * scripts do (`503 No available gateways` after lcr, `404 Not Found` after mtree).
 */
import { CONTRACT_VERSION } from '@sipmesh/contracts';
import { answer, CONTINUE, type StepResult } from '../pipeline/route-context.js';

export interface ReplySpec {
  code: number;
  reason: string;
}

export const UNMATCHED_ACTIONS = ['continue', 'reply'] as const;
export type UnmatchedAction = (typeof UNMATCHED_ACTIONS)[number];

export const replySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'reason'],
  properties: { code: { type: 'integer', minimum: 300, maximum: 699 }, reason: { type: 'string', pattern: '^[^\\r\\n]*$' } },
} as const;

export function unmatchedResult(action: UnmatchedAction | undefined, reply: ReplySpec | undefined, fallback: ReplySpec): StepResult {
  return action === 'reply' ? answer({ version: CONTRACT_VERSION, reply: reply ?? fallback }) : CONTINUE;
}
