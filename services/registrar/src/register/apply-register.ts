/**
 * RFC 3261 §10.3 step 7 over the current bindings of one AoR: a pure function from (bindings,
 * request) to the whole next binding set, so the caller can retry it on fresh data after a lost
 * compare-and-set. A refusal leaves the set untouched (all-or-nothing).
 *
 * Matching a requested contact to a stored binding:
 * - with +sip.instance and reg-id: the binding with the same pair, whatever its Contact URI
 *   (RFC 5626 §6: the flow, not the URI, is the binding);
 * - otherwise: the binding whose Contact URI is equal by RFC 3261 §19.1.4.
 * A match with the same Call-ID must carry a higher CSeq. Equal CSeq within the retransmission
 * window is a retransmission (binding kept, 200), anything else fails the request with 400, as
 * the RFC says ("the update MUST be aborted and the request fails") and Kamailio does.
 */
import { sameContactUri, type Binding } from '../location/index.js';
import type { RegisterConfig } from './register-config.js';
import { RegisterErrorCode, type RegisterError } from './register-error.js';
import type { RegisterIntent, RequestedContact } from './register-intent.js';

/** What the REGISTER knows about where it came from; copied into every binding it writes. */
export interface RegisterContext {
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  readonly nowMs: number;
  readonly edge: string;
  readonly socket?: string;
  readonly edgeUri?: string;
  readonly connectionId?: number;
  readonly received?: string;
  readonly nat: boolean;
  readonly path?: readonly string[];
  readonly userAgent?: string;
  /** Methods of the Allow header, for contacts without a `methods` parameter. */
  readonly allow?: readonly string[];
}

export interface BindingChanges {
  readonly added: readonly Binding[];
  readonly refreshed: readonly Binding[];
  readonly removed: readonly Binding[];
}

export type ApplyRegisterResult =
  | { readonly ok: true; readonly next: readonly Binding[]; readonly changes: BindingChanges; readonly changed: boolean }
  | { readonly ok: false; readonly error: RegisterError };

export const CseqOrder = { newer: 'newer', retransmission: 'retransmission', outOfOrder: 'out-of-order' } as const;
export type CseqOrder = (typeof CseqOrder)[keyof typeof CseqOrder];

interface Slot {
  binding: Binding;
  /** Written by this request (a later duplicate Contact simply overwrites it, no CSeq check). */
  fromRequest: boolean;
}

export function applyRegister(
  current: readonly Binding[],
  intent: Exclude<RegisterIntent, { kind: 'query' }>,
  ctx: RegisterContext,
  config: RegisterConfig,
  newRuid: () => string,
): ApplyRegisterResult {
  const slots: Slot[] = current.map((binding) => ({ binding, fromRequest: false }));
  if (intent.kind === 'remove-all') {
    // RFC 3261 §10.3 step 6: each binding goes unless it has this Call-ID and a CSeq not lower.
    const kept: Binding[] = [];
    for (const b of current) {
      const order = cseqOrder(b, ctx, config);
      if (order === CseqOrder.outOfOrder) return outOfOrder(b, ctx);
      if (order === CseqOrder.retransmission) kept.push(b);
    }
    return finish(current, kept.map((binding) => ({ binding, fromRequest: false })), config);
  }
  for (const rc of intent.contacts) {
    const i = slots.findIndex((s) => matches(s.binding, rc));
    const slot = slots[i];
    if (slot !== undefined && !slot.fromRequest) {
      const order = cseqOrder(slot.binding, ctx, config);
      if (order === CseqOrder.outOfOrder) return outOfOrder(slot.binding, ctx);
      if (order === CseqOrder.retransmission) continue;
    }
    if (rc.expiresSec === 0) {
      if (slot !== undefined) slots.splice(i, 1);
      continue;
    }
    const ruid = slot !== undefined && sameContactUri(slot.binding.contact, rc.uri) ? slot.binding.ruid : newRuid();
    const binding = buildBinding(rc, ctx, ruid);
    if (slot === undefined) {
      slots.push({ binding, fromRequest: true });
      continue;
    }
    slots[i] = { binding, fromRequest: true };
    // Kamailio: the same flow re-registering with a new Call-ID means the device restarted, so its
    // other flows (same instance, other reg-id) are stale.
    if (rc.instance !== undefined && slot.binding.callId !== ctx.callId) {
      for (let j = slots.length - 1; j >= 0; j--) {
        const other = slots[j];
        if (j !== i && other !== undefined && !other.fromRequest && other.binding.instance === rc.instance) slots.splice(j, 1);
      }
    }
  }
  return finish(current, slots, config);
}

