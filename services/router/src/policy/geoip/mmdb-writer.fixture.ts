/**
 * A small MaxMind DB (format 2.0) writer for tests, so they build their own GeoIP database
 * instead of shipping MaxMind's (licensed, 70 MB) GeoLite2 files. It follows the MaxMind DB File
 * Format Specification (https://maxmind.github.io/MaxMind-DB/):
 *
 *   [search tree: node_count nodes of two 24-bit records] [16 zero bytes] [data section]
 *   ["\xAB\xCD\xEFMaxMind.com"] [metadata map]
 *
 * Only what a test needs: 24-bit records, no pointers in the data section (each distinct record
 * is written once and shared by its networks), no IPv4 aliases (`::ffff:0:0/96`, `2002::/16`) in
 * IPv6 trees. Insert a network before the more specific networks inside it: a later, wider
 * network replaces the subtree under it.
 */
import net from 'node:net';
import { parseIp } from '../security/ip-match.js';

/** A number the writer stores as a double even when it is whole (latitude 51.0). */
export class MmdbDouble {
  constructor(readonly value: number) {}
}

/** A number the writer stores as a uint32 even when it is small (metadata `node_count`). */
export class MmdbUint32 {
  constructor(readonly value: number) {}
}

/**
 * A data section value. Whole numbers become uint16 or uint32 by size, other numbers doubles,
 * bigints uint64.
 */
export type MmdbValue = string | number | bigint | boolean | MmdbDouble | MmdbUint32 | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `1.2.3.0/24`, `2001:db8::/32`. IPv4 networks in an IPv6 tree go under `::/96`, as MaxMind's do. */
  readonly network: string;
  readonly data: MmdbValue;
}

export interface MmdbOptions {
  readonly ipVersion?: 4 | 6;
  readonly databaseType?: string;
  readonly languages?: readonly string[];
  readonly description?: Readonly<Record<string, string>>;
  /** Seconds since the epoch. */
  readonly buildEpoch?: number;
}

/** Data types of the spec's "Output Data Section" (1-7 in the control byte, 8+ extended). */
const DataType = { pointer: 1, utf8: 2, double: 3, bytes: 4, uint16: 5, uint32: 6, map: 7, int32: 8, uint64: 9, uint128: 10, array: 11, boolean: 14 } as const;

const RECORD_BITS = 24;
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);
const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com', 'ascii')]);

type Slot = { readonly kind: 'empty' } | { readonly kind: 'data'; readonly index: number } | { readonly kind: 'node'; readonly node: TreeNode };

interface TreeNode {
  left: Slot;
  right: Slot;
}

const EMPTY: Slot = { kind: 'empty' };

export function writeMmdb(networks: readonly MmdbNetwork[], options: MmdbOptions = {}): Buffer {
  const ipVersion = options.ipVersion ?? 6;
  const root: TreeNode = { left: EMPTY, right: EMPTY };
  const records: Buffer[] = [];
  const recordIndex = new Map<string, number>();
  for (const n of networks) {
    const encoded = encodeValue(n.data);
    const key = encoded.toString('hex');
    let index = recordIndex.get(key);
    if (index === undefined) {
      index = records.length;
      records.push(encoded);
      recordIndex.set(key, index);
    }
    const { bits, prefix } = networkBits(n.network, ipVersion);
    insert(root, bits, prefix, index);
  }

  const nodes = numberNodes(root);
  const nodeCount = nodes.size;
  const dataOffsets: number[] = [];
  let offset = 0;
  for (const r of records) {
    dataOffsets.push(offset);
    offset += r.length;
  }
  // Spec "Pointer - Data Section Offset": a record value above node_count points 16 bytes
  // before the data section offset it stands for (the separator is counted).
  const recordValue = (slot: Slot): number => {
    if (slot.kind === 'empty') return nodeCount;
    if (slot.kind === 'node') return nodes.get(slot.node) ?? 0;
    return nodeCount + DATA_SECTION_SEPARATOR.length + (dataOffsets[slot.index] ?? 0);
  };
  const tree = Buffer.alloc(nodeCount * ((RECORD_BITS * 2) / 8));
  for (const [node, number] of nodes) {
    const at = number * 6;
    writeRecord(tree, at, recordValue(node.left));
    writeRecord(tree, at + 3, recordValue(node.right));
  }

  const metadata = encodeValue({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(options.buildEpoch ?? 1_700_000_000),
    database_type: options.databaseType ?? 'Sipmesh-Test-City',
    description: options.description ?? { en: 'sipmesh test database' },
    ip_version: ipVersion,
    languages: options.languages ?? ['en'],
    node_count: new MmdbUint32(nodeCount),
    record_size: RECORD_BITS,
  });
  return Buffer.concat([tree, DATA_SECTION_SEPARATOR, ...records, METADATA_MARKER, metadata]);
}

/** A record the way GeoIP2/GeoLite2 City databases shape them (the fields the geoip2 step reads). */
export interface CityFixture {
  readonly cc: string;
  readonly country: string;
  readonly regc?: string;
  readonly regn?: string;
  readonly city?: string;
  readonly lat?: number;
  readonly lon?: number;
  readonly tz?: string;
}

