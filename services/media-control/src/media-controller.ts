/**
 * offer, answer and delete as the edge asks them, turned into ng commands to the right
 * rtpengine.
 *
 * - A known call (affinity) goes to its instance, whatever its health says, unless that
 *   instance is down: then mediaUnavailable at once, because the session lives there and no
 *   other instance can answer for it. A disabled instance still serves its calls (disable drains).
 * - A new call (an offer without affinity) claims an instance picked from its set, and moves
 *   on to the next healthy one when the offer times out, gets `load limit`, cannot be sent, or
 *   rtpengine ran out of ports: none of these leaves a session behind (after a timeout a
 *   best-effort delete goes to the instance anyway, in case the offer did land late).
 *   Other error replies (an SDP rtpengine cannot parse) are the request's fault: mediaRejected,
 *   no failover, another instance would say the same.
 * - No affinity for an answer, a delete or an in-dialog re-offer (it has a to-tag): the
 *   instances that are not down are asked with `query` whether they hold the call (the offer
 *   may have come through a media-control with a memory store, or Redis lost the key); the one
 *   that does is adopted. None: the answer is mediaRejected "unknown call", the delete
 *   answers `deleted: false`, the re-offer is treated as a new call.
 */
import { isIP } from 'node:net';
import { CONTRACT_VERSION, type MediaParams, type MediaResult } from '@sipmesh/contracts';
import type { Logger } from '@sipmesh/runtime';
import type { AffinityEntry, AffinityStore } from './affinity.js';
import { FlagsError, flagsToNg, mergeFlags, type FlagMethod } from './flags.js';
import { HealthInput, HealthState } from './health.js';
import type { InstancePool, RtpengineInstance } from './instances.js';
import type { NgClient } from './ng/ng-client.js';
import { isNgError, NgErrorCode, type NgError } from './ng/ng-error.js';
import type { NgArgs, NgArgValue, NgReply } from './ng/ng-messages.js';
import type { MediaProfile } from './profiles.js';

export const MediaErrorKind = {
  /** The request cannot be served as asked (missing SDP, bad flags, unknown set): JSON-RPC invalid params. */
  invalid: 'invalid',
  /** No instance can take it (all down, timed out, at their load limit), or the call's instance is down. */
  unavailable: 'unavailable',
  /** rtpengine refused the command (its error-reason), or the call is unknown. */
  rejected: 'rejected',
} as const;
export type MediaErrorKind = (typeof MediaErrorKind)[keyof typeof MediaErrorKind];

export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    readonly kind: MediaErrorKind,
    message: string,
    /** The instance concerned, when there is one. */
    readonly instance?: string,
  ) {
    super(message);
  }
}

/** What the service measures; the app binds it to its metrics. */
export interface MediaObserver {
  ngCommand(command: string, instance: string, seconds: number, outcome: string): void;
  failover(set: string, from: string, reason: string): void;
}

export interface MediaControllerOptions {
  readonly ng: Pick<NgClient, 'offer' | 'answer' | 'delete' | 'query'>;
  readonly pool: InstancePool;
  readonly affinity: AffinityStore;
  readonly profiles: ReadonlyMap<string, MediaProfile>;
  readonly defaultSet: string;
  readonly logger: Logger;
  readonly observer?: MediaObserver;
  readonly now?: () => number;
}

/** rtpengine's warning on a delete of a call or tags it does not have (10.5: result ok). */
const NOT_FOUND = /not found|unknown call/i;
/** Error replies that are about the instance, not the request: another instance may take the call. */
const CAPACITY_ERROR = /ran out of ports|too many|load limit|no more/i;

export class MediaController {
  private readonly now: () => number;

  constructor(private readonly options: MediaControllerOptions) {
    this.now = options.now ?? Date.now;
  }

  // ------------------------------------------------------------ commands

  async offer(p: MediaParams): Promise<MediaResult> {
    if (p.sdp === undefined) throw new MediaError(MediaErrorKind.invalid, 'offer needs sdp');
    const args = this.args('offer', p);
    const known = (await this.affinity().get(p.call_id)) ?? (p.to_tag !== undefined ? await this.locate(p) : undefined);
    if (known !== undefined) return this.onKnownCall('offer', p, args, known);
    return this.newCall(p, mergeFlags(args, { supports: ['load limit'] }));
  }

