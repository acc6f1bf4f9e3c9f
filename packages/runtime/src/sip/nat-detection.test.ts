/** The book's NAT tests (spec TC-113): nat_uac_test(19) on a REGISTER. */
import { describe, expect, it } from 'vitest';
import { isPrivateAddress, natUacTest, NatTest } from './nat-detection.js';

describe('nat_uac_test(19)', () => {
  it('fires on a private Contact, and on a Via that still names the private address and port', () => {
    const r = natUacTest({ source: { ip: '113.116.52.68', port: 9999 }, topVia: 'SIP/2.0/UDP 192.168.1.132:5080;branch=z9hG4bK1;rport', contactHosts: ['192.168.1.132'] });
    expect(r).toBe(NatTest.privateContact | NatTest.viaAddress | NatTest.viaPort);
  });

  it('does not fire for a public phone whose Via and Contact are its source', () => {
    expect(natUacTest({ source: { ip: '203.0.113.5', port: 5062 }, topVia: 'SIP/2.0/UDP 203.0.113.5:5062;branch=z9hG4bK1', contactHosts: ['203.0.113.5'] })).toBe(0);
  });

  it('counts a Via without a port as 5060', () => {
    expect(natUacTest({ source: { ip: '203.0.113.5', port: 5060 }, topVia: 'SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1', contactHosts: [] })).toBe(0);
    expect(natUacTest({ source: { ip: '203.0.113.5', port: 40000 }, topVia: 'SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1', contactHosts: [] })).toBe(NatTest.viaPort);
  });

  it('knows the private ranges, and that loopback and names are not private', () => {
    for (const ip of ['10.1.2.3', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1', '100.64.0.1', '100.127.255.255', '192.0.0.7', 'fd00::1', '[fd00::1]']) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ['172.32.0.1', '172.15.255.255', '100.63.255.255', '100.128.0.0', '192.0.0.8', '192.169.0.1', '11.0.0.1', '8.8.8.8', '127.0.0.1', '10.1.2', '10.1.2.3.4', '10.1.2.256', 'pbx.example.com', '2001:db8::1']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });
});