export function cityRecord(c: CityFixture): MmdbValue {
  const out: Record<string, MmdbValue> = {
    country: { geoname_id: 1, iso_code: c.cc, names: { en: c.country } },
    registered_country: { geoname_id: 1, iso_code: c.cc, names: { en: c.country } },
  };
  if (c.regc !== undefined && c.regn !== undefined) out['subdivisions'] = [{ geoname_id: 2, iso_code: c.regc, names: { en: c.regn } }];
  if (c.city !== undefined) out['city'] = { geoname_id: 3, names: { en: c.city } };
  if (c.lat !== undefined && c.lon !== undefined) {
    const location: Record<string, MmdbValue> = { accuracy_radius: 100, latitude: new MmdbDouble(c.lat), longitude: new MmdbDouble(c.lon) };
    if (c.tz !== undefined) location['time_zone'] = c.tz;
    out['location'] = location;
  }
  return out;
}

function networkBits(text: string, ipVersion: 4 | 6): { bits: Uint8Array; prefix: number } {
  const slash = text.indexOf('/');
  if (slash === -1) throw new Error(`mmdb fixture: ${text} has no prefix length`);
  const addr = text.slice(0, slash);
  const len = Number(text.slice(slash + 1));
  const family = net.isIP(addr);
  if (family === 0 || !Number.isInteger(len) || len < 1 || len > (family === 4 ? 32 : 128)) throw new Error(`mmdb fixture: bad network ${text}`);
  if (family === 6 && ipVersion === 4) throw new Error(`mmdb fixture: ${text} in an IPv4 tree`);
  const bytes = parseIp(addr);
  if (!bytes) throw new Error(`mmdb fixture: bad network ${text}`);
  if (family === 6) return { bits: bytes, prefix: len };
  const v4 = bytes.subarray(12);
  if (ipVersion === 4) return { bits: v4, prefix: len };
  const inV6 = new Uint8Array(16);
  inV6.set(v4, 12);
  return { bits: inV6, prefix: 96 + len };
}

function bitAt(bytes: Uint8Array, i: number): 0 | 1 {
  return (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) as 0 | 1;
}

function insert(root: TreeNode, bits: Uint8Array, prefix: number, index: number): void {
  let node = root;
  for (let depth = 0; depth < prefix - 1; depth++) {
    const side = bitAt(bits, depth) === 0 ? 'left' : 'right';
    const slot = node[side];
    if (slot.kind === 'node') {
      node = slot.node;
      continue;
    }
    // an empty record or a wider network's data: split it so both halves keep what it had
    const child: TreeNode = { left: slot, right: slot };
    node[side] = { kind: 'node', node: child };
    node = child;
  }
  node[bitAt(bits, prefix - 1) === 0 ? 'left' : 'right'] = { kind: 'data', index };
}

/** Node numbers in breadth-first order: the root is node 0, as the spec requires. */
function numberNodes(root: TreeNode): Map<TreeNode, number> {
  const numbers = new Map<TreeNode, number>();
  const queue: TreeNode[] = [root];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as TreeNode;
    numbers.set(node, i);
    for (const slot of [node.left, node.right]) if (slot.kind === 'node') queue.push(slot.node);
  }
  return numbers;
}

function writeRecord(tree: Buffer, at: number, value: number): void {
  if (value >= 2 ** RECORD_BITS) throw new Error(`mmdb fixture: record value ${value} does not fit ${RECORD_BITS} bits`);
  tree.writeUIntBE(value, at, 3);
}

/** Control byte(s): type in the top three bits (0 and a next byte for extended types), then the size. */
function control(type: number, size: number): Buffer {
  const head = type <= 7 ? type << 5 : 0;
  const ext = type <= 7 ? [] : [type - 7];
  if (size < 29) return Buffer.from([head | size, ...ext]);
  if (size < 285) return Buffer.from([head | 29, ...ext, size - 29]);
  if (size < 65_821) {
    const rest = size - 285;
    return Buffer.from([head | 30, ...ext, rest >> 8, rest & 0xff]);
  }
  const rest = size - 65_821;
  return Buffer.from([head | 31, ...ext, (rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff]);
}

/** Big-endian bytes without leading zeros (the spec lets unsigned integers drop them; 0 is empty). */
function uintBytes(n: bigint): Buffer {
  const out: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) out.unshift(Number(v & 0xffn));
  return Buffer.from(out);
}

function encodeValue(v: MmdbValue): Buffer {
  if (v instanceof MmdbUint32) {
    const b = uintBytes(BigInt(v.value));
    return Buffer.concat([control(DataType.uint32, b.length), b]);
  }
  if (v instanceof MmdbDouble) return encodeDouble(v.value);
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(DataType.utf8, b.length), b]);
  }
  if (typeof v === 'boolean') return control(DataType.boolean, v ? 1 : 0);
  if (typeof v === 'bigint') {
    const b = uintBytes(v);
    if (v < 0n || b.length > 8) throw new Error(`mmdb fixture: ${v} is not a uint64`);
    return Buffer.concat([control(DataType.uint64, b.length), b]);
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) return encodeDouble(v);
    const b = uintBytes(BigInt(v));
    return Buffer.concat([control(v <= 0xffff ? DataType.uint16 : DataType.uint32, b.length), b]);
  }
  if (isArray(v)) return Buffer.concat([control(DataType.array, v.length), ...v.map(encodeValue)]);
  const entries = Object.entries(v);
  return Buffer.concat([control(DataType.map, entries.length), ...entries.flatMap(([k, value]) => [encodeValue(k), encodeValue(value)])]);
}

// Array.isArray does not narrow readonly arrays out of a union.
function isArray(v: MmdbValue): v is readonly MmdbValue[] {
  return Array.isArray(v);
}

function encodeDouble(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return Buffer.concat([control(DataType.double, 8), b]);
}
