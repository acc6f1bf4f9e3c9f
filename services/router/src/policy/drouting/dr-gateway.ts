/**
 * A gateway of Kamailio's dr_gateways table and the Request-URI drouting sends to it: the
 * request's own URI with the user stripped of `strip` leading characters and prefixed with
 * `pri_prefix`, and host and port replaced by the gateway's address; password, URI parameters and
 * headers stay (Kamailio's build_ruri):
 *
 *   sip:1234999@proxy.example.com:5070;user=phone    strip 2, pri_prefix 00, address 10.0.0.1:5080
 *   -> sip:0034999@10.0.0.1:5080;user=phone
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { parseSipUri } from '../dispatcher/sip-uri.js';

export interface DrGateway {
  readonly id: number;
  /** The gateway's class (is_from_gw(type) in Kamailio); kept for the admin view. */
  readonly type: number;
  /** As written in the address column. */
  readonly address: string;
  /** host[:port][;params] taken into the Request-URI: the address without a `sip:` or `sips:` scheme. */
  readonly hostport: string;
  /** The scheme the address names; undefined keeps the request's. */
  readonly scheme: 'sip' | 'sips' | undefined;
  /** Leading characters removed from the user. */
  readonly strip: number;
  /** Prepended to the user after stripping. */
  readonly priPrefix: string;
  /** Opaque to routing (Kamailio copies it to attrs_avp for the script). */
  readonly attrs: string;
  readonly description: string;
}

/** A gateway, or why Kamailio would skip the row ("failed to add destination"). */
export type DrGatewayParse = { ok: true; gateway: DrGateway } | { ok: false; id: number; reason: string };

/** Throws, naming the row, on a value that makes Kamailio refuse the whole load (a missing id or address, a non-integer). */
export function parseDrGateway(row: Row, where: string): DrGatewayParse {
  const r = new RowReader(row, where);
  const id = r.int('gwid');
  const address = r.str('address').trim();
  const strip = r.int('strip', 0);
  if (strip < 0) throw new Error(`${where}: strip ${strip} is negative`);
  const schemeMatch = /^(sips?):/i.exec(address);
  const scheme = schemeMatch ? ((schemeMatch[1] ?? '').toLowerCase() as 'sip' | 'sips') : undefined; // the pattern allows only these two
  const hostport = schemeMatch ? address.slice(schemeMatch[0].length) : address;
  // Kamailio parses the address as a SIP URI (and resolves it; sipmesh leaves DNS to the edge).
  if (hostport === '' || /[@?\s]/.test(hostport) || !parseSipUri(`sip:${hostport}`)) {
    return { ok: false, id, reason: `address <${address}> is not host[:port][;params]` };
  }
  return {
    ok: true,
    gateway: {
      id,
      type: r.int('type', 0),
      address,
      hostport,
      scheme,
      strip,
      priPrefix: r.str('pri_prefix', ''),
      attrs: r.str('attrs', ''),
      description: r.str('description', ''),
    },
  };
}

/** The pieces of the request's URI a gateway URI keeps. */
export interface RequestUriParts {
  readonly scheme: string;
  /** After `user:` in the userinfo; undefined when there is none. */
  readonly password: string | undefined;
  /** URI parameters without the leading `;` ('' when none). */
  readonly params: string;
  /** Headers without the leading `?` ('' when none). */
  readonly headers: string;
}

export function requestUriParts(uri: string): RequestUriParts {
  const colon = uri.indexOf(':');
  const question = uri.indexOf('?', colon + 1);
  const body = uri.slice(colon + 1, question === -1 ? undefined : question);
  const at = body.lastIndexOf('@');
  const userinfo = at === -1 ? '' : body.slice(0, at);
  const passwordAt = userinfo.indexOf(':');
  const hostpart = body.slice(at + 1);
  // An IPv6 reference holds colons but never a ';', so the first ';' ends host and port.
  const semicolon = hostpart.indexOf(';');
  return {
    scheme: uri.slice(0, colon).toLowerCase(),
    password: passwordAt === -1 ? undefined : userinfo.slice(passwordAt + 1),
    params: semicolon === -1 ? '' : hostpart.slice(semicolon + 1),
    headers: question === -1 ? '' : uri.slice(question + 1),
  };
}

/**
 * The Request-URI for the gateway; undefined when `strip` leaves no user (Kamailio: "stripping
 * makes username null", which fails the whole do_routing). The scheme is the address's, else the
 * request's: Kamailio always writes `sip:`, which would turn a sips request into a sip one
 * (RFC 3261 §26.2.2 forbids that).
 */
export function drGatewayUri(gw: DrGateway, user: string, request: RequestUriParts): string | undefined {
  if (user.length <= gw.strip) return undefined;
  const password = request.password === undefined || request.password === '' ? '' : `:${request.password}`;
  const params = request.params === '' ? '' : `;${request.params}`;
  const headers = request.headers === '' ? '' : `?${request.headers}`;
  return `${gw.scheme ?? request.scheme}:${gw.priPrefix}${user.slice(gw.strip)}${password}@${gw.hostport}${params}${headers}`;
}
