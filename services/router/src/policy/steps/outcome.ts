/**
 * What a step does when it has nothing to route with (no match, no gateway, a refused source …),
 * written the same way for every step kind:
 *
 *   on_no_route: continue                              # the next step decides (the pipeline's end: 404 No route)
 *   on_no_route: reply                                 # the step's own reply (lcr: 503 No available gateways, …)
 *   on_no_route: { reply: { code: 404, reason: Not Found } }
 */
import { CONTRACT_VERSION } from '@sipmesh/contracts';
import { answer, CONTINUE, type StepResult } from '../pipeline/route-context.js';

export interface ReplySpec {
  code: number;
  reason: string;
}

export type OutcomeSpec = 'continue' | 'reply' | { reply: ReplySpec };

export const replySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'reason'],
  properties: { code: { type: 'integer', minimum: 300, maximum: 699 }, reason: { type: 'string', pattern: '^[^\\r\\n]*$' } },
} as const;

/** The JSON schema of one `on_*` setting; `defaultReply` is what `reply` alone answers. */
export function outcomeSchema(what: string, fallback: 'continue' | 'reply', defaultReply: ReplySpec): object {
  return {
    description: `${what}: "continue" with the next step, "reply" (${defaultReply.code} ${defaultReply.reason}), or {reply: {code, reason}}; default ${fallback}`,
    default: fallback,
    oneOf: [{ enum: ['continue', 'reply'] }, { type: 'object', additionalProperties: false, required: ['reply'], properties: { reply: replySchema } }],
  };
}

export function outcomeResult(spec: OutcomeSpec | undefined, fallback: 'continue' | 'reply', defaultReply: ReplySpec): StepResult {
  const s = spec ?? fallback;
  if (s === 'continue') return CONTINUE;
  const reply = s === 'reply' ? defaultReply : s.reply;
  return answer({ version: CONTRACT_VERSION, reply: { code: reply.code, reason: reply.reason } });
}