  async answer(p: MediaParams): Promise<MediaResult> {
    if (p.sdp === undefined) throw new MediaError(MediaErrorKind.invalid, 'answer needs sdp');
    if (p.to_tag === undefined) throw new MediaError(MediaErrorKind.invalid, "answer needs to_tag (the callee's tag)");
    const args = this.args('answer', p);
    const known = (await this.affinity().get(p.call_id)) ?? (await this.locate(p));
    if (known === undefined) {
      throw new MediaError(MediaErrorKind.rejected, `unknown call ${p.call_id}: no offer for it went through media-control and no rtpengine that is up holds it`);
    }
    return this.onKnownCall('answer', p, args, known);
  }

  async delete(p: MediaParams): Promise<MediaResult> {
    const args = this.args('delete', p);
    const wholeCall = p.to_tag === undefined && p.via_branch === undefined;
    const known = (await this.affinity().get(p.call_id)) ?? (await this.locate(p));
    if (known === undefined) return { version: CONTRACT_VERSION, instance: '', deleted: false };
    const forget = async (): Promise<void> => {
      if (wholeCall) await this.affinityQuietly(() => this.affinity().remove(p.call_id, known.instance));
    };
    const instance = this.instanceOf(p.call_id, known);
    if (instance === undefined || instance.health.state === HealthState.down) {
      // The call is over for SIP whatever happens here; rtpengine's own timeout ends the session.
      await forget();
      throw this.heldByUnavailable(p.call_id, known.instance, instance);
    }
    let deleted: boolean;
    try {
      const reply = await this.send('delete', instance, args);
      deleted = !(typeof reply.warning === 'string' && NOT_FOUND.test(reply.warning));
    } catch (error) {
      // With the `fatal` flag rtpengine says it as an error; either way the call is not there.
      if (!(error instanceof MediaError && error.kind === MediaErrorKind.rejected && NOT_FOUND.test(error.message))) throw error;
      deleted = false;
    }
    if (wholeCall || (deleted && !(await this.stillHeld(instance, p.call_id)))) {
      await this.affinityQuietly(() => this.affinity().remove(p.call_id, known.instance));
    } else {
      await this.refresh(p, known, 'delete');
    }
    return { version: CONTRACT_VERSION, instance: instance.key, deleted };
  }

  // ------------------------------------------------------------ routing

  private affinity(): AffinityStore {
    return this.options.affinity;
  }

  private instanceOf(callId: string, entry: AffinityEntry): RtpengineInstance | undefined {
    const instance = this.options.pool.get(entry.instance);
    if (instance === undefined) this.options.logger.warn({ callId, instance: entry.instance }, 'call held by an rtpengine that is not configured here');
    return instance;
  }

  private heldByUnavailable(callId: string, key: string, instance: RtpengineInstance | undefined): MediaError {
    const why = instance === undefined ? 'is not configured in this media-control' : 'is down';
    return new MediaError(MediaErrorKind.unavailable, `rtpengine ${key}, which holds call ${callId}, ${why}`, key);
  }

  private async onKnownCall(method: 'offer' | 'answer', p: MediaParams, args: NgArgs, entry: AffinityEntry): Promise<MediaResult> {
    const instance = this.instanceOf(p.call_id, entry);
    if (instance === undefined || instance.health.state === HealthState.down) throw this.heldByUnavailable(p.call_id, entry.instance, instance);
    const reply = await this.send(method, instance, args);
    await this.refresh(p, entry, method);
    return { version: CONTRACT_VERSION, instance: instance.key, sdp: reply.sdp as string };
  }

