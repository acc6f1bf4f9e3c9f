/**
 * A MaxMind DB (GeoIP2 / GeoLite2 City or Country, or any database of that record shape) read
 * once into memory and answering "where is this address" with the fields Kamailio's geoip2
 * module reads (`$gip2(src=>cc|regc|regn|city|lat|lon|tz)`) plus the country's name, names in
 * English as Kamailio takes them.
 *
 * The file is read here rather than through `maxmind.open()`: open() would watch the file for
 * changes, and in the router a database changes when the routes file is reloaded, not on its own.
 * The reader trusts the file's metadata, so it is checked before the first lookup: a node count
 * larger than the file would otherwise fail per request instead of at load.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { Reader, type CityResponse } from 'maxmind';
import { parseIp } from '../security/ip-match.js';

/** What the database says about one address; a field is absent when the record has none. */
export interface GeoLocation {
  /** ISO 3166-1 country code (`country`, else `registered_country`, as Kamailio's `cc`). */
  readonly cc?: string;
  readonly country?: string;
  /** ISO 3166-2 code of the first (largest) subdivision, without the country: `GD`, `ENG`. */
  readonly regc?: string;
  readonly regn?: string;
  readonly city?: string;
  readonly lat?: number;
  readonly lon?: number;
  /** IANA time zone: `Asia/Shanghai`. */
  readonly tz?: string;
}

export type GeoIpOpen = { ok: true; db: GeoIpDatabase } | { ok: false; error: string };

const DATA_SECTION_SEPARATOR_BYTES = 16;
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // "\xAB\xCD\xEFMaxMind.com"
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

export class GeoIpDatabase {
  private constructor(
    private readonly reader: Reader<CityResponse>,
    /** Where it was read from, for errors and admin output. */
    readonly file: string,
  ) {}

  static async open(file: string): Promise<GeoIpOpen> {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      return { ok: false, error: `${file}: ${(e as Error).message}` };
    }
    return GeoIpDatabase.fromBuffer(bytes, file);
  }

  static fromBuffer(bytes: Buffer, file: string): GeoIpOpen {
    const bad = (why: string): GeoIpOpen => ({ ok: false, error: `${file}: not a MaxMind DB file (${why})` });
    // MaxMind ships the databases as .tar.gz; the reader's own message for one is "Unknown type"
    if (bytes.subarray(0, 2).equals(GZIP_MAGIC)) return bad('gzip-compressed: unpack the .mmdb file first');
    const metadataAt = bytes.lastIndexOf(METADATA_MARKER);
    if (metadataAt === -1) return bad('no metadata marker');
    let reader: Reader<CityResponse>;
    try {
      reader = new Reader<CityResponse>(bytes);
    } catch (e) {
      return bad((e as Error).message);
    }
    const m = reader.metadata;
    if (m.binaryFormatMajorVersion !== 2) return bad(`binary format version ${String(m.binaryFormatMajorVersion)}, expected 2`);
    if (m.ipVersion !== 4 && m.ipVersion !== 6) return bad(`ip_version ${String(m.ipVersion)}`);
    if (!Number.isInteger(m.nodeCount) || m.nodeCount < 1) return bad(`node_count ${String(m.nodeCount)}`);
    if (m.searchTreeSize + DATA_SECTION_SEPARATOR_BYTES > metadataAt) return bad(`a search tree of ${m.nodeCount} nodes does not fit before the metadata at byte ${metadataAt}`);
    const db = new GeoIpDatabase(reader, file);
    try {
      // one walk down each family's tree catches a tree that points outside the file
      db.lookup('0.0.0.0');
      if (m.ipVersion === 6) db.lookup('::');
    } catch (e) {
      return bad((e as Error).message);
    }
    return { ok: true, db };
  }

  get databaseType(): string {
    return this.reader.metadata.databaseType;
  }

  /**
   * The location of `address` (an IP literal, brackets allowed), or undefined when it is not an
   * IP literal or the database has no record for it (private and reserved ranges, gaps).
   */
  lookup(address: string): GeoLocation | undefined {
    const ip = lookupForm(address, this.reader.metadata.ipVersion);
    if (ip === undefined) return undefined;
    const r = this.reader.get(ip);
    return r === null ? undefined : locationOf(r);
  }
}

/**
 * The address as the reader should see it. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, how a dual-stack
 * socket reports IPv4 peers) becomes plain IPv4: databases keep IPv4 under `::/96` and only
 * MaxMind's own builds alias `::ffff:0:0/96` to it. An IPv6 address has no answer in an IPv4
 * database (the reader would walk its first 32 bits as if they were an IPv4 address).
 */
function lookupForm(address: string, ipVersion: number): string | undefined {
  let s = address.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  const family = net.isIP(s);
  if (family === 4) return s;
  if (family !== 6) return undefined;
  const bytes = parseIp(s);
  if (bytes && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.subarray(12).join('.');
  return ipVersion === 6 ? s : undefined;
}

// Records come from a file: read each field only when it has the type the format promises.
function locationOf(r: CityResponse): GeoLocation {
  const out: { -readonly [K in keyof GeoLocation]: GeoLocation[K] } = {};
  const country = typeof r.country?.iso_code === 'string' ? r.country : r.registered_country;
  setString(out, 'cc', country?.iso_code);
  setString(out, 'country', country?.names?.en);
  const region = Array.isArray(r.subdivisions) ? r.subdivisions[0] : undefined;
  setString(out, 'regc', region?.iso_code);
  setString(out, 'regn', region?.names?.en);
  setString(out, 'city', r.city?.names?.en);
  if (typeof r.location?.latitude === 'number') out.lat = r.location.latitude;
  if (typeof r.location?.longitude === 'number') out.lon = r.location.longitude;
  setString(out, 'tz', r.location?.time_zone);
  return out;
}

function setString(out: { -readonly [K in keyof GeoLocation]: GeoLocation[K] }, key: 'cc' | 'country' | 'regc' | 'regn' | 'city' | 'tz', value: unknown): void {
  if (typeof value === 'string' && value !== '') out[key] = value;
}
