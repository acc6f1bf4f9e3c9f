/**
 * A REGISTER that already passed authentication, processed against the location store (RFC 3261
 * §10.3 steps 5-8, Kamailio `save("location")`). The request is read into an intent without the
 * store, applied to the AoR's bindings with compare-and-set and retry, and answered with every
 * binding the AoR has afterwards. Nothing here throws: a failing store is a 500 reply.
 */
import { randomUUID } from 'node:crypto';
import { isLive, updateAor, type AorDecision, type AorSnapshot, type Binding, type LocationStore, type UpdateAorOptions, type UpdateAorResult } from '../location/index.js';
import { canonicalAor } from './address-of-record.js';
import { applyRegister, type ApplyRegisterResult, type BindingChanges, type RegisterContext } from './apply-register.js';
import { DEFAULT_REGISTER_CONFIG, PathMode, type RegisterConfig } from './register-config.js';
import { RegisterErrorCode, type RegisterError } from './register-error.js';
import { readRegisterIntent } from './register-intent.js';
import { errorReply, okHeaders } from './register-reply.js';
import { receivedUri, type SourceAddress } from './received-address.js';

/** The facts of one REGISTER as the edge and the auth step hand them over. */
export interface RegisterFacts {
  /** Address of record from the To header: `user@domain` (or a SIP URI). */
  readonly aor: string;
  readonly callId: string;
  readonly cseq: number;
  /** Contact header values, comma lists already split; empty: a query. */
  readonly contacts: readonly string[];
  readonly expiresHeader?: string;
  /** Path header values in order (RFC 3327). */
  readonly path: readonly string[];
  /** `Supported: path` was present. */
  readonly pathSupported: boolean;
  readonly userAgent?: string;
  /** Allow header methods, kept for contacts without a `methods` parameter. */
  readonly allow?: readonly string[];
  readonly source: SourceAddress;
  /** Id of the edge that received the REGISTER. */
  readonly edge: string;
  /** Listening socket of that edge, `proto:ip:port`. */
  readonly socket?: string;
  /** That socket as a SIP URI other edges can route through. */
  readonly edgeUri?: string;
  readonly connectionId?: number;
  /** nat_uac_test fired: store `received` and want keep-alives. */
  readonly natDetected: boolean;
  /** Epoch ms. */
  readonly now: number;
}

export interface RegisterOutcome {
  readonly code: number;
  readonly reason: string;
  /** Complete header lines (`Name: value`) to add to the reply. */
  readonly headers: readonly string[];
  /** What changed, for registration events; empty on queries and refusals. */
  readonly changes: BindingChanges;
  /** Live bindings of the AoR after the request (those the 200 lists); empty on refusals. */
  readonly bindings: readonly Binding[];
  /** Why it was refused, for logs and metrics. */
  readonly error?: RegisterError;
}

export interface ProcessRegisterDeps {
  /** Ids of new bindings; default random UUIDs. */
  readonly newRuid?: () => string;
  readonly update?: UpdateAorOptions;
}

const NO_CHANGES: BindingChanges = Object.freeze({ added: [], refreshed: [], removed: [] });

export async function processRegister(
  store: LocationStore,
  facts: RegisterFacts,
  config: RegisterConfig = DEFAULT_REGISTER_CONFIG,
  deps: ProcessRegisterDeps = {},
): Promise<RegisterOutcome> {
  return runRegister(store, prepareRegister(facts, config, deps), deps.update);
}

/**
 * A REGISTER read and checked without the store: refused already (`done`), a query of the AoR,
 * or an update whose bindings `decide` computes from any snapshot of the AoR.
 */
export type PreparedRegister =
  | { readonly kind: 'done'; readonly outcome: RegisterOutcome }
  | { readonly kind: 'query'; readonly aor: string; readonly answer: (bindings: readonly Binding[]) => RegisterOutcome }
  | {
      readonly kind: 'update';
      readonly aor: string;
      /** Pure but for new ruids: the next binding set from a snapshot (no `next`: nothing to write). */
      readonly decide: (snapshot: AorSnapshot) => AorDecision<ApplyRegisterResult>;
      /** The reply once the update was decided and written (or failed). */
      readonly answer: (r: UpdateAorResult<ApplyRegisterResult>) => RegisterOutcome;
    };

