/**
 * The edge side of contracts edge-request.json: a service that never speaks SIP (the registrar
 * registering sipmesh to carriers, like Kamailio's uac_reg) asks an edge to send one out-of-dialog
 * non-INVITE request and gets the final response back with all its header lines. The service keeps
 * the state; the edge writes Via, Max-Forwards, Content-Length and, when asked, a Contact naming
 * the listener the request leaves from.
 */
import type { EdgeRequestParams, EdgeRequestResult } from '@sipmesh/contracts';
import { canonicalHeaderName, HeaderName } from '../parser/header-names.js';
import type { RequestSender } from './request-sender.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** Headers the edge writes itself; a second copy from the caller would make the request ambiguous. */
const WRITTEN_BY_EDGE: ReadonlySet<string> = new Set([
  HeaderName.via,
  HeaderName.maxForwards,
  HeaderName.from,
  HeaderName.to,
  HeaderName.callId,
  HeaderName.cseq,
  HeaderName.contentLength,
  HeaderName.contentType,
]);

/** RFC 3261 §25.1 token: what a tag must be (§19.3). */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

/**
 * What the schema cannot say about a request that passed it; empty when it can be sent. Each
 * problem names its parameter, for the JSON-RPC invalid params error.
 */
export function edgeRequestProblems(params: EdgeRequestParams): string[] {
  const problems: string[] = [];
  (params.headers ?? []).forEach((line, i) => {
    const spelt = line.slice(0, line.indexOf(':')).trim();
    const name = canonicalHeaderName(spelt);
    if (WRITTEN_BY_EDGE.has(name)) problems.push(`headers[${String(i)}]: the edge writes ${spelt} itself${name === HeaderName.contentType ? ' (use content_type)' : ''}`);
    else if (name === HeaderName.contact && params.contact_user !== undefined) problems.push(`headers[${String(i)}]: a Contact line and contact_user together`);
  });
  if (params.contact_params !== undefined && params.contact_user === undefined) problems.push('contact_params: given without contact_user');
  if (params.from_tag !== undefined && !TOKEN.test(params.from_tag)) problems.push('from_tag: not a token (RFC 3261 §25.1)');
  if (params.content_type !== undefined && /[\r\n]/.test(params.content_type)) problems.push('content_type: contains CR or LF');
  // RFC 3261 §20.15: a non-empty body needs its Content-Type.
  if (params.body !== undefined && params.body !== '' && params.content_type === undefined) problems.push('body: given without content_type');
  return problems;
}

export class EdgeRequester {
  constructor(
    private readonly edgeId: string,
    private readonly sender: RequestSender,
  ) {}

  /** `params` passed the schema and `edgeRequestProblems`; rejects with `RequestError` when it cannot be sent. */
  async request(params: EdgeRequestParams): Promise<EdgeRequestResult> {
    const r = await this.sender.send({
      method: params.method,
      uri: params.uri,
      dstUri: params.dst_uri,
      from: params.from,
      fromTag: params.from_tag,
      to: params.to,
      callId: params.call_id,
      cseq: params.cseq,
      contactUser: params.contact_user,
      contactParams: params.contact_params,
      headers: params.headers,
      body: params.body === undefined ? undefined : Buffer.from(params.body, 'utf8'),
      contentType: params.content_type,
      timeoutMs: params.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
    return {
      status: r.status,
      reason: r.reason,
      local: r.local,
      headers: [...r.headers],
      rtt_ms: r.rttMs,
      edge: this.edgeId,
      call_id: r.callId,
      from_tag: r.fromTag,
      ...(r.contact === undefined ? {} : { contact: r.contact }),
    };
  }
}
