/**
 * Dialogs with user agents behind NAT (Kamailio nathelper `set_contact_alias` / `handle_ruri_alias`,
 * spec §8.14.2). A phone behind NAT writes its private address into Contact; whoever sends it an
 * in-dialog request (BYE, re-INVITE) would send it there and never reach it. The edge adds the
 * address the message really came from to the Contact URI as `;alias=ip~port~proto`; that URI comes
 * back as the Request-URI of the in-dialog requests, and the edge sends them to the alias address,
 * with the parameter removed, through the NAT binding (or TCP connection) the phone opened.
 *
 * - Requests: aliased when the edge is the first hop (one Via) and nat_uac_test fires (config
 *   `nat.test`, Kamailio's 19 by default). REGISTER is left alone (the registrar stores `received`).
 * - Responses (1xx/2xx with a Contact): aliased when the answer came from an address that is not
 *   its Contact's and, over UDP, the Contact names a private address (a public Contact elsewhere is
 *   a peer's choice, such as a carrier's other node, and is kept); only when no element below the
 *   edge record-routed (the Contact is then of the UA that answered, the one the branch reached).
 * - In-dialog requests: a Request-URI with `alias` and no Route left after ours goes to the alias.
 */
import net from 'node:net';
import { isPrivateAddress, natUacTest } from '@sipmesh/runtime';
import { quoteDisplayName, type NameAddr } from '../parser/name-addr.js';
import type { SipRequest, SipResponse } from '../parser/sip-message.js';
import { parseUri, type SipUri } from '../parser/sip-uri.js';
import { defaultPortFor } from './via-handling.js';

/** Kamailio's protocol numbers in an alias. */
const PROTO_NUMBER: Readonly<Record<string, number>> = { udp: 1, tcp: 2, tls: 3, sctp: 4, ws: 5, wss: 6 };
const PROTO_NAME: Readonly<Record<string, string>> = { '1': 'udp', '2': 'tcp', '3': 'tls', '4': 'sctp', '5': 'ws', '6': 'wss' };

export interface NatAliasConfig {
  readonly contactAlias: boolean;
  readonly test: number;
}

export interface Address {
  readonly ip: string;
  readonly port: number;
  readonly transport: string;
}

/** The alias value for an address: `ip~port~proto` (IPv6 in brackets). */
export function aliasValue(a: Address): string | undefined {
  const proto = PROTO_NUMBER[a.transport.toLowerCase()];
  if (proto === undefined) return undefined;
  return `${net.isIPv6(a.ip) ? `[${a.ip}]` : a.ip}~${String(a.port)}~${String(proto)}`;
}

/**
 * The alias to add to the Contact of a request forwarded from `source`, or undefined when it needs
 * none (not behind NAT, not the first hop, no single Contact, REGISTER).
 */
export function requestAlias(req: SipRequest, source: Address, config: NatAliasConfig): string | undefined {
  if (!config.contactAlias || req.method === 'REGISTER' || req.method === 'ACK' || req.method === 'CANCEL') return undefined;
  const vias = req.vias;
  const contacts = req.contacts;
  if (vias.length !== 1 || contacts.length !== 1) return undefined;
  const contact = parseUri((contacts[0] as NameAddr).uri);
  if (!contact || contact.scheme === 'tel') return undefined;
  const fired = natUacTest({ source, topVia: (vias[0] as (typeof vias)[number]).raw, contactHosts: [contact.host] }, config.test);
  return fired === 0 ? undefined : aliasValue(source);
}

/**
 * The alias to add to the Contact of a response the branch got from `from` (where its request went),
 * or undefined: only 1xx (not 100) and 2xx with one Contact that does not name that address, and
 * only when the response's Record-Route has nothing above the edge's own entries (`ourTop`: whether
 * the first Record-Route value, if any, is ours).
 */
export function responseAlias(res: SipResponse, from: Address, config: NatAliasConfig, firstRecordRouteIsOurs: boolean): string | undefined {
  if (!config.contactAlias || res.status <= 100 || res.status >= 300 || res.cseq.method === 'REGISTER') return undefined;
  if (res.recordRoutes.length > 0 && !firstRecordRouteIsOurs) return undefined;
  const contacts = res.contacts;
  if (contacts.length !== 1) return undefined;
  const contact = parseUri((contacts[0] as NameAddr).uri);
  if (!contact || contact.scheme === 'tel') return undefined;
  if (namesAddress(contact, from)) return undefined;
  // Over UDP only a private Contact is a NAT'ed phone's (Kamailio nat_uac_test 1 on the reply); a
  // public one elsewhere is a peer that wants its in-dialog requests there (a carrier's other node).
  // Over a stream, the phone is reached only over the connection the answer came on.
  if (from.transport.toLowerCase() === 'udp' && !isPrivateAddress(contact.host)) return undefined;
  return aliasValue(from);
}

function namesAddress(uri: SipUri, a: Address): boolean {
  const host = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  if (host.toLowerCase() !== a.ip.toLowerCase()) return false;
  const transport = uri.params.get('transport')?.toLowerCase() ?? (uri.scheme === 'sips' ? 'tls' : 'udp');
  return (uri.port ?? defaultPortFor(transport)) === a.port;
}

/** A Contact value with `;alias=<alias>` in its URI (an alias already there is replaced). */
export function contactWithAlias(contact: NameAddr, alias: string): string {
  let uri = withoutUriParam(contact.uri, 'alias');
  const q = uri.indexOf('?');
  uri = q === -1 ? `${uri};alias=${alias}` : `${uri.slice(0, q)};alias=${alias}${uri.slice(q)}`;
  let out = contact.display !== undefined && contact.display !== '' ? `${quoteDisplayName(contact.display)} <${uri}>` : `<${uri}>`;
  for (const [k, v] of contact.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

export interface RuriAlias {
  /** The Request-URI without the alias parameter. */
  readonly requestUri: string;
  /** Where the request goes: `sip:ip:port;transport=x`. */
  readonly dstUri: string;
}

/** Kamailio `handle_ruri_alias`: the alias of a Request-URI as a destination; undefined when it has none or it is malformed. */
export function ruriAlias(requestUri: string): RuriAlias | undefined {
  const uri = parseUri(requestUri);
  const alias = uri?.params.get('alias');
  if (!uri || alias === undefined || alias === null) return undefined;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[0-9.]+)~(\d{1,5})~([1-6])$/.exec(alias);
  if (!m) return undefined;
  const host = m[1] as string;
  const port = Number(m[2]);
  const transport = PROTO_NAME[m[3] as string] as string;
  if (port === 0 || port > 65535 || net.isIP(host.startsWith('[') ? host.slice(1, -1) : host) === 0) return undefined;
  return { requestUri: withoutUriParam(requestUri, 'alias'), dstUri: `sip:${host}:${String(port)};transport=${transport}` };
}

/** The URI text without the parameter `name` (case-insensitive), headers kept. */
function withoutUriParam(uri: string, name: string): string {
  const q = uri.indexOf('?');
  const head = q === -1 ? uri : uri.slice(0, q);
  const tail = q === -1 ? '' : uri.slice(q);
  // the user part may hold ';' too: parameters start after the host
  const at = head.lastIndexOf('@') + 1;
  const parts = head.slice(at).split(';');
  const kept = [parts[0] as string, ...parts.slice(1).filter((p) => p.split('=')[0]?.trim().toLowerCase() !== name)];
  return head.slice(0, at) + kept.join(';') + tail;
}
