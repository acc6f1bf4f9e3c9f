/**
 * Header lines of the registrar's replies. The 200 lists every current binding with the seconds it
 * has left (RFC 3261 §10.3 step 8), its q when given, the NAT `received` address in quotes (as
 * Kamailio's registrar prints it) and RFC 5626 `+sip.instance` / `reg-id`; it echoes the Path of
 * the request when the phone supports it (RFC 3327 §5.3) and carries a Date (§10.3 step 8, §20.17).
 */
import { remainingSeconds, type Binding } from '../location/index.js';
import { orderForForking } from './lookup.js';
import { REGISTER_ERROR_REPLY, RegisterErrorCode, type RegisterError } from './register-error.js';

export function contactHeaderValue(b: Binding, nowMs: number): string {
  let v = `<${b.contact}>;expires=${remainingSeconds(b, nowMs)}`;
  if (b.q !== undefined) v += `;q=${formatQ(b.q)}`;
  if (b.received !== undefined) v += `;received="${b.received}"`;
  if (b.instance !== undefined) v += `;+sip.instance="${b.instance}"`;
  if (b.regId !== undefined) v += `;reg-id=${b.regId}`;
  return v;
}

/** RFC 1123 date in GMT, the form §20.17 requires. */
export function dateHeaderValue(nowMs: number): string {
  return new Date(nowMs).toUTCString();
}

export function okHeaders(bindings: readonly Binding[], nowMs: number, echoPath: readonly string[]): string[] {
  const headers = orderForForking(bindings)
    .flat()
    .map((b) => `Contact: ${contactHeaderValue(b, nowMs)}`);
  for (const p of echoPath) headers.push(`Path: ${p}`);
  headers.push(`Date: ${dateHeaderValue(nowMs)}`);
  return headers;
}

export interface ErrorReplyLines {
  readonly code: number;
  readonly reason: string;
  readonly headers: string[];
}

export function errorReply(error: RegisterError, minExpiresSec: number): ErrorReplyLines {
  const r = REGISTER_ERROR_REPLY[error.code];
  const headers = [`P-Registrar-Error: ${r.info}`];
  if (error.code === RegisterErrorCode.intervalTooBrief) headers.push(`Min-Expires: ${minExpiresSec}`);
  if (error.code === RegisterErrorCode.pathUnsupported) headers.push('Unsupported: path');
  return { code: r.status, reason: r.reason, headers };
}

/** qvalue text: at most three decimals, no trailing zeros (`1`, `0.5`, `0.125`). */
function formatQ(q: number): string {
  return String(Number(q.toFixed(3)));
}
