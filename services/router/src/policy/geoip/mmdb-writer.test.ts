/**
 * The test database writer checked against the `maxmind` reader itself, before any geoip2 step
 * test relies on it.
 */
import { Reader, type CityResponse } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { cityRecord, MmdbDouble, writeMmdb, type MmdbValue } from './mmdb-writer.fixture.js';

describe('MaxMind DB test writer, read back with maxmind', () => {
  it('writes metadata the reader accepts', () => {
    const r = new Reader(writeMmdb([{ network: '1.2.3.0/24', data: 'x' }], { buildEpoch: 1_600_000_000, databaseType: 'Test-City', languages: ['en', 'de'] }));
    expect(r.metadata).toMatchObject({
      binaryFormatMajorVersion: 2,
      binaryFormatMinorVersion: 0,
      databaseType: 'Test-City',
      description: { en: 'sipmesh test database' },
      ipVersion: 6,
      languages: ['en', 'de'],
      recordSize: 24,
      buildEpoch: new Date(1_600_000_000_000),
    });
  });

  it('finds IPv4 and IPv6 networks in an IPv6 tree, with their prefix lengths', () => {
    const r = new Reader<CityResponse>(
      writeMmdb([
        { network: '1.2.3.0/24', data: cityRecord({ cc: 'CN', country: 'China', regc: 'BJ', regn: 'Beijing', city: 'Beijing', lat: 39.9042, lon: 116.4074, tz: 'Asia/Shanghai' }) },
        { network: '81.2.69.0/24', data: cityRecord({ cc: 'GB', country: 'United Kingdom', regc: 'ENG', regn: 'England', city: 'London', lat: 51, lon: -0.1, tz: 'Europe/London' }) },
        { network: '2001:db8::/32', data: cityRecord({ cc: 'DE', country: 'Germany' }) },
      ]),
    );
    const [cn, cnPrefix] = r.getWithPrefixLength('1.2.3.200');
    expect(cnPrefix).toBe(24);
    expect(cn?.country).toEqual({ geoname_id: 1, iso_code: 'CN', names: { en: 'China' } });
    expect(cn?.subdivisions?.[0]).toEqual({ geoname_id: 2, iso_code: 'BJ', names: { en: 'Beijing' } });
    expect(cn?.city?.names.en).toBe('Beijing');
    expect(cn?.location).toEqual({ accuracy_radius: 100, latitude: 39.9042, longitude: 116.4074, time_zone: 'Asia/Shanghai' });
    // whole numbers written as doubles still read as numbers
    expect(r.get('81.2.69.160')?.location?.latitude).toBe(51);
    expect(r.get('2001:db8:1::5')?.country?.iso_code).toBe('DE');
    expect(r.get('2001:db9::1')).toBeNull();
    expect(r.get('1.2.4.1')).toBeNull();
    expect(r.get('10.0.0.1')).toBeNull();
  });

  it('writes an IPv4 tree', () => {
    const r = new Reader(writeMmdb([{ network: '81.2.69.0/24', data: { n: 1 } }, { network: '192.0.2.128/25', data: { n: 2 } }], { ipVersion: 4 }));
    expect(r.metadata.ipVersion).toBe(4);
    expect(r.get('81.2.69.1')).toEqual({ n: 1 });
    expect(r.get('192.0.2.200')).toEqual({ n: 2 });
    expect(r.get('192.0.2.100')).toBeNull();
    expect(() => writeMmdb([{ network: '2001:db8::/32', data: 1 }], { ipVersion: 4 })).toThrow(/IPv4 tree/);
  });

  it('keeps a wider network around a more specific one inserted after it', () => {
    const r = new Reader(writeMmdb([{ network: '10.0.0.0/8', data: 'wide' }, { network: '10.1.2.0/24', data: 'narrow' }]));
    expect(r.getWithPrefixLength('10.1.2.3')).toEqual(['narrow', 24]);
    expect(r.getWithPrefixLength('10.1.3.3')).toEqual(['wide', 24]);
    expect(r.get('10.200.0.1')).toBe('wide');
  });

  it('round-trips every data type it writes, with long sizes and shared records', () => {
    const long = 'x'.repeat(300);
    const huge = 'y'.repeat(70_000);
    const value: MmdbValue = {
      s: 'Zürich',
      empty: '',
      long,
      huge,
      u16: 65_535,
      u32: 4_000_000_000,
      zero: 0,
      u64: 2n ** 40n,
      d: 0.5,
      whole: new MmdbDouble(3),
      t: true,
      f: false,
      a: [1, 'two', [3]],
      many: Array.from({ length: 40 }, (_, i) => i),
    };
    const db = writeMmdb([
      { network: '198.51.100.0/24', data: value },
      { network: '203.0.113.0/24', data: value },
    ]);
    const r = new Reader(db);
    const expected = { ...value, u64: 2n ** 40n, whole: 3 };
    expect(r.get('198.51.100.1')).toEqual(expected);
    expect(r.get('203.0.113.1')).toEqual(expected);
    // the record is written once: the file holds one copy of the 70 000-byte string
    expect(db.length).toBeLessThan(2 * huge.length);
  });
});