/** RFC 3261 §10.3 step 7 ordering of a request against one stored binding. */
export function cseqOrder(stored: Binding, ctx: Pick<RegisterContext, 'callId' | 'cseq' | 'nowMs'>, config: Pick<RegisterConfig, 'retransmissionWindowSec'>): CseqOrder {
  if (stored.callId !== ctx.callId || ctx.cseq > stored.cseq) return CseqOrder.newer;
  if (ctx.cseq === stored.cseq && ctx.nowMs - stored.lastModifiedMs < config.retransmissionWindowSec * 1000) return CseqOrder.retransmission;
  return CseqOrder.outOfOrder;
}

function matches(b: Binding, rc: RequestedContact): boolean {
  if (rc.instance !== undefined && rc.regId !== undefined) return b.instance === rc.instance && b.regId === rc.regId;
  return sameContactUri(b.contact, rc.uri);
}

function buildBinding(rc: RequestedContact, ctx: RegisterContext, ruid: string): Binding {
  const methods = rc.methods ?? ctx.allow;
  return {
    aor: ctx.aor,
    contact: rc.uri,
    ruid,
    expiresAtMs: ctx.nowMs + rc.expiresSec * 1000,
    q: rc.q,
    callId: ctx.callId,
    cseq: ctx.cseq,
    edge: ctx.edge,
    nat: ctx.nat,
    lastModifiedMs: ctx.nowMs,
    ...(ctx.received !== undefined ? { received: ctx.received } : {}),
    ...(ctx.path !== undefined && ctx.path.length > 0 ? { path: ctx.path } : {}),
    ...(ctx.userAgent !== undefined ? { userAgent: ctx.userAgent } : {}),
    ...(rc.instance !== undefined ? { instance: rc.instance } : {}),
    ...(rc.regId !== undefined ? { regId: rc.regId } : {}),
    ...(ctx.socket !== undefined ? { socket: ctx.socket } : {}),
    ...(ctx.edgeUri !== undefined ? { edgeUri: ctx.edgeUri } : {}),
    ...(ctx.connectionId !== undefined ? { connectionId: ctx.connectionId } : {}),
    ...(methods !== undefined ? { methods } : {}),
  };
}

function finish(current: readonly Binding[], slots: readonly Slot[], config: RegisterConfig): ApplyRegisterResult {
  const next = slots.map((s) => s.binding);
  const before = new Set(current.map((b) => b.ruid));
  const after = new Set(next.map((b) => b.ruid));
  const added = slots.filter((s) => !before.has(s.binding.ruid)).map((s) => s.binding);
  const refreshed = slots.filter((s) => s.fromRequest && before.has(s.binding.ruid)).map((s) => s.binding);
  const removed = current.filter((b) => !after.has(b.ruid));
  const changed = added.length + refreshed.length + removed.length > 0;
  if (changed && config.maxContacts > 0 && next.length > config.maxContacts) {
    return { ok: false, error: { code: RegisterErrorCode.tooManyContacts, detail: `${next.length} contacts, at most ${config.maxContacts}` } };
  }
  return { ok: true, next, changes: { added, refreshed, removed }, changed };
}

function outOfOrder(b: Binding, ctx: RegisterContext): ApplyRegisterResult {
  return { ok: false, error: { code: RegisterErrorCode.cseqOutOfOrder, detail: `CSeq ${ctx.cseq} not above ${b.cseq} of ${b.contact} (Call-ID ${ctx.callId})` } };
}
