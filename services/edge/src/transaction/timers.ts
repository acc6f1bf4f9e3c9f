/**
 * RFC 3261 Table 4 (and RFC 6026 Timers L and M, RFC 3261 §16.8 Timer C), derived once from
 * configuration into two frozen profiles, one per kind of transport. A transaction receives the
 * profile of its transport and never reads module state.
 *
 * Zero means "fire at once" (Table 4: D, I, J, K are 0 s over reliable transports, so the transaction
 * terminates immediately). The retransmission timers A, E and G keep their T1 start value in both
 * profiles; over a reliable transport the machines simply never start them (`reliable`).
 */
import { TransactionErrorCode } from './transaction-error.js';
import type { TransactionResult } from './transaction-error.js';

export interface TransactionTimerConfig {
  /** RTT estimate (§17.1.1.1), ms. RFC default 500. */
  readonly t1Ms: number;
  /** Cap on the retransmission interval of non-INVITE requests and INVITE responses, ms. RFC default 4000. */
  readonly t2Ms: number;
  /** Maximum time a message stays in the network, ms. RFC default 5000. */
  readonly t4Ms: number;
  /** Proxy INVITE timeout (§16.8), ms; the RFC requires more than 3 minutes. */
  readonly timerCMs: number;
  /** Wait for response retransmissions over unreliable transports (§17.1.1.2), ms; at least 32000. */
  readonly timerDMs: number;
}

/** The values RFC 3261 recommends; Timer C is 3 min 1 s, the shortest value §16.8 allows. */
export const RFC3261_TIMER_DEFAULTS: TransactionTimerConfig = Object.freeze({
  t1Ms: 500,
  t2Ms: 4000,
  t4Ms: 5000,
  timerCMs: 181_000,
  timerDMs: 32_000,
});

export interface TransactionTimers {
  /** Reliable transports (TCP, TLS, WS, SCTP) get no retransmissions and zero wait timers. */
  readonly reliable: boolean;
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly t4Ms: number;
  /** INVITE request retransmit, initial interval; doubles without cap (§17.1.1.2). */
  readonly timerAMs: number;
  /** INVITE transaction timeout, 64*T1. */
  readonly timerBMs: number;
  /** Proxy INVITE transaction timeout (§16.8). */
  readonly timerCMs: number;
  /** Wait time for response retransmits: timerDMs (>= 32 s) unreliable, 0 reliable. */
  readonly timerDMs: number;
  /** Non-INVITE request retransmit, initial interval; doubles up to T2 (§17.1.2.2). */
  readonly timerEMs: number;
  /** Non-INVITE transaction timeout, 64*T1. */
  readonly timerFMs: number;
  /** INVITE response retransmit, initial interval; doubles up to T2 (§17.2.1). */
  readonly timerGMs: number;
  /** Wait time for ACK receipt, 64*T1. */
  readonly timerHMs: number;
  /** Wait time for ACK retransmits: T4 unreliable, 0 reliable. */
  readonly timerIMs: number;
  /** Wait time for non-INVITE request retransmits: 64*T1 unreliable, 0 reliable. */
  readonly timerJMs: number;
  /** Wait time for non-INVITE response retransmits: T4 unreliable, 0 reliable. */
  readonly timerKMs: number;
  /** RFC 6026 §7.1: INVITE server lingers in Accepted for 2xx retransmissions and their ACKs, 64*T1. */
  readonly timerLMs: number;
  /** RFC 6026 §7.2: INVITE client lingers in Accepted for further 2xx, 64*T1. */
  readonly timerMMs: number;
  /** RFC 3261 §9.1: after a CANCEL, wait 64*T1 for the INVITE's final response, then give up. */
  readonly cancelWaitMs: number;
}

export interface TransactionTimerProfiles {
  readonly unreliable: TransactionTimers;
  readonly reliable: TransactionTimers;
}

/** Validates the configuration and derives both profiles. */
export function deriveTransactionTimers(config: TransactionTimerConfig): TransactionResult<TransactionTimerProfiles> {
  const problem = findProblem(config);
  if (problem !== undefined) return { ok: false, error: { code: TransactionErrorCode.TimerConfig, message: problem } };
  return {
    ok: true,
    value: Object.freeze({ unreliable: profile(config, false), reliable: profile(config, true) }),
  };
}

/** Timer A: the interval doubles at every firing, with no cap (§17.1.1.2). */
export function nextTimerAMs(previousMs: number): number {
  return previousMs * 2;
}

/** Timers E (in Trying) and G: the interval doubles up to T2 (§17.1.2.2, §17.2.1). */
export function nextCappedIntervalMs(previousMs: number, t2Ms: number): number {
  return Math.min(previousMs * 2, t2Ms);
}

function profile(config: TransactionTimerConfig, reliable: boolean): TransactionTimers {
  const { t1Ms, t2Ms, t4Ms } = config;
  const sixtyFourT1 = 64 * t1Ms;
  return Object.freeze({
    reliable,
    t1Ms,
    t2Ms,
    t4Ms,
    timerAMs: t1Ms,
    timerBMs: sixtyFourT1,
    timerCMs: config.timerCMs,
    timerDMs: reliable ? 0 : config.timerDMs,
    timerEMs: t1Ms,
    timerFMs: sixtyFourT1,
    timerGMs: t1Ms,
    timerHMs: sixtyFourT1,
    timerIMs: reliable ? 0 : t4Ms,
    timerJMs: reliable ? 0 : sixtyFourT1,
    timerKMs: reliable ? 0 : t4Ms,
    timerLMs: sixtyFourT1,
    timerMMs: sixtyFourT1,
    cancelWaitMs: sixtyFourT1,
  });
}

function findProblem(config: TransactionTimerConfig): string | undefined {
  for (const name of ['t1Ms', 't2Ms', 't4Ms', 'timerCMs', 'timerDMs'] as const) {
    const value = config[name];
    if (!Number.isInteger(value) || value <= 0) return `${name} must be a positive integer of milliseconds, got ${value}`;
  }
  if (config.t2Ms < config.t1Ms) return `t2Ms (${config.t2Ms}) must not be below t1Ms (${config.t1Ms})`;
  // §16.8: "The value of this timer MUST be greater than 3 minutes."
  if (config.timerCMs <= 180_000) return `timerCMs must be greater than 3 minutes (RFC 3261 §16.8), got ${config.timerCMs}`;
  // §17.1.1.2: "a value of at least 32 seconds for unreliable transports".
  if (config.timerDMs < 32_000) return `timerDMs must be at least 32000 (RFC 3261 §17.1.1.2), got ${config.timerDMs}`;
  return undefined;
}
