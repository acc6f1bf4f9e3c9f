/**
 * What a translation step does when it finds no translation: go on with the next step (the
 * default: the next step decides, as a Kamailio script tests the function's -1 and carries on), or
 * answer a reply itself (the book's scripts answer `404 Not Found`).
 */
import { CONTRACT_VERSION } from '@sipmesh/contracts';
import { answer, CONTINUE, type StepResult } from '../pipeline/route-context.js';

export interface ReplySpec {
  code: number;
  reason: string;
}

export type NoMatchSpec = 'continue' | { reply: ReplySpec };

const replySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'reason'],
  properties: { code: { type: 'integer', minimum: 300, maximum: 699 }, reason: { type: 'string', pattern: '^[^\\r\\n]*$' } },
} as const;

export const noMatchSchema = {
  description: 'No translation: "continue" with the next step (default), or answer {reply: {code, reason}}',
  default: 'continue',
  oneOf: [{ const: 'continue' }, { type: 'object', additionalProperties: false, required: ['reply'], properties: { reply: replySchema } }],
} as const;

export function noMatchResult(spec: NoMatchSpec | undefined): StepResult {
  if (spec === undefined || spec === 'continue') return CONTINUE;
  return answer({ version: CONTRACT_VERSION, reply: { code: spec.reply.code, reason: spec.reply.reason } });
}
