/**
 * Accounting flags for the whole dialog. The router decides a dialog's accounting on its initial
 * INVITE (the route answer's `acc.flags`, Kamailio FLT_ACC / FLT_ACCMISSED / FLT_ACCFAILED); the
 * requests inside the dialog (BYE, re-INVITE) never reach the router. So the edge writes the flags
 * into its Record-Route entry (`;acc=amf`, one letter per flag) and an in-dialog request that
 * comes back through that entry carries them in its transaction event: the BYE of an accounted
 * call is accounted too, as Kamailio's script does by setting the flags on BYE. Stateless: nothing
 * is kept at the edge.
 */
import type { RouteAnswer } from '@sipmesh/contracts';

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
