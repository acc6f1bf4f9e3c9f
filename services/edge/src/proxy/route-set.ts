/**
 * Route pre-processing (RFC 3261 §16.4) and next-hop choice (§16.6 steps 6-7), computed once per
 * request as plain data; `applyRouteEdits` turns the result into message edits for each branch.
 *
 * - Strict-router compatibility: a Request-URI that is one of our Record-Route URIs means the
 *   previous hop was a strict router; the last Route value becomes the Request-URI.
 * - Our own entries at the top of Route are removed (two of them after a double Record-Route).
 * - The next hop is the first remaining Route; when it is a strict router (no `lr`), the
 *   Request-URI moves to the end of Route and the strict router's URI becomes the Request-URI.
 */
import type { NameAddr } from '../parser/name-addr.js';
import type { HeaderField, SipRequest } from '../parser/sip-message.js';
import { parseUri, isLooseRouter, unescapeUriPart, type SipUri } from '../parser/sip-uri.js';
import type { MessageEdits } from '../parser/message-edits.js';
import { decodeHeaderValue, splitListRanges } from '../parser/header-value.js';
import type { OurAddresses } from './our-addresses.js';
import { readCseqOffset, type DialogCseqOffset } from './dialog-cseq.js';
import { defaultPortFor } from './via-handling.js';
import { ruriAlias } from './nat-alias.js';
import { readAccFlags, readDialogId, readMediaCallerTag, type AccFlag } from './dialog-acc.js';

export interface RouteSet {
  /** Request-URI after strict-router compatibility. */
  requestUri: string;
  /** Route values (as received, in order) that remain after our entries are removed. */
  remaining: NameAddr[];
  /** How many values were removed from the top. */
  popped: number;
  /** The last Route value was moved into the Request-URI (strict-router compatibility). */
  lastMovedToRuri: boolean;
  /** Whether a Route entry naming us was found (Kamailio loose_route() true for in-dialog requests). */
  hadOurRoute: boolean;
  /**
   * The `received` parameter of our own Route entry (Kamailio path `use_received`): where a phone
   * registered through this edge really is (its NAT address), written by whoever routed the request
   * here from another edge. The request goes there.
   */
  received?: string;
  /**
   * The CSeq offset of the dialog, from the `cs`/`ftag` parameters of our own Route entry (or of
   * our URI in the Request-URI after a strict router): see dialog-cseq.ts.
   */
  cseqOffset?: DialogCseqOffset;
  /**
   * In-dialog: the Request-URI had a NAT alias and no Route is left after ours (Kamailio
   * `handle_ruri_alias`): the request goes here; `requestUri` is then without the alias.
   */
  aliasDst?: string;
  /** Accounting flags of the dialog, from the `acc` parameter of our own Route entry (dialog-acc.ts). */
  accFlags?: AccFlag[];
  /** The call's dialog id, from the `did` parameter of our own Route entry (the edge that tracks the call wrote it). */
  dialogId?: string;
  /** The caller's tag of a call whose media the edge anchored, from the `mc` parameter of our own Route entry (dialog-acc.ts). */
  mediaCallerTag?: string;
}

export function processRoutes(req: SipRequest, ours: OurAddresses): RouteSet {
  let routes = req.routes;
  let requestUri = req.requestUri;
  let lastMovedToRuri = false;
  let cseqOffset: DialogCseqOffset | undefined;
  let accFlags: AccFlag[] | undefined;
  let dialogId: string | undefined;
  let mediaCallerTag: string | undefined;
  const ruri = req.uri;
  if (routes.length > 0 && ruri && ruri.user === undefined && isOurUri(ruri, ours)) {
    // §16.4: the previous element was a strict router and put our Record-Route URI into the R-URI.
    const last = routes[routes.length - 1];
    if (last) {
      requestUri = last.uri;
      routes = routes.slice(0, -1);
      lastMovedToRuri = true;
      cseqOffset = readCseqOffset(ruri.params);
      accFlags = readAccFlags(ruri.params);
      dialogId = readDialogId(ruri.params);
      mediaCallerTag = readMediaCallerTag(ruri.params);
    }
  }
  let popped = 0;
  let received: string | undefined;
  while (popped < routes.length && popped < 2) {
    const r = routes[popped];
    const uri = r ? parseUri(r.uri) : undefined;
    if (!uri || !isOurUri(uri, ours)) break;
    popped++;
    const rcv = uri.params.get('received');
    if (rcv) received = receivedTarget(rcv);
    cseqOffset ??= readCseqOffset(uri.params);
    accFlags ??= readAccFlags(uri.params);
    dialogId ??= readDialogId(uri.params);
    mediaCallerTag ??= readMediaCallerTag(uri.params);
    // A single entry unless we wrote two (double Record-Route, r2=on).
    if (!uri.params.has('r2')) break;
  }
  const set: RouteSet = { requestUri, remaining: routes.slice(popped), popped, lastMovedToRuri, hadOurRoute: popped > 0 || lastMovedToRuri };
  if (received !== undefined) set.received = received;
  if (cseqOffset !== undefined) set.cseqOffset = cseqOffset;
  if (accFlags !== undefined) set.accFlags = accFlags;
  if (dialogId !== undefined) set.dialogId = dialogId;
  if (mediaCallerTag !== undefined) set.mediaCallerTag = mediaCallerTag;
  return set;
}

