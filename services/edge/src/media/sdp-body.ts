/**
 * The SDP of a message, when it carries one as its whole body (Content-Type application/sdp,
 * RFC 3264 §5). A multipart body (SDP beside ISUP, RFC 5621) is not rewritten: it goes through
 * unchanged, as Kamailio's rtpengine module does without its `multipart` support.
 */
import type { SipMessageBase } from '../parser/sip-message.js';

export function sdpOf(msg: SipMessageBase): string | undefined {
  if (msg.body.length === 0) return undefined;
  const type = msg.header('content-type');
  if (type === undefined) return undefined;
  const semicolon = type.indexOf(';');
  const bare = (semicolon < 0 ? type : type.slice(0, semicolon)).trim().toLowerCase();
  return bare === 'application/sdp' ? msg.body.toString('utf8') : undefined;
}
