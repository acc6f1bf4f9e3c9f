import { describe, expect, it } from 'vitest';
import { ipIsInSubnet, parseIp, parseNetwork } from './ip-match.js';

describe('IP networks', () => {
  it("answers the book's subnet checks (TC-63)", () => {
    expect(ipIsInSubnet('10.10.0.77', '10.10.0.1/24')).toBe(true);
    expect(ipIsInSubnet('10.10.1.77', '10.10.0.1/24')).toBe(false);
    expect(ipIsInSubnet('172.17.0.2', '172.17.0.2/32')).toBe(true);
    expect(ipIsInSubnet('172.17.0.3', '172.17.0.2/32')).toBe(false);
  });

  it('handles IPv6, brackets, :: and mapped IPv4', () => {
    expect(ipIsInSubnet('1:5ee::900d:c0de', '[1:5ee::900d:c0de]')).toBe(true);
    expect(ipIsInSubnet('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(ipIsInSubnet('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(ipIsInSubnet('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipIsInSubnet('10.1.2.3', '::ffff:10.0.0.0/104')).toBe(true);
    expect(ipIsInSubnet('10.0.0.1', '0.0.0.0/0')).toBe(true);
    expect(ipIsInSubnet('2001:db8::1', '10.0.0.0/8')).toBe(false);
    expect(parseIp('::')).toEqual(new Uint8Array(16));
    expect(parseIp('fe80::1:2')?.slice(12)).toEqual(new Uint8Array([0, 1, 0, 2]));
  });

  it('refuses what is not an address or a valid length', () => {
    expect(parseIp('example.com')).toBeUndefined();
    expect(parseNetwork('10.0.0.0/33')).toBeUndefined();
    expect(parseNetwork('10.0.0.0/x')).toBeUndefined();
    expect(parseNetwork('2001:db8::/129')).toBeUndefined();
    expect(ipIsInSubnet('nonsense', '10.0.0.0/8')).toBe(false);
  });
});
