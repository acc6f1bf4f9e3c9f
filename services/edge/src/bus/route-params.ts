/**
 * The facts of a route request (contracts route-request.json `params`), taken from the parsed
 * request once, so a policy in any language never parses SIP.
 */
import { CONTRACT_VERSION, type BranchOutcome, type Party, type RouteParams, type Socket, type UriParts } from '@sipmesh/contracts';
import type { NameAddr } from '../parser/name-addr.js';
import { isListHeader } from '../parser/header-names.js';
import { decodeHeaderValue, splitListRanges } from '../parser/header-value.js';
import type { SipRequest } from '../parser/sip-message.js';
import { parseUri, type SipUri } from '../parser/sip-uri.js';
import type { InboundMessage, Listener } from '../transport/transport.js';
import type { OurAddresses } from '../proxy/our-addresses.js';

export interface RouteParamsInput {
  edgeId: string;
  txId: string;
  req: SipRequest;
  requestUri: string;
  inbound: InboundMessage;
  ours: OurAddresses;
  attempt: number;
  failure?: { status: number; reason: string; branches: BranchOutcome[] } | undefined;
  receivedAt: number;
}

export function buildRouteParams(input: RouteParamsInput): RouteParams {
  const { req, inbound } = input;
  const ruri = input.requestUri === req.requestUri ? req.uri : parseUri(input.requestUri);
  const from = partyOf(req.from, req.fromUri);
  const to = partyOf(req.to, req.toUri);
  const params: RouteParams = {
    version: CONTRACT_VERSION,
    edge: input.edgeId,
    tx: input.txId,
    method: req.method,
    ruri: input.requestUri,
    ruri_parts: uriParts(ruri),
    from,
    to,
    call_id: req.callId,
    cseq: { seq: req.cseq.seq, method: req.cseq.method },
    headers: allHeaders(req),
    source: { ip: inbound.source.ip, port: inbound.source.port, transport: inbound.source.transport },
    socket: socketOf(inbound.listener),
    ours: { ruri: ruri !== undefined && input.ours.isOurDomain(ruri.host), from: from.host !== '' && input.ours.isOurDomain(from.host) },
    auth: null,
    attempt: input.attempt,
    received_at: new Date(input.receivedAt).toISOString(),
  };
  const contact = req.headerValues('contact');
  if (contact.length > 0) params.contact = contact;
  if (req.body.length > 0) {
    const ct = req.header('content-type');
    params.body = ct === undefined ? { length: req.body.length } : { content_type: ct, length: req.body.length };
  }
  if (input.failure) params.failure = input.failure;
  return params;
}

function uriParts(uri: SipUri | undefined): UriParts {
  if (!uri) return { scheme: 'unknown', host: '' };
  const parts: UriParts = { scheme: uri.scheme, host: uri.host };
  if (uri.user !== undefined) parts.user = uri.user;
  if (uri.port !== undefined) parts.port = uri.port;
  if (uri.params.size > 0) parts.params = Object.fromEntries(uri.params);
  return parts;
}

/** A From/To header as contract facts. */
export function partyOf(addr: NameAddr, uri: SipUri | undefined): Party {
  const p: Party = { uri: addr.uri, host: uri?.host ?? '' };
  if (uri?.user !== undefined) p.user = uri.user;
  if (addr.tag !== undefined) p.tag = addr.tag;
  if (addr.display !== undefined) p.display = addr.display;
  return p;
}

function socketOf(l: Listener): Socket {
  return { transport: l.transport, ip: l.ip, port: l.port, advertise: `${l.advertiseHost}:${String(l.advertisePort)}`, ...(l.name !== undefined ? { name: l.name } : {}) };
}

function allHeaders(req: SipRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of req.headers) {
    const list = (out[f.name] ??= []);
    if (isListHeader(f.name)) {
      const ranges = splitListRanges(req.raw, f.valueStart, f.valueEnd);
      for (let i = 0; i + 1 < ranges.length; i += 2) list.push(decodeHeaderValue(req.raw, ranges[i] ?? 0, ranges[i + 1] ?? 0));
    } else {
      list.push(decodeHeaderValue(req.raw, f.valueStart, f.valueEnd));
    }
  }
  return out;
}
