/**
 * Accounting flags for the whole dialog. The router decides a dialog's accounting on its initial
 * INVITE (the route answer's `acc.flags`, Kamailio FLT_ACC / FLT_ACCMISSED / FLT_ACCFAILED); the
 * requests inside the dialog (BYE, re-INVITE) never reach the router. So the edge writes the flags
 * into its Record-Route entry (`;acc=amf`, one letter per flag) and an in-dialog request that
 * comes back through that entry carries them in its transaction event: the BYE of an accounted
 * call is accounted too, as Kamailio's script does by setting the flags on BYE. Stateless: nothing
 * is kept at the edge.
 *
 * The call's dialog id rides the same way (`;did=<id>`, as Kamailio's dialog module writes its
 * `did`): the BYE names the call it ends even when the edge that tracks calls restarted meanwhile.
 *
 * A call whose media the edge anchored in rtpengine says so the same way (`;mc=<caller's tag>`,
 * transaction-media.ts): a re-INVITE, ACK or BYE from either side knows the call is anchored and
 * which tag is the caller's (media-control's `from_tag`), with or without the edge's memory.
 */
import { isDialogId, type RouteAnswer } from '@sipmesh/contracts';
import { escapeParamValue } from './dialog-cseq.js';

export type AccFlag = NonNullable<NonNullable<RouteAnswer['acc']>['flags']>[number];

const PARAM = 'acc';
const LETTER: Readonly<Record<AccFlag, string>> = { acc: 'a', missed: 'm', failed: 'f' };
const FLAG_OF: Readonly<Record<string, AccFlag>> = { a: 'acc', m: 'missed', f: 'failed' };

/** The Record-Route parameter for these flags (`;acc=af`), or '' when there are none. */
export function accRecordRouteParam(acc: RouteAnswer['acc']): string {
  const flags = acc?.flags ?? [];
  if (flags.length === 0) return '';
  const letters = [...new Set(flags.map((f) => LETTER[f]))].sort().join('');
  return `;${PARAM}=${letters}`;
}

/** The flags of our own Route entry's `acc` parameter; undefined when it has none (or none we know). */
export function readAccFlags(params: ReadonlyMap<string, string | null>): AccFlag[] | undefined {
  const v = params.get(PARAM);
  if (v === undefined || v === null || v.length > 3) return undefined;
  const flags: AccFlag[] = [];
  for (const c of v) {
    const f = FLAG_OF[c];
    if (f !== undefined && !flags.includes(f)) flags.push(f);
  }
  return flags.length > 0 ? flags : undefined;
}

const DID = 'did';

/** The Record-Route parameter naming the call (`;did=<id>`), or '' when the call is not tracked. */
export function dialogRecordRouteParam(dialogId: string | undefined): string {
  return dialogId === undefined ? '' : `;${DID}=${dialogId}`;
}

/** The dialog id of our own Route entry's `did` parameter, when it has a well-formed one. */
export function readDialogId(params: ReadonlyMap<string, string | null>): string | undefined {
  const v = params.get(DID);
  return v !== undefined && v !== null && isDialogId(v) ? v : undefined;
}

const MC = 'mc';

/** The Record-Route parameter of an anchored call (`;mc=<caller's From tag>`), or '' when it is not anchored. */
export function mediaRecordRouteParam(callerTag: string | undefined): string {
  return callerTag === undefined ? '' : `;${MC}=${escapeParamValue(callerTag)}`;
}

/** The caller's tag of an anchored call, from our own Route entry's `mc` parameter (unescaped by parseUri). */
export function readMediaCallerTag(params: ReadonlyMap<string, string | null>): string | undefined {
  const v = params.get(MC);
  return v !== undefined && v !== null && v !== '' && v.length <= 256 ? v : undefined;
}
