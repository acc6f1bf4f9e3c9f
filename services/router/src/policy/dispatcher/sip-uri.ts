/**
 * The parts of a SIP URI the dispatcher needs (RFC 3261 §19.1.1): user for hash keys, host, port and
 * transport for matching a request source against destinations. This is not a general URI parser;
 * it runs when the list loads and on hash keys, never on the edge's message path.
 */

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  /** As written; an IPv6 reference keeps its brackets. */
  host: string;
  port?: number;
  /** The `transport` URI parameter, lower-cased (RFC 3261 §19.1.1). */
  transport?: string;
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?$/;
const IPV6_REFERENCE = /^\[[0-9A-Fa-f:.]+\]$/;

export function parseSipUri(text: string): SipUri | undefined {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const scheme = trimmed.slice(0, colon).toLowerCase();
  if (colon === -1 || (scheme !== 'sip' && scheme !== 'sips')) return undefined;
  // Headers (`?...`) never carry anything the dispatcher uses.
  const question = trimmed.indexOf('?', colon);
  const rest = trimmed.slice(colon + 1, question === -1 ? undefined : question);
  // The host part cannot contain '@', so the last one ends the userinfo.
  const at = rest.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : rest.slice(0, at);
  const afterUser = rest.slice(at + 1);
  const semicolon = afterUser.indexOf(';');
  const hostport = semicolon === -1 ? afterUser : afterUser.slice(0, semicolon);
  const params = semicolon === -1 ? '' : afterUser.slice(semicolon + 1);

  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close === -1) return undefined;
    host = hostport.slice(0, close + 1);
    const tail = hostport.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':')) return undefined;
    portText = tail === '' ? undefined : tail.slice(1);
    if (!IPV6_REFERENCE.test(host)) return undefined;
  } else {
    const portColon = hostport.indexOf(':');
    host = portColon === -1 ? hostport : hostport.slice(0, portColon);
    portText = portColon === -1 ? undefined : hostport.slice(portColon + 1);
    if (!HOST_NAME.test(host)) return undefined;
  }
  const uri: SipUri = { scheme, host };
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^[0-9]{1,5}$/.test(portText) || port < 1 || port > 65535) return undefined;
    uri.port = port;
  }
  if (userinfo !== undefined) {
    const password = userinfo.indexOf(':');
    const user = password === -1 ? userinfo : userinfo.slice(0, password);
    if (user !== '') uri.user = user;
  }
  for (const param of params.split(';')) {
    const eq = param.indexOf('=');
    if (eq !== -1 && param.slice(0, eq).trim().toLowerCase() === 'transport') uri.transport = param.slice(eq + 1).trim().toLowerCase();
  }
  return uri;
}

/** The port a URI implies when it names none (RFC 3261 §19.1.2): 5060 for sip, 5061 for sips. */
export function defaultPort(uri: SipUri): number {
  return uri.scheme === 'sips' ? 5061 : 5060;
}