  private async newCall(p: MediaParams, args: NgArgs): Promise<MediaResult> {
    const { pool, logger } = this.options;
    const set = p.set ?? this.options.defaultSet;
    if (!pool.hasSet(set)) throw new MediaError(MediaErrorKind.invalid, `unknown rtpengine set "${set}" (sets: ${pool.setNames().join(', ')})`);
    const candidates = pool.candidates(set);
    const first = candidates[0];
    if (first === undefined) throw new MediaError(MediaErrorKind.unavailable, `no rtpengine of set "${set}" is up and enabled (${pool.describeSet(set)})`);
    const now = this.now();
    const entry: AffinityEntry = {
      instance: first.key,
      set,
      created: now,
      updated: now,
      lastMethod: 'offer',
      ...(p.edge !== undefined ? { edge: p.edge } : {}),
      ...(p.dialog_id !== undefined ? { dialogId: p.dialog_id } : {}),
    };
    const existing = await this.affinity().claim(p.call_id, entry);
    // Another offer of the same call got there first (a retransmission through another edge).
    if (existing !== undefined) return this.onKnownCall('offer', p, args, existing);
    const failures: string[] = [];
    for (const instance of candidates) {
      try {
        const reply = await this.send('offer', instance, args, true);
        if (instance !== first) await this.affinityQuietly(() => this.affinity().put(p.call_id, { ...entry, instance: instance.key }, first.key));
        return { version: CONTRACT_VERSION, instance: instance.key, sdp: reply.sdp as string };
      } catch (error) {
        if (!(error instanceof FailoverError)) {
          await this.affinityQuietly(() => this.affinity().remove(p.call_id, first.key));
          throw error;
        }
        failures.push(`${instance.key}: ${error.message}`);
        this.options.observer?.failover(set, instance.key, error.reason);
        logger.warn({ callId: p.call_id, instance: instance.key, set, reason: error.message }, 'offer failed over to the next rtpengine');
        if (error.reason === NgErrorCode.timeout) this.bestEffortDelete(instance, p);
      }
    }
    await this.affinityQuietly(() => this.affinity().remove(p.call_id, first.key));
    throw new MediaError(MediaErrorKind.unavailable, `no rtpengine of set "${set}" took call ${p.call_id}: ${failures.join('; ')}`);
  }

  /** Asks every instance that is not down whether it holds the call; adopts the first that does. */
  private async locate(p: MediaParams): Promise<AffinityEntry | undefined> {
    const { pool } = this.options;
    const asked = pool.all().filter((i) => i.health.state !== HealthState.down);
    const found = await Promise.all(
      asked.map(async (instance) => {
        try {
          await this.timed('query', instance, () => this.options.ng.query(instance, { 'call-id': p.call_id }));
          return instance;
        } catch {
          return undefined;
        }
      }),
    );
    const holder = found.find((i) => i !== undefined);
    if (holder === undefined) return undefined;
    const set = pool.setsOf(holder.key)[0] ?? this.options.defaultSet;
    const now = this.now();
    const entry: AffinityEntry = { instance: holder.key, set, created: now, updated: now, lastMethod: 'query', ...(p.edge !== undefined ? { edge: p.edge } : {}) };
    this.options.logger.info({ callId: p.call_id, instance: holder.key }, 'call without affinity found on an rtpengine; adopted');
    await this.affinityQuietly(() => this.affinity().put(p.call_id, entry));
    return entry;
  }

  /**
   * After a branch delete: rtpengine removes the whole call with its last branch (10.5 does),
   * and then the affinity must go too. Only an "unknown call" answer says it is gone.
   */
  private async stillHeld(instance: RtpengineInstance, callId: string): Promise<boolean> {
    try {
      await this.timed('query', instance, () => this.options.ng.query(instance, { 'call-id': callId }));
      return true;
    } catch (error) {
      return !(isNgError(error, NgErrorCode.errorReply) && NOT_FOUND.test(error.errorReason ?? ''));
    }
  }

  private async refresh(p: MediaParams, entry: AffinityEntry, method: FlagMethod): Promise<void> {
    await this.affinityQuietly(() => this.affinity().put(p.call_id, { ...entry, updated: this.now(), lastMethod: method }));
  }

