/**
 * Whether a request came from behind NAT, as the book's `nat_uac_test("19")` decides it (Kamailio
 * nathelper, spec §8.14.2): 1 the Contact names a private address (RFC 1918 / RFC 6598), 2 the top
 * Via's address is not the source address, 16 the source port is not the Via's port (5060 when it
 * names none). A phone behind NAT is reached at its source address (`received`), not its Contact.
 */
import net from 'node:net';

const PRIVATE = new net.BlockList();
PRIVATE.addSubnet('10.0.0.0', 8);
PRIVATE.addSubnet('172.16.0.0', 12);
PRIVATE.addSubnet('192.168.0.0', 16);
PRIVATE.addSubnet('100.64.0.0', 10); // RFC 6598 carrier-grade NAT
PRIVATE.addSubnet('192.0.0.0', 29); // RFC 7335, as Kamailio's nat_addr_mode 1 counts it
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // RFC 4193 unique local

/** An RFC 1918 / RFC 6598 (or IPv6 unique local) address literal. */
export function isPrivateAddress(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // IPv4, checked on every request: without BlockList's per-call address objects.
  const v4 = ipv4Octets(h);
  if (v4) {
    const [a, b, c, d] = v4;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 192 && b === 0 && c === 0 && d < 8);
  }
  const kind = net.isIP(h);
  if (kind === 0) return false;
  return PRIVATE.check(h, kind === 6 ? 'ipv6' : 'ipv4');
}

/** The four octets of a dotted-quad IPv4 literal; undefined for anything else. */
function ipv4Octets(h: string): [number, number, number, number] | undefined {
  const parts = h.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || !/^\d+$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out as [number, number, number, number];
}

export interface NatFacts {
  /** Source of the request. */
  readonly source: { readonly ip: string; readonly port: number };
  /** The top Via header value as received (`SIP/2.0/UDP host:port;branch=...`). */
  readonly topVia: string | undefined;
  /** Hosts of the Contact URIs. */
  readonly contactHosts: readonly string[];
}

export const NatTest = { privateContact: 1, viaAddress: 2, viaPort: 16 } as const;

/** The nat_uac_test bits of `flags` that fire for these facts (0: not behind NAT). */
export function natUacTest(facts: NatFacts, flags: number = NatTest.privateContact | NatTest.viaAddress | NatTest.viaPort): number {
  let fired = 0;
  if (flags & NatTest.privateContact && facts.contactHosts.some(isPrivateAddress)) fired |= NatTest.privateContact;
  const sentBy = facts.topVia === undefined ? undefined : viaSentBy(facts.topVia);
  if (sentBy) {
    if (flags & NatTest.viaAddress && !sameAddress(sentBy.host, facts.source.ip)) fired |= NatTest.viaAddress;
    if (flags & NatTest.viaPort && (sentBy.port ?? 5060) !== facts.source.port) fired |= NatTest.viaPort;
  }
  return fired;
}

/** host and port of a Via value's sent-by (RFC 3261 §20.42). */
export function viaSentBy(via: string): { host: string; port: number | undefined } | undefined {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*[A-Za-z]+\s+(\[[^\]]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?/i.exec(via);
  if (!m) return undefined;
  return { host: m[1] as string, port: m[2] === undefined ? undefined : Number(m[2]) };
}

function sameAddress(a: string, b: string): boolean {
  const strip = (h: string): string => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase();
  return strip(a) === strip(b);
}