/** Kamailio `handle_ruri_alias` on an in-dialog route set: a NAT alias in the Request-URI becomes the destination. */
export function takeRuriAlias(set: RouteSet): void {
  // Most in-dialog requests carry none: no URI parse for them.
  if (set.remaining.length > 0 || !/;alias=/i.test(set.requestUri)) return;
  const alias = ruriAlias(set.requestUri);
  if (!alias) return;
  set.requestUri = alias.requestUri;
  set.aliasDst = alias.dstUri;
}

/** A `received` value (escaped or quoted `sip:ip:port;transport=x`) as a URI, or undefined when it is not one. */
function receivedTarget(raw: string): string | undefined {
  const text = unescapeUriPart(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
  return parseUri(text) ? text : undefined;
}

/** A sip/sips URI naming this edge (Kamailio `myself`, by address, advertised name or domain). */
export function isOurUri(uri: SipUri, ours: OurAddresses): boolean {
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') return false;
  const transport = uri.params.get('transport') ?? (uri.scheme === 'sips' ? 'tls' : 'udp');
  return ours.isEdge(uri.host, uri.port, defaultPortFor(transport));
}

/** Records the Route/R-URI changes of `set` on `edits` (fields of `req`). */
export function applyRouteEdits(req: SipRequest, set: RouteSet, edits: MessageEdits): void {
  if (set.popped === 0 && !set.lastMovedToRuri) return;
  const fields = req.headerFields('route');
  let toPop = set.popped;
  for (const f of fields) {
    if (toPop === 0) break;
    const count = valueCount(req, f);
    if (count <= toPop) {
      edits.removeHeader(f);
      toPop -= count;
    } else {
      for (; toPop > 0; toPop--) edits.removeFirstValue(f);
    }
  }
  if (set.lastMovedToRuri) {
    const last = fields[fields.length - 1];
    if (last) {
      const values = splitValues(req, last);
      if (values.length <= 1) edits.removeHeader(last);
      else edits.replaceHeaderValue(last, values.slice(0, -1).join(', '));
    }
  }
}

/** The comma-separated values of one header line (§7.3.1). */
function splitValues(req: SipRequest, field: HeaderField): string[] {
  const ranges = splitListRanges(req.raw, field.valueStart, field.valueEnd);
  const out: string[] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) out.push(decodeHeaderValue(req.raw, ranges[i] ?? 0, ranges[i + 1] ?? 0));
  return out;
}

function valueCount(req: SipRequest, field: HeaderField): number {
  return splitListRanges(req.raw, field.valueStart, field.valueEnd).length / 2;
}

export interface NextHopChoice {
  /** The URI whose host, port and transport say where the request goes. */
  uri: SipUri;
  /** Strict router next hop (§16.6 step 7): the R-URI to send and the Route value to append. */
  strict: { requestUri: string; appendRoute: string } | undefined;
}

/**
 * §16.6 steps 6-7 for one branch: an explicit next hop (`dst_uri`, Kamailio $du) wins, then the
 * first Route (the route set plus any Path of the branch), then the Request-URI.
 */
export function chooseNextHop(branchRuri: string, routes: readonly string[], dstUri: string | undefined): NextHopChoice | undefined {
  if (dstUri !== undefined) {
    const uri = parseUri(dstUri);
    return uri ? { uri, strict: undefined } : undefined;
  }
  const first = routes[0];
  if (first !== undefined) {
    const uri = parseUri(first);
    if (!uri) return undefined;
    if (!isLooseRouter(uri)) return { uri, strict: { requestUri: first, appendRoute: `<${branchRuri}>` } };
    return { uri, strict: undefined };
  }
  const uri = parseUri(branchRuri);
  return uri ? { uri, strict: undefined } : undefined;
}
