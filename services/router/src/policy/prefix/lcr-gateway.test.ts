/** lcr_gw rows and the URIs next_gw makes from them (book TC-89, TC-91). */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { lcrGatewayUris, parseLcrGateway, type LcrGateway } from './lcr-gateway.js';

function gw(row: Row): LcrGateway {
  const g = parseLcrGateway({ id: 1, lcr_id: 1, ...row }, 'lcr_gw row 1');
  if (!g) throw new Error('gateway not loaded');
  return g;
}

describe('lcr gateway URIs', () => {
  it('puts the address in the R-URI of a gateway without hostname, and no destination', () => {
    expect(lcrGatewayUris(gw({ ip_addr: '10.1.1.101', port: 5060, uri_scheme: 1 }), '441000')).toEqual({ ruri: 'sip:441000@10.1.1.101:5060', dstUri: undefined });
  });

  it('puts the hostname in the R-URI (no port) and the address in the destination when both are set', () => {
    expect(lcrGatewayUris(gw({ ip_addr: '10.1.1.102', hostname: 'gw.com', port: 5070 }), '442000')).toEqual({ ruri: 'sip:442000@gw.com', dstUri: 'sip:10.1.1.102:5070' });
    const withParams = gw({ ip_addr: '10.1.1.102', hostname: 'gw.com', port: 5070, params: ';user=phone', transport: 2 });
    expect(lcrGatewayUris(withParams, '442000')).toEqual({ ruri: 'sip:442000@gw.com;user=phone', dstUri: 'sip:10.1.1.102:5070;transport=tcp' });
  });

  it('uses the hostname with its port when there is no address', () => {
    expect(lcrGatewayUris(gw({ hostname: 'gw.com', port: 5070 }), '442000')).toEqual({ ruri: 'sip:442000@gw.com:5070', dstUri: undefined });
  });

  it('strips, then prefixes the user, and adds transport then params (TC-91)', () => {
    const g = gw({ ip_addr: '10.1.1.101', port: 5060, strip: 2, prefix: '0049', transport: 2, params: ';user=phone' });
    expect(lcrGatewayUris(g, '441000')?.ruri).toBe('sip:00491000@10.1.1.101:5060;transport=tcp;user=phone');
    expect(lcrGatewayUris(gw({ ip_addr: '10.1.1.101', uri_scheme: 2, transport: 3 }), '441000')?.ruri).toBe('sips:441000@10.1.1.101;transport=tls');
    expect(lcrGatewayUris(gw({ ip_addr: '2001:db8::1', port: 5060 }), '441000')?.ruri).toBe('sip:441000@[2001:db8::1]:5060');
  });

  it('skips a gateway that strips more than the user has, as Kamailio does', () => {
    const g = gw({ ip_addr: '10.1.1.101', strip: 7 });
    expect(lcrGatewayUris(g, '441000')).toBeUndefined();
    expect(lcrGatewayUris(g, '4410001')?.ruri).toBe('sip:10.1.1.101');
  });

  it('leaves gateways defunct for ever out of the load', () => {
    expect(parseLcrGateway({ id: 1, ip_addr: '10.1.1.101', defunct: 4294967295 }, 'w')).toBeUndefined();
    expect(parseLcrGateway({ id: 1, ip_addr: '10.1.1.101', defunct: -1 }, 'w')).toBeUndefined();
    expect(parseLcrGateway({ id: 1, ip_addr: '10.1.1.101', defunct: 1700000000 }, 'w')?.defunctUntil).toBe(1700000000);
  });

  it('refuses rows Kamailio refuses, naming the row and column', () => {
    const bad = (row: Row): string => {
      try {
        parseLcrGateway({ id: 1, ...row }, 'lcr_gw row 4');
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ ip_addr: '10.1.1.101', uri_scheme: 3 })).toBe('lcr_gw row 4: uri_scheme 3 is neither 1 (sip) nor 2 (sips)');
    expect(bad({ ip_addr: '10.1.1.101', transport: 7 })).toBe('lcr_gw row 4: transport 7 is not 0-4 (none, udp, tcp, tls, sctp)');
    expect(bad({ ip_addr: '10.1.1.101', uri_scheme: 2, transport: 1 })).toBe('lcr_gw row 4: a sips gateway cannot use transport udp');
    expect(bad({ ip_addr: 'gw.example.com' })).toBe('lcr_gw row 4: ip_addr gw.example.com is not an IP address');
    expect(bad({ ip_addr: null, hostname: '' })).toBe('lcr_gw row 4: ip_addr and hostname are both empty');
    expect(bad({ ip_addr: '10.1.1.101', params: 'user=phone' })).toBe("lcr_gw row 4: params must start with ';' (got user=phone)");
    expect(bad({ ip_addr: '10.1.1.101', port: 70000 })).toBe('lcr_gw row 4: port 70000 is not 0-65535');
  });
});
