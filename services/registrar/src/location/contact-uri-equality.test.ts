/** RFC 3261 §19.1.4 URI comparison, with the RFC's own examples. */
import { describe, expect, it } from 'vitest';
import { sameContactUri } from './contact-uri-equality.js';

describe('sameContactUri (RFC 3261 §19.1.4)', () => {
  it('treats the RFC examples of equal URIs as equal', () => {
    expect(sameContactUri('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp')).toBe(true);
    expect(sameContactUri('sip:carol@chicago.com', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(sameContactUri('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com;newparam=5')).toBe(true);
    expect(sameContactUri('sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com')).toBe(true);
    expect(sameContactUri('sip:alice@atlanta.com?subject=project%20x&priority=urgent', 'sip:alice@atlanta.com?priority=urgent&subject=project%20x')).toBe(true);
  });

  it('treats the RFC examples of different URIs as different', () => {
    expect(sameContactUri('SIP:ALICE@AtLanTa.CoM;Transport=udp', 'sip:alice@AtLanTa.CoM;Transport=UDP')).toBe(false);
    expect(sameContactUri('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060')).toBe(false);
    expect(sameContactUri('sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp')).toBe(false);
    expect(sameContactUri('sip:bob@biloxi.com', 'sip:bob@biloxi.com:6000;transport=tcp')).toBe(false);
    expect(sameContactUri('sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting')).toBe(false);
    expect(sameContactUri('sip:bob@phone21.boxesbybob.com', 'sip:bob@192.0.2.4')).toBe(false);
  });

  it('needs transport, user, ttl, method and maddr in both or in neither', () => {
    expect(sameContactUri('sip:+1555@gw.example.com;user=phone', 'sip:+1555@gw.example.com')).toBe(false);
    expect(sameContactUri('sip:a@gw.example.com;maddr=239.255.255.1', 'sip:a@gw.example.com')).toBe(false);
  });

  it('never equates sip and sips, and compares other schemes as text', () => {
    expect(sameContactUri('sips:a@example.com', 'sip:a@example.com')).toBe(false);
    expect(sameContactUri('tel:+15551234', 'TEL:+15551234')).toBe(true);
    expect(sameContactUri('[2001:db8::1]', 'sip:a@[2001:DB8::1]')).toBe(false);
    expect(sameContactUri('sip:a@[2001:db8::1]:5070', 'sip:a@[2001:DB8::1]:5070')).toBe(true);
  });
});
