import { describe, expect, it } from 'vitest';
import { parseSipUri } from './sip-uri.js';

describe('SIP URI parts for the dispatcher', () => {
  it('reads user, host, port and transport', () => {
    expect(parseSipUri('sip:alice:secret@Example.COM:5080;transport=TCP;lr?subject=x')).toEqual({
      scheme: 'sip',
      user: 'alice',
      host: 'Example.COM',
      port: 5080,
      transport: 'tcp',
    });
    expect(parseSipUri('sips:[2001:db8::1]:5061')).toEqual({ scheme: 'sips', host: '[2001:db8::1]', port: 5061 });
    expect(parseSipUri('sip:rts.xswitch.cn:20003;transport=tcp')).toEqual({ scheme: 'sip', host: 'rts.xswitch.cn', port: 20003, transport: 'tcp' });
    expect(parseSipUri('sip:+8610;phone-context=x@10.0.0.1')).toEqual({ scheme: 'sip', user: '+8610;phone-context=x', host: '10.0.0.1' });
  });

  it('rejects what is not a sip/sips URI with a usable host', () => {
    for (const bad of ['http://a', 'sip:', 'sip:host:0', 'sip:host:70000', 'sip:host:5x', 'sip:[::1', 'sip:ho st', 'tel:+123']) {
      expect(parseSipUri(bad), bad).toBeUndefined();
    }
  });
});
