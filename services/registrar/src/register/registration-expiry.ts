/**
 * How long a contact is bound for (RFC 3261 §10.3 step 7): its `expires` parameter, else the
 * Expires header, else the configured default; 0 removes. A requested interval above the maximum
 * is cut to it; one below the minimum is refused with 423 Interval Too Brief, which the RFC allows
 * only for intervals "greater than zero and smaller than one hour".
 */
import { MAX_DELTA_SECONDS } from './contact-value.js';
import type { RegisterConfig } from './register-config.js';

export type ExpiryDecision = { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly tooBrief: true };

const ONE_HOUR_SEC = 3600;

/** The Expires header as delta-seconds (RFC 3261 §20.19), capped at 2^32-1; undefined when malformed. */
export function parseExpiresHeader(value: string): number | undefined {
  const v = value.trim();
  if (!/^\d+$/.test(v)) return undefined;
  return Math.min(Number(v), MAX_DELTA_SECONDS);
}

export function decideExpiry(contactParamSec: number | undefined, headerSec: number | undefined, config: RegisterConfig): ExpiryDecision {
  const requested = contactParamSec ?? headerSec ?? config.defaultExpiresSec;
  if (requested === 0) return { ok: true, seconds: 0 };
  if (requested < config.minExpiresSec && requested < ONE_HOUR_SEC) return { ok: false, tooBrief: true };
  const seconds = config.maxExpiresSec > 0 ? Math.min(requested, config.maxExpiresSec) : requested;
  return { ok: true, seconds };
}
