/**
 * Concurrent-call limits of a rule (Kamailio dialog profiles, book §10.2.5):
 *
 *   limit: { profile: caller, value: "$fU@$fd", max: 1 }
 *
 * The book checks `get_profile_size` and then calls `set_dlg_profile`; two INVITEs arriving
 * together could both see a free slot. Here the check and the add are one store operation
 * (CallProfiles.tryAdd), made when the rule has decided to relay an initial INVITE, so only a
 * routed call takes a slot. The call is named by its dialog id, which the edge computes alike and
 * puts on its dialog events; whoever consumes `dialog.ended` removes it. A re-ask for the same
 * INVITE (failover) adds the same id again, which does not count twice.
 */
import { CONTRACT_VERSION, dialogId, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import type { CallProfileEntry, CallProfiles } from '@sipmesh/runtime';
import { compileHashTemplate, hashTemplateVariables } from '../dispatcher/hash-key.js';

/** Kamailio's profile names are identifiers; the store relies on it (no `:` in its keys). */
const PROFILE_PATTERN = '^[A-Za-z0-9_.-]+$';

const limitEntrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['profile', 'max'],
  properties: {
    profile: { type: 'string', pattern: PROFILE_PATTERN, description: 'Profile name, e.g. "caller" (Kamailio profiles_with_value)' },
    value: {
      type: 'string',
      description: `What the calls are counted by: literal text and request variables (${hashTemplateVariables.join(' ')}), e.g. "$fU@$fd"; absent: one count for the whole profile (Kamailio profiles_no_value)`,
    },
    max: { type: 'integer', minimum: 0, description: 'Most calls at once; the next initial INVITE gets 503 Exceeded Max Allowed Active Calls' },
  },
} as const;

/** The `limit` of a rule: one entry or a list, all of which must have room. */
export const limitSchema = {
  description: 'Concurrent-call limit of the calls this rule relays (initial INVITEs only): a profile/value may hold at most max calls; a list must all have room, and the call then counts in each',
  oneOf: [limitEntrySchema, { type: 'array', minItems: 1, items: limitEntrySchema }],
} as const;

export interface LimitSpec {
  profile: string;
  value?: string;
  max: number;
}

/** Where a router counts calls, and for how long a call counts without its end. */
export interface CallLimitStore {
  readonly profiles: CallProfiles;
  /** Life of a counted call that never gets its end event, ms: the edge's longest dialog. */
  readonly ttlMs: number;
  /** Outcomes, for logs and metrics. */
  readonly events?: CallLimitEvents;
}

export interface CallLimitEvents {
  added(params: RouteParams, dialogId: string, entries: readonly CallProfileEntry[]): void;
  refused(params: RouteParams, full: { profile: string; value: string; size: number }): void;
  failed(params: RouteParams, err: unknown): void;
}

/** Book TC-129: the limit reached, and the profile lookup failing. */
export const LIMIT_EXCEEDED: RouteAnswer = { version: CONTRACT_VERSION, reply: { code: 503, reason: 'Exceeded Max Allowed Active Calls' } };
export const LIMIT_CHECK_FAILED: RouteAnswer = { version: CONTRACT_VERSION, reply: { code: 500, reason: 'Exceeded Max Allowed Active Calls' } };

export interface CallLimit {
  /** The rule's answer, or a refusal; a relayed initial INVITE joins the profiles. */
  apply(params: RouteParams, answer: RouteAnswer): RouteAnswer | Promise<RouteAnswer>;
}

interface CompiledEntry {
  readonly profile: string;
  readonly value: (p: RouteParams) => string;
  readonly max: number;
}

export function compileCallLimit(spec: LimitSpec | readonly LimitSpec[], store: CallLimitStore | undefined, error: (message: string) => void): CallLimit | undefined {
  if (!store) {
    error('limit needs a call profile store (router config calls.store)');
    return undefined;
  }
  const entries: CompiledEntry[] = [];
  for (const s of Array.isArray(spec) ? (spec as readonly LimitSpec[]) : [spec as LimitSpec]) {
    const source = s.value ?? '';
    if (!source.includes('$')) {
      entries.push({ profile: s.profile, value: () => source, max: s.max });
      continue;
    }
    const template = compileHashTemplate(source, 'limit value');
    if (!template.ok) {
      error(template.error);
      return undefined;
    }
    entries.push({ profile: s.profile, value: (p) => template.template.render(p), max: s.max });
  }
  return { apply: (p, a) => apply(store, entries, p, a) };
}

function apply(store: CallLimitStore, entries: readonly CompiledEntry[], p: RouteParams, a: RouteAnswer): RouteAnswer | Promise<RouteAnswer> {
  // Only a call being set up counts: an initial INVITE (no To tag, RFC 3261 §12.1) that is relayed.
  // A re-INVITE belongs to a call already counted; a reply starts no call.
  if (a.routes === undefined || p.method !== 'INVITE' || p.to.tag) return a;
  const id = dialogId(p.call_id, p.from.tag ?? '', p.cseq.seq);
  const wanted = entries.map((e): CallProfileEntry => ({ profile: e.profile, value: e.value(p), max: e.max }));
  return store.profiles.tryAdd(wanted, id, store.ttlMs).then(
    (r) => {
      if (r.ok) {
        store.events?.added(p, id, wanted);
        return a;
      }
      store.events?.refused(p, r);
      return LIMIT_EXCEEDED;
    },
    (e: unknown) => {
      store.events?.failed(p, e);
      // The add may have happened before the store failed to answer (a timeout): take it back, so
      // a call that gets 500 does not hold a slot until its TTL. Best effort: the store is failing.
      store.profiles.remove([id]).catch(() => undefined);
      return LIMIT_CHECK_FAILED;
    },
  );
}
