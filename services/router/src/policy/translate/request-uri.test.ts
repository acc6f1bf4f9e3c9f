/** Whole Request-URI rewrites keep user, host and the rest of the context consistent. */
import { describe, expect, it } from 'vitest';
import { createRouteContext } from '../pipeline/route-context.js';
import { routeParams } from '../route-params.fixture.js';
import { setRuri, setRuriUserHostAll, stripDomainPrefix, uriUserHost } from './request-uri.js';

describe('request-uri', () => {
  it('reads user and host, without password or port', () => {
    expect(uriUserHost('sip:alice:secret@example.com:5060;transport=tcp')).toEqual({ user: 'alice', host: 'example.com' });
    expect(uriUserHost('sip:[2001:db8::1]:5060')).toEqual({ user: '', host: '[2001:db8::1]' });
    expect(uriUserHost('tel:+4930123')).toEqual({ user: '', host: '+4930123' });
    expect(uriUserHost('666010@192.168.1.100')).toBeUndefined();
    expect(uriUserHost('sip:bob@')).toBeUndefined();
  });

  it('replaces the whole R-URI', () => {
    const ctx = createRouteContext(routeParams({ ruri: 'sip:200@proxy.example' }));
    expect(setRuri(ctx, 'sip:10000200@rts.xswitch.cn:20003;transport=tcp')).toBe(true);
    expect([ctx.ruri, ctx.ruriUser, ctx.ruriHost]).toEqual(['sip:10000200@rts.xswitch.cn:20003;transport=tcp', '10000200', 'rts.xswitch.cn']);
    expect(setRuri(ctx, 'not a uri')).toBe(false);
    expect(ctx.ruriUser).toBe('10000200');
  });

  it('sets the user and replaces host, port, parameters and headers at once', () => {
    const ctx = createRouteContext(routeParams({ ruri: 'sip:01239001@sip.xswitch.cn:5080;transport=tcp?x=1' }));
    setRuriUserHostAll(ctx, '9001', 'rts.xswitch.cn');
    expect([ctx.ruri, ctx.ruriUser, ctx.ruriHost]).toEqual(['sip:9001@rts.xswitch.cn', '9001', 'rts.xswitch.cn']);
    const pw = createRouteContext(routeParams({ ruri: 'sip:0123:pw@a.example' }));
    setRuriUserHostAll(pw, '3', 'b.example:5070');
    expect([pw.ruri, pw.ruriHost]).toEqual(['sip:3:pw@b.example:5070', 'b.example']);
    setRuriUserHostAll(pw, '', 'c.example');
    expect([pw.ruri, pw.ruriUser]).toEqual(['sip:c.example', '']);
  });

  it('takes a domain prefix off only when the host is longer and starts with it', () => {
    expect(stripDomainPrefix('tel.example.com', 'TEL.')).toBe('example.com');
    expect(stripDomainPrefix('tel.', 'tel.')).toBe('tel.');
    expect(stripDomainPrefix('example.com', 'tel.')).toBe('example.com');
    expect(stripDomainPrefix('example.com', undefined)).toBe('example.com');
  });
});
