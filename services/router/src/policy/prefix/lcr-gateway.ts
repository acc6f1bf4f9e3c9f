/**
 * A gateway of Kamailio's lcr_gw table, and the Request-URI and destination `next_gw` makes for it
 * (book §8.3, TC-89 and TC-91):
 *
 *   ip_addr only      R-URI  scheme:prefix+user[strip:]@ip[:port][;transport=x][params]
 *   hostname only     R-URI  scheme:prefix+user[strip:]@hostname[:port][;transport=x][params]
 *   both              R-URI  scheme:prefix+user[strip:]@hostname[params]     (no port)
 *                     dst    scheme:ip[:port][;transport=x]      (the gateway is reached by address)
 *
 * The table's numbers (uri_scheme, transport) are mapped to names here, at the boundary.
 */
import { isIP } from 'node:net';
import { RowReader, type Row } from '../../data/table-rows.js';

/** lcr_gw.uri_scheme: NULL or 1 is sip, 2 is sips. */
export const LCR_URI_SCHEMES: Readonly<Record<number, 'sip' | 'sips'>> = { 1: 'sip', 2: 'sips' };
/** lcr_gw.transport: NULL or 0 adds no transport parameter. */
export const LCR_TRANSPORTS: Readonly<Record<number, 'udp' | 'tcp' | 'tls' | 'sctp'>> = { 1: 'udp', 2: 'tcp', 3: 'tls', 4: 'sctp' };
/** lcr_gw.defunct at or above this (or negative, the same bits unsigned) keeps the gateway out of the load. */
export const LCR_DEFUNCT_FOREVER = 4294967295;

export interface LcrGateway {
  readonly id: number;
  /** 0: shared by every lcr instance. */
  readonly lcrId: number;
  readonly name: string;
  readonly scheme: 'sip' | 'sips';
  /** IP address as written, IPv6 in brackets; undefined when the gateway has only a hostname. */
  readonly ip: string | undefined;
  readonly hostname: string | undefined;
  readonly port: number | undefined;
  readonly transport: 'udp' | 'tcp' | 'tls' | 'sctp' | undefined;
  /** URI parameters appended as written, starting with ';' ('' when none). */
  readonly params: string;
  /** Leading characters removed from the user. */
  readonly strip: number;
  /** Prepended to the user after stripping. */
  readonly prefix: string;
  /** Opaque values Kamailio copies to tag_avp and flags_avp. */
  readonly tag: string;
  readonly flags: number;
  /** UNIX seconds until which the gateway is skipped; 0 when it is usable. */
  readonly defunctUntil: number;
}

/** The gateway of a row; undefined when the row keeps it out of the load (defunct for ever). Throws on a wrong value, naming the row. */
export function parseLcrGateway(row: Row, where: string): LcrGateway | undefined {
  const r = new RowReader(row, where);
  const defunct = r.int('defunct', 0);
  if (defunct < 0 || defunct >= LCR_DEFUNCT_FOREVER) return undefined;
  const schemeCode = r.int('uri_scheme', 1);
  const scheme = LCR_URI_SCHEMES[schemeCode];
  if (!scheme) throw new Error(`${where}: uri_scheme ${schemeCode} is neither 1 (sip) nor 2 (sips)`);
  const transportCode = r.int('transport', 0);
  const transport = transportCode === 0 ? undefined : LCR_TRANSPORTS[transportCode];
  if (transportCode !== 0 && !transport) throw new Error(`${where}: transport ${transportCode} is not 0-4 (none, udp, tcp, tls, sctp)`);
  if (scheme === 'sips' && transport === 'udp') throw new Error(`${where}: a sips gateway cannot use transport udp`);
  const ip = optional(r, 'ip_addr');
  if (ip !== undefined && isIP(ip.replace(/^\[(.*)\]$/, '$1')) === 0) throw new Error(`${where}: ip_addr ${ip} is not an IP address`);
  const hostname = optional(r, 'hostname');
  if (ip === undefined && hostname === undefined) throw new Error(`${where}: ip_addr and hostname are both empty`);
  const port = r.int('port', 0);
  if (port < 0 || port > 65535) throw new Error(`${where}: port ${port} is not 0-65535`);
  const params = optional(r, 'params') ?? '';
  if (params !== '' && !params.startsWith(';')) throw new Error(`${where}: params must start with ';' (got ${params})`);
  const strip = r.int('strip', 0);
  if (strip < 0) throw new Error(`${where}: strip ${strip} is negative`);
  return {
    id: r.int('id'),
    lcrId: r.int('lcr_id', 0),
    name: optional(r, 'gw_name') ?? '',
    scheme,
    ip: ip === undefined ? undefined : isIP(ip) === 6 ? `[${ip}]` : ip,
    hostname,
    port: port === 0 ? undefined : port,
    transport,
    params,
    strip,
    prefix: optional(r, 'prefix') ?? '',
    tag: optional(r, 'tag') ?? '',
    flags: r.int('flags', 0),
    defunctUntil: defunct,
  };
}

export interface LcrUris {
  /** The Request-URI for the gateway. */
  readonly ruri: string;
  /** The next hop when the R-URI names the gateway by hostname and it has an address too. */
  readonly dstUri: string | undefined;
}

/** The URIs `next_gw` makes for `user`; undefined when the gateway strips more characters than the user has (Kamailio skips it). */
export function lcrGatewayUris(gw: LcrGateway, user: string): LcrUris | undefined {
  if (gw.strip > user.length) return undefined;
  const newUser = gw.prefix + user.slice(gw.strip);
  const userPart = newUser === '' ? '' : `${newUser}@`;
  const port = gw.port === undefined ? '' : `:${gw.port}`;
  const transport = gw.transport === undefined ? '' : `;transport=${gw.transport}`;
  if (gw.ip !== undefined && gw.hostname !== undefined) {
    return { ruri: `${gw.scheme}:${userPart}${gw.hostname}${gw.params}`, dstUri: `${gw.scheme}:${gw.ip}${port}${transport}` };
  }
  const host = gw.ip ?? gw.hostname;
  return { ruri: `${gw.scheme}:${userPart}${host ?? ''}${port}${transport}${gw.params}`, dstUri: undefined };
}

/** A nullable text column: undefined when NULL, missing or empty. */
function optional(r: RowReader, column: string): string | undefined {
  const v = r.str(column, '').trim();
  return v === '' ? undefined : v;
}
