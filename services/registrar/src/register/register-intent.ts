/**
 * What a REGISTER asks for, decided from its Contact and Expires headers alone (RFC 3261 §10.3
 * steps 6-7) before the location store is read: a query (no Contact), removal of every binding
 * (`*`), or a list of contacts with their lifetimes. Everything that can be refused without
 * knowing the current bindings is refused here, so a refusal never touches the store.
 */
import { parseContactValue, ContactValueErrorCode, type ContactBinding } from './contact-value.js';
import type { RegisterConfig } from './register-config.js';
import { RegisterErrorCode, type RegisterError } from './register-error.js';
import { decideExpiry, parseExpiresHeader } from './registration-expiry.js';

export interface RequestedContact {
  readonly uri: string;
  /** Granted lifetime, s; 0 removes the binding. */
  readonly expiresSec: number;
  readonly q: number | undefined;
  readonly instance: string | undefined;
  /** Only together with an instance: a reg-id alone identifies nothing (RFC 5626 §6), as in Kamailio. */
  readonly regId: number | undefined;
  readonly methods: readonly string[] | undefined;
}

export type RegisterIntent =
  | { readonly kind: 'query' }
  | { readonly kind: 'remove-all' }
  | { readonly kind: 'update'; readonly contacts: readonly RequestedContact[] };

export type RegisterIntentResult =
  | { readonly ok: true; readonly intent: RegisterIntent }
  | { readonly ok: false; readonly error: RegisterError };

export function readRegisterIntent(contactValues: readonly string[], expiresHeader: string | undefined, config: RegisterConfig): RegisterIntentResult {
  const parsed: ContactBinding[] = [];
  let star = false;
  for (const raw of contactValues) {
    const r = parseContactValue(raw);
    if (!r.ok) return refuse(contactErrorCode(r.code), `${r.reason} in Contact ${JSON.stringify(raw)}`);
    if (r.value.kind === 'star') star = true;
    else parsed.push(r.value);
  }
  let headerSec: number | undefined;
  if (expiresHeader !== undefined) {
    headerSec = parseExpiresHeader(expiresHeader);
    if (headerSec === undefined) return refuse(RegisterErrorCode.badExpiresHeader, `Expires: ${expiresHeader}`);
  }
  if (contactValues.length === 0) return { ok: true, intent: { kind: 'query' } };
  if (star) {
    // RFC 3261 §10.3 step 6: '*' only alone and only with Expires: 0.
    if (contactValues.length > 1) return refuse(RegisterErrorCode.starNotAlone, `* with ${contactValues.length - 1} other Contact values`);
    if (headerSec !== 0) return refuse(RegisterErrorCode.starWithExpires, `* with Expires: ${expiresHeader ?? '(none)'}`);
    return { ok: true, intent: { kind: 'remove-all' } };
  }
  if (parsed.filter((c) => c.instance !== undefined && c.regId !== undefined).length > 1) {
    return refuse(RegisterErrorCode.multipleRegId, 'a REGISTER registers one flow at a time (RFC 5626 §6)');
  }
  const contacts: RequestedContact[] = [];
  for (const c of parsed) {
    const expiry = decideExpiry(c.expiresSec, headerSec, config);
    if (!expiry.ok) {
      return refuse(RegisterErrorCode.intervalTooBrief, `${c.uri} asks for less than ${config.minExpiresSec}s`);
    }
    contacts.push({
      uri: c.uri,
      expiresSec: expiry.seconds,
      q: c.q,
      instance: c.instance,
      regId: c.instance === undefined ? undefined : c.regId,
      methods: c.methods,
    });
  }
  return { ok: true, intent: { kind: 'update', contacts } };
}

function contactErrorCode(code: ContactValueErrorCode): RegisterErrorCode {
  switch (code) {
    case ContactValueErrorCode.q:
      return RegisterErrorCode.badQ;
    case ContactValueErrorCode.expires:
      return RegisterErrorCode.badContactExpires;
    default:
      return RegisterErrorCode.badContact;
  }
}

function refuse(code: RegisterErrorCode, detail: string): RegisterIntentResult {
  return { ok: false, error: { code, detail } };
}
