/**
 * The request of one branch, built from the received request with recorded edits applied once
 * (RFC 3261 §16.6 steps 1-8): Request-URI, Max-Forwards, Record-Route, Route (our entries removed,
 * Path, strict-router handling), our Via on top, the previous hop's Via with received/rport, and
 * the per-route header changes of the route answer; for a uac_auth re-send or a dialog with a CSeq
 * offset (dialog-cseq.ts) also the CSeq number, Record-Route parameters and the digest credentials,
 * and for a user agent behind NAT its Contact with an alias (nat-alias.ts).
 */
import type { Route } from '@sipmesh/contracts';
import { MessageEdits } from '../parser/message-edits.js';
import { quoteDisplayName } from '../parser/name-addr.js';
import type { NameAddr } from '../parser/name-addr.js';
import { serializeRequest } from '../parser/serialize.js';
import type { SipRequest } from '../parser/sip-message.js';
import { decodeHeaderValue, splitListRanges } from '../parser/header-value.js';
import type { Listener } from '../transport/transport.js';
import { replaceCseq, shiftRack } from './dialog-cseq.js';
import { recordRouteLines } from './record-route.js';
import { contactWithAlias } from './nat-alias.js';
import { applyRouteEdits, type RouteSet } from './route-set.js';
import { ourVia } from './via-handling.js';

export interface BranchRequestInput {
  req: SipRequest;
  routeSet: RouteSet;
  route: Route;
  requestUri: string;
  /** Path URIs of the route, sent as Route entries in front of the route set. */
  path: readonly string[];
  strict: { requestUri: string; appendRoute: string } | undefined;
  topVia: string | undefined;
  listener: Listener;
  inbound: Listener;
  branchId: string;
  recordRoute: boolean;
  maxForwardsDefault: number;
  reliable: boolean;
  /** The CSeq number to send instead of the received one (uac_auth re-send, dialog CSeq offset). */
  cseq?: number;
  /** Appended to our Record-Route URI(s): `;cs=1;ftag=…` (dialog-cseq.ts). */
  recordRouteParams?: string;
  /** A header line added at the end: the Authorization / Proxy-Authorization of a uac_auth re-send. */
  credentials?: string;
  /** `alias` added to the Contact URI: the request came from behind NAT (nat-alias.ts). */
  contactAlias?: string;
  /** The body to send instead of the received one (the SDP rewritten by media-control); Content-Length follows. */
  body?: Buffer;
}

export interface BranchRequest {
  bytes: Buffer;
  /** What to put back into responses: From/To when the route changed them, the received CSeq number when it was changed. */
  restore: { from: string | undefined; to: string | undefined; cseq: number | undefined };
}

export function buildBranchRequest(input: BranchRequestInput): BranchRequest {
  const { req, route } = input;
  const edits = new MessageEdits();
  // Lines are put in front of the first header in call order: Record-Route, Max-Forwards and Path
  // Route lines first, then our Via (§16.6 step 8) directly above the Via lines already there.
  const vias = req.headerFields('via');
  const firstVia = vias[0];
  if (input.topVia !== undefined && firstVia) edits.replaceHeaderValue(firstVia, replaceFirstValue(req, firstVia, input.topVia));

  // §16.6 step 3: decrement Max-Forwards, or add one.
  const mf = req.headerFields('max-forwards')[0];
  if (mf && req.maxForwards !== undefined) edits.replaceHeaderValue(mf, String(req.maxForwards - 1));
  else edits.prependHeader(`Max-Forwards: ${String(input.maxForwardsDefault)}`);

  if (input.recordRoute) for (const line of recordRouteLines(input.inbound, input.listener, input.recordRouteParams)) edits.prependHeader(line);
  // §16.6 step 7: a strict next hop leaves the Route set and becomes the Request-URI.
  const strictFromPath = input.strict !== undefined && input.path.length > 0;
  for (const uri of strictFromPath ? input.path.slice(1) : input.path) edits.prependHeader(`Route: <${uri}>`);
  edits.prependHeader(`Via: ${ourVia(input.listener, input.branchId)}`);

  const strictFromRoute = input.strict !== undefined && !strictFromPath;
  applyRouteEdits(req, strictFromRoute ? { ...input.routeSet, popped: input.routeSet.popped + 1 } : input.routeSet, edits);
  if (input.strict) {
    edits.setRequestUri(input.strict.requestUri);
    edits.appendHeader(`Route: ${input.strict.appendRoute}`);
  } else if (input.requestUri !== req.requestUri) {
    edits.setRequestUri(input.requestUri);
  }

  const restore: BranchRequest['restore'] = { from: undefined, to: undefined, cseq: undefined };
  if (input.cseq !== undefined && input.cseq !== req.cseq.seq) {
    replaceCseq(req, edits, input.cseq);
    shiftRack(req, edits, input.cseq - req.cseq.seq);
    restore.cseq = req.cseq.seq;
  }
  const h = route.headers;
  if (h) {
    for (const name of h.remove ?? []) edits.removeHeaders(name);
    if (h.from && (h.from.uri !== undefined || h.from.display !== undefined)) {
      const f = req.headerFields('from')[0];
      if (f) {
        restore.from = req.fieldValue(f);
        edits.replaceHeaderValue(f, rewriteNameAddr(req.from, h.from));
      }
    }
    if (h.to && (h.to.uri !== undefined || h.to.display !== undefined)) {
      const t = req.headerFields('to')[0];
      if (t) {
        restore.to = req.fieldValue(t);
        edits.replaceHeaderValue(t, rewriteNameAddr(req.to, h.to));
      }
    }
    for (const line of extraLines(h.extra)) edits.appendHeader(line);
  }
  if (input.credentials !== undefined) edits.appendHeader(input.credentials);
  if (input.contactAlias !== undefined) {
    const field = req.headerFields('contact')[0];
    const contact = req.contacts[0];
    if (field && contact) edits.replaceHeaderValue(field, contactWithAlias(contact, input.contactAlias));
  }
  if (input.body !== undefined) edits.setBody(input.body);
  return { bytes: serializeRequest(req, edits, { withContentLength: input.reliable }), restore };
}

/** The value of a header line with its first comma-separated element replaced. */
function replaceFirstValue(req: SipRequest, field: ReturnType<SipRequest['headerFields']>[number], first: string): string {
  const ranges = splitListRanges(req.raw, field.valueStart, field.valueEnd);
  if (ranges.length <= 2) return first;
  return `${first}, ${decodeHeaderValue(req.raw, ranges[2] ?? field.valueStart, field.valueEnd)}`;
}

/** rtjson `extra`: "X-A: 1\r\nX-B: 2\r\n" or a list of lines. */
export function extraLines(extra: string | string[] | undefined): string[] {
  if (extra === undefined) return [];
  if (Array.isArray(extra)) return extra;
  return extra.split(/\r?\n/).filter((l) => l.trim() !== '');
}

function rewriteNameAddr(original: NameAddr, change: { display?: string; uri?: string }): string {
  const display = change.display ?? original.display;
  const uri = change.uri ?? original.uri;
  let out = display !== undefined && display !== '' ? `${quoteDisplayName(display)} <${uri}>` : `<${uri}>`;
  for (const [k, v] of original.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
