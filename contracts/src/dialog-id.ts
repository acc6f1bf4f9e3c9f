/**
 * The id of a call (dialog) on the bus: the first 20 hex digits of SHA-1 over the initial INVITE's
 * Call-ID, From tag and CSeq number. The edge puts it on its Record-Route entry, so every request of
 * the dialog names it; any service that sees the INVITE (a router enforcing a concurrent-call
 * limit) computes the same id without asking anybody. The CSeq keeps apart an INVITE sent again
 * after a 401/407 or a 491 with the same Call-ID and tag.
 */
import { createHash } from 'node:crypto';

export function dialogId(callId: string, fromTag: string, cseq: number): string {
  return createHash('sha1').update(`${callId}\n${fromTag}\n${String(cseq)}`).digest('hex').slice(0, 20);
}

const DIALOG_ID = /^[0-9a-f]{20}$/;

/** True when `s` has the form of a dialog id. */
export function isDialogId(s: string): boolean {
  return DIALOG_ID.test(s);
}