export function prepareRegister(facts: RegisterFacts, config: RegisterConfig = DEFAULT_REGISTER_CONFIG, deps: Pick<ProcessRegisterDeps, 'newRuid'> = {}): PreparedRegister {
  const aor = canonicalAor(facts.aor, config.useDomain);
  if (!aor.ok) return done(refused({ code: RegisterErrorCode.noUser, detail: aor.reason }, config));
  const hasPath = config.usePath && facts.path.length > 0;
  if (hasPath && config.pathMode === PathMode.strict && !facts.pathSupported) {
    return done(refused({ code: RegisterErrorCode.pathUnsupported, detail: `Path without Supported: path from ${facts.source.ip}` }, config));
  }
  const read = readRegisterIntent(facts.contacts, facts.expiresHeader, config);
  if (!read.ok) return done(refused(read.error, config));
  const echoPath = hasPath && config.pathMode !== PathMode.off && facts.pathSupported ? facts.path : [];
  const intent = read.intent;
  if (intent.kind === 'query') return { kind: 'query', aor: aor.aor, answer: (bindings) => accepted(bindings, NO_CHANGES, facts.now, echoPath) };
  const ctx: RegisterContext = {
    aor: aor.aor,
    callId: facts.callId,
    cseq: facts.cseq,
    nowMs: facts.now,
    edge: facts.edge,
    nat: facts.natDetected,
    ...(facts.natDetected ? { received: receivedUri(facts.source) } : {}),
    ...(hasPath ? { path: facts.path } : {}),
    ...(facts.userAgent !== undefined ? { userAgent: facts.userAgent } : {}),
    ...(facts.allow !== undefined ? { allow: facts.allow } : {}),
    ...(facts.socket !== undefined ? { socket: facts.socket } : {}),
    ...(facts.edgeUri !== undefined ? { edgeUri: facts.edgeUri } : {}),
    ...(facts.connectionId !== undefined ? { connectionId: facts.connectionId } : {}),
  };
  const newRuid = deps.newRuid ?? randomUUID;
  return {
    kind: 'update',
    aor: aor.aor,
    decide: (snap) => {
      const applied = applyRegister(snap.bindings, intent, ctx, config, newRuid);
      // A refusal or a pure retransmission writes nothing (and leaves the version alone).
      return applied.ok && applied.changed ? { next: applied.next, result: applied } : { result: applied };
    },
    answer: (r) => {
      if (!r.ok) return refused({ code: RegisterErrorCode.locationStore, detail: `${r.code} after ${r.attempts} attempts for ${aor.aor}` }, config);
      if (!r.result.ok) return refused(r.result.error, config);
      return accepted(r.result.next, r.result.changes, facts.now, echoPath);
    },
  };
}

/** Runs a prepared REGISTER against the store. Never throws: a failing store is a 500 reply. */
export async function runRegister(store: LocationStore, prepared: PreparedRegister, update?: UpdateAorOptions): Promise<RegisterOutcome> {
  try {
    switch (prepared.kind) {
      case 'done':
        return prepared.outcome;
      case 'query':
        return prepared.answer(await store.get(prepared.aor));
      case 'update':
        return prepared.answer(await updateAor(store, prepared.aor, prepared.decide, update));
    }
  } catch (e) {
    return storeFailed(e);
  }
}

/** The reply when the location store failed. */
export function storeFailed(e: unknown): RegisterOutcome {
  return refused({ code: RegisterErrorCode.locationStore, detail: e instanceof Error ? e.message : String(e) }, DEFAULT_REGISTER_CONFIG);
}

function done(outcome: RegisterOutcome): PreparedRegister {
  return { kind: 'done', outcome };
}

/**
 * Starts reading the AoR a binding-changing REGISTER will update, for processRegister's first
 * attempt (`deps.update.readFirst`), so the read overlaps the authentication's own round trip.
 * Undefined when there is nothing to read ahead (a query, an AoR without a user).
 */
export function readAorAhead(store: LocationStore, facts: RegisterFacts, config: RegisterConfig = DEFAULT_REGISTER_CONFIG): Promise<AorSnapshot> | undefined {
  if (facts.contacts.length === 0) return undefined;
  const aor = canonicalAor(facts.aor, config.useDomain);
  if (!aor.ok) return undefined;
  const snapshot = store.read(aor.aor);
  // unused when authentication fails; when used, a failed read is handled where it is awaited
  snapshot.catch(() => undefined);
  return snapshot;
}

function accepted(bindings: readonly Binding[], changes: BindingChanges, nowMs: number, echoPath: readonly string[]): RegisterOutcome {
  const live = bindings.filter((b) => isLive(b, nowMs));
  return { code: 200, reason: 'OK', headers: okHeaders(live, nowMs, echoPath), changes, bindings: live };
}

function refused(error: RegisterError, config: RegisterConfig): RegisterOutcome {
  const reply = errorReply(error, config.minExpiresSec);
  return { ...reply, changes: NO_CHANGES, bindings: [], error };
}
