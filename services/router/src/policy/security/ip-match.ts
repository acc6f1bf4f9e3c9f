/**
 * IP addresses and networks for source classification (Kamailio `ip_is_in_subnet`, permissions
 * address groups): IPv4 and IPv6 (with `::` and embedded IPv4), optional brackets, prefix lengths.
 * Addresses are compared as 16-byte arrays, IPv4 as IPv4-mapped IPv6, so a rule for `10.0.0.0/8`
 * also matches a source reported as `::ffff:10.1.2.3`.
 */
import net from 'node:net';

export type IpBytes = Uint8Array; // 16 bytes

/** The address as 16 bytes, or undefined when it is not an IP literal. */
export function parseIp(text: string): IpBytes | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const kind = net.isIP(s);
  if (kind === 4) return v4mapped(s);
  if (kind !== 6) return undefined;
  const out = new Uint8Array(16);
  let tail = s;
  // an embedded IPv4 in the last 32 bits
  const lastColon = s.lastIndexOf(':');
  const v4tail = s.slice(lastColon + 1);
  let v4: Uint8Array | undefined;
  if (net.isIP(v4tail) === 4) {
    v4 = v4mapped(v4tail).subarray(12);
    tail = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = tail.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

function v4mapped(s: string): IpBytes {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  s.split('.').forEach((p, i) => {
    out[12 + i] = Number(p);
  });
  return out;
}

export interface Network {
  readonly bytes: IpBytes;
  /** Prefix length over the 128-bit form. */
  readonly bits: number;
  readonly text: string;
}

/**
 * `addr`, `addr/len` (len of the address's own family: 0-32 for IPv4, 0-128 for IPv6). A host
 * address gets the full length.
 */
export function parseNetwork(text: string, length?: number): Network | undefined {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const bytes = parseIp(addrText);
  if (!bytes) return undefined;
  const isV4 = net.isIP(addrText.replace(/^\[|\]$/g, '')) === 4;
  const max = isV4 ? 32 : 128;
  let len = length ?? max;
  if (slash !== -1) {
    const t = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t)) return undefined;
    len = Number(t);
  }
  if (!Number.isInteger(len) || len < 0 || len > max) return undefined;
  return { bytes, bits: isV4 ? 96 + len : len, text };
}

export function inNetwork(ip: IpBytes, n: Network): boolean {
  const full = n.bits >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== n.bytes[i]) return false;
  const rest = n.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip[full] ?? 0) & mask) === ((n.bytes[full] ?? 0) & mask);
}

/** Kamailio `ip_is_in_subnet("10.10.0.77", "10.10.0.1/24")`: host bits of the network are ignored. */
export function ipIsInSubnet(ip: string, subnet: string): boolean {
  const a = parseIp(ip);
  const n = parseNetwork(subnet);
  return a !== undefined && n !== undefined && inNetwork(a, n);
}