  /**
   * Affinity writes after rtpengine did its part: a Redis hiccup must not turn a done command
   * into an error (the edge would retry or give up on a call whose media is anchored). Reads
   * are not wrapped: without them the command cannot be routed.
   */
  private async affinityQuietly(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'affinity store write failed');
    }
  }

  private bestEffortDelete(instance: RtpengineInstance, p: MediaParams): void {
    // No via-branch: the call was new, nothing of it may stay on that instance.
    this.options.ng.delete(instance, { 'call-id': p.call_id, 'from-tag': p.from_tag }).catch(() => undefined);
  }

  // ------------------------------------------------------------ ng

  private args(method: FlagMethod, p: MediaParams): NgArgs {
    let flags: NgArgs;
    try {
      flags = flagsToNg(p.flags, (name) => this.options.profiles.get(name)?.flags[method]);
    } catch (error) {
      if (error instanceof FlagsError) throw new MediaError(MediaErrorKind.invalid, error.message);
      throw error;
    }
    let receivedFrom: string[] | undefined;
    if (p.received_from !== undefined) {
      const family = isIP(p.received_from);
      if (family === 0) throw new MediaError(MediaErrorKind.invalid, `received_from "${p.received_from}" is not an IP address`);
      receivedFrom = [family === 6 ? 'IP6' : 'IP4', p.received_from];
    }
    // rtpengine's from-tag is the offerer's: the callee's tag when the callee offered (late offer,
    // re-INVITE from the callee), for that offer and the caller's answer to it. Flags written for
    // caller-to-callee then have their direction pair reversed.
    const side = p.side ?? (method === 'answer' ? 'callee' : 'caller');
    const swapped = method !== 'delete' && side === (method === 'offer' ? 'callee' : 'caller');
    if (swapped && p.to_tag === undefined) throw new MediaError(MediaErrorKind.invalid, `${method} of the ${side}'s SDP needs to_tag (the callee's tag)`);
    if (swapped && Array.isArray(flags['direction'])) flags = { ...flags, direction: [...(flags['direction'] as NgArgValue[])].reverse() };
    const offerer = swapped ? (p.to_tag as string) : p.from_tag;
    const other = swapped ? p.from_tag : p.to_tag;
    return {
      ...flags,
      'call-id': p.call_id,
      'from-tag': offerer,
      ...(other !== undefined ? { 'to-tag': other } : {}),
      ...(p.via_branch !== undefined ? { 'via-branch': p.via_branch } : {}),
      ...(method !== 'delete' && p.sdp !== undefined ? { sdp: p.sdp } : {}),
      ...(receivedFrom !== undefined && method !== 'delete' ? { 'received-from': receivedFrom } : {}),
    };
  }

  private async timed<T>(command: string, instance: RtpengineInstance, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const reply = await run();
      this.options.observer?.ngCommand(command, instance.key, (performance.now() - started) / 1000, 'ok');
      return reply;
    } catch (error) {
      this.options.observer?.ngCommand(command, instance.key, (performance.now() - started) / 1000, isNgError(error) ? error.code : 'error');
      throw error;
    }
  }

  /**
   * One ng command; NgErrors become MediaErrors (or FailoverErrors for a new call's offer) and
   * feed the instance's health: an answer of any kind is `ok`, a timeout or a send failure `fail`.
   */
  private async send(command: 'offer' | 'answer' | 'delete', instance: RtpengineInstance, args: NgArgs, newCall = false): Promise<NgReply> {
    const { ng, pool } = this.options;
    try {
      const reply = await this.timed(command, instance, () =>
        // Both typed helpers take the same arguments; `args` carries every key the command needs (built by args()).
        command === 'delete' ? ng.delete(instance, args as never) : command === 'offer' ? ng.offer(instance, args as never) : ng.answer(instance, args as never),
      );
      pool.report(instance, HealthInput.ok);
      return reply;
    } catch (error) {
      if (!isNgError(error)) throw error;
      return this.failed(command, instance, error, newCall);
    }
  }

  private failed(command: string, instance: RtpengineInstance, error: NgError, newCall: boolean): never {
    const { pool } = this.options;
    const where = `rtpengine ${instance.key}`;
    switch (error.code) {
      case NgErrorCode.errorReply: {
        pool.report(instance, HealthInput.ok);
        const reason = error.errorReason ?? '(no error-reason)';
        if (newCall && CAPACITY_ERROR.test(reason)) throw new FailoverError(NgErrorCode.errorReply, `refused: ${reason}`);
        throw new MediaError(MediaErrorKind.rejected, `${where} refused '${command}': ${reason}`, instance.key);
      }
      case NgErrorCode.loadLimit:
        pool.report(instance, HealthInput.ok);
        if (newCall) throw new FailoverError(error.code, 'at its load limit');
        throw new MediaError(MediaErrorKind.unavailable, `${where} is at its load limit`, instance.key);
      case NgErrorCode.timeout:
      case NgErrorCode.socketError:
        pool.report(instance, HealthInput.fail, { error: error.message });
        if (newCall) throw new FailoverError(error.code, error.code === NgErrorCode.timeout ? 'no answer in time' : error.message);
        throw new MediaError(MediaErrorKind.unavailable, error.message, instance.key);
      case NgErrorCode.queueFull:
      case NgErrorCode.badReply:
        if (newCall) throw new FailoverError(error.code, error.message);
        throw new MediaError(MediaErrorKind.unavailable, error.message, instance.key);
      case NgErrorCode.invalidRequest:
      case NgErrorCode.requestTooLarge:
        throw new MediaError(MediaErrorKind.invalid, error.message, instance.key);
      default:
        throw new MediaError(MediaErrorKind.unavailable, error.message, instance.key);
    }
  }
}

/** Inside newCall only: this instance cannot take the call, the next one may. */
class FailoverError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}
