/**
 * Dialog CSeq consistency after a uac_auth re-send, kept without dialog state.
 *
 * When a branch answers a 401/407 itself (uac-auth.ts), the re-sent request is a new transaction
 * and carries the CSeq number n+1 (RFC 3261 §8.1.3.5, §22.2: "a new request… with the CSeq
 * incremented"); the caller never saw that request and keeps counting from its own n. A dialog
 * created by the re-sent request therefore starts with two numberings:
 *
 * - the callee stored n+1 as its remote sequence number (§12.1.1) and rejects a later request of
 *   the caller with a lower number with 500 (§12.2.2), while the ACK for its 2xx must carry n+1
 *   (§13.2.2.4, §17.1.1.3) or the 2xx is retransmitted until the callee gives up;
 * - the caller's own requests (ACK n, BYE n+1, re-INVITE, UPDATE, PRACK…) are numbered from n
 *   (§12.2.1.1), and it expects its own numbers in the responses it matches to them.
 *
 * Kamailio has the same problem: uac_auth() alone leaves the CSeq unchanged (peers answer 482),
 * and the fix is the dialog module with `track_cseq_updates=1` + dlg_manage(), which keeps the
 * offset in the dialog (`$dlg_var(cseq_diff)`) and adds it to the caller's later requests, taking
 * it off again in their responses. The edge keeps no dialogs, so the offset travels in the
 * dialog's route set instead, like Kamailio rr's `ftag`:
 *
 * - the re-sent request of a dialog-creating method puts `;cs=<offset>;ftag=<caller's From tag>`
 *   on our Record-Route URI(s); the UAS copies Record-Route into its responses (§12.1.1) and both
 *   ends send every in-dialog request with that URI as a Route entry (§12.2.1.1);
 * - a request whose Route entry for us (or, after a strict router, Request-URI, §16.4) carries
 *   `cs=N` and whose From tag equals `ftag` goes caller → callee: its CSeq number is raised by N
 *   before it is relayed, and the responses to it get the caller's number back on their way
 *   upstream (ProxyTransaction `forwardResponse`). The ACK for the 2xx, a stateless relay, is
 *   raised the same way, and so is the INVITE's number a PRACK names in RAck (RFC 3262 §7.2);
 * - requests of the other direction (From tag = the callee's tag) use the callee's numbering and
 *   are untouched; so are the responses to them;
 * - the responses to the re-sent request itself go upstream with the caller's number (the
 *   branch's `restore.cseq`), and so does a late 2xx retransmission relayed statelessly.
 *
 * The offset is part of the dialog's route set, fixed for its life: only an initial request is
 * ever re-sent (in-dialog requests follow Route and carry no credentials), so it never grows.
 */
import type { SipMessageBase, SipRequest } from '../parser/sip-message.js';
import type { MessageEdits } from '../parser/message-edits.js';

/** Offset of the caller's CSeq numbers in a dialog (Record-Route / Route URI parameter). */
export const CSEQ_OFFSET_PARAM = 'cs';
/** The caller's From tag: which direction the offset applies to (Kamailio rr `ftag`). */
export const FROM_TAG_PARAM = 'ftag';

/** Methods whose initial request creates a dialog (RFC 3261 §12, RFC 6665 §4.1.2.1, RFC 3515 §2.4.4). */
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);

/** Largest offset read back from a Route entry: a request is re-sent once, so anything more is forged. */
const MAX_OFFSET = 16;

export interface DialogCseqOffset {
  readonly by: number;
  readonly ftag: string;
}

export function createsDialog(req: SipRequest): boolean {
  return req.to.tag === undefined && DIALOG_CREATING.has(req.method);
}

/** The Record-Route URI parameters marking a dialog whose caller numbering is `by` behind. */
export function offsetRecordRouteParams(by: number, fromTag: string): string {
  return `;${CSEQ_OFFSET_PARAM}=${String(by)};${FROM_TAG_PARAM}=${escapeParamValue(fromTag)}`;
}

/** The offset named by the parameters of our own Route entry (unescaped, as `parseUri` gives them). */
export function readCseqOffset(params: ReadonlyMap<string, string | null>): DialogCseqOffset | undefined {
  const cs = params.get(CSEQ_OFFSET_PARAM);
  const ftag = params.get(FROM_TAG_PARAM);
  if (cs === undefined || cs === null || ftag === undefined || ftag === null || ftag === '' || !/^[0-9]{1,2}$/.test(cs)) return undefined;
  const by = Number(cs);
  return by >= 1 && by <= MAX_OFFSET ? { by, ftag } : undefined;
}

/**
 * The CSeq number to relay an in-dialog request with, when its dialog carries an offset and the
 * request goes caller → callee; undefined: the number is kept.
 */
export function offsetCseq(offset: DialogCseqOffset | undefined, req: SipRequest): number | undefined {
  if (!offset || req.to.tag === undefined || req.from.tag !== offset.ftag || !Number.isFinite(req.cseq.seq)) return undefined;
  return req.cseq.seq + offset.by;
}

/** Records `CSeq: <seq> <method of msg>` on `edits` (the method is kept, §8.1.1.5). */
export function replaceCseq(msg: SipMessageBase, edits: MessageEdits, seq: number): void {
  const field = msg.headerFields('cseq')[0];
  if (field) edits.replaceHeaderValue(field, `${String(seq)} ${msg.cseq.method}`);
}

/**
 * A PRACK's RAck names the CSeq number of the INVITE whose provisional it acknowledges, in the same
 * numbering as the PRACK's own CSeq (RFC 3262 §7.2): it moves by the same `by`.
 */
export function shiftRack(req: SipRequest, edits: MessageEdits, by: number): void {
  if (req.method !== 'PRACK' || by === 0) return;
  const field = req.headerFields('rack')[0];
  if (!field) return;
  // RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2); only PRACKs come here.
  const m = /^(\d{1,10})\s+(\d{1,10})\s+(\S+)$/.exec(req.fieldValue(field).trim());
  if (!m) return;
  edits.replaceHeaderValue(field, `${m[1] ?? ''} ${String(Number(m[2]) + by)} ${m[3] ?? ''}`);
}

/**
 * A tag is a token (§25.1); of its characters only `%` and the backquote are not allowed in a URI
 * parameter value (paramchar), so they are escaped.
 */
export function escapeParamValue(value: string): string {
  return value.replace(/[%`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
