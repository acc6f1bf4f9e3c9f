/**
 * The server transaction key of a received request (RFC 3261 §17.2.3), with the RFC 2543
 * fallback for branches without the magic cookie. `asMethod` matches a CANCEL against the INVITE
 * it cancels (§9.2).
 */
import type { SipRequest } from '../parser/sip-message.js';
import { isRfc3261Branch, rfc2543ServerKey, serverTransactionKey } from '../transaction/index.js';

export function requestServerKey(req: SipRequest, asMethod: string = req.method): string {
  const via = req.topVia;
  const branch = via.branch;
  if (branch !== undefined && isRfc3261Branch(branch)) {
    return serverTransactionKey({ branch, sentByHost: via.host, sentByPort: via.port === undefined ? '' : String(via.port), method: asMethod });
  }
  return rfc2543ServerKey({
    requestUri: req.requestUri,
    callId: req.callId,
    fromTag: req.from.tag ?? '',
    toTag: asMethod === req.method ? (req.to.tag ?? '') : '',
    cseqNumber: String(req.cseq.seq),
    method: asMethod,
    topVia: via.raw,
  });
}
