import { describe, expect, it } from 'vitest';
import { digestUriMatches } from './digest-uri-match.js';

describe('digest uri against the Request-URI (RFC 2617 §3.2.2.5, RFC 3261 §19.1.4)', () => {
  it('matches the same URI, written differently where RFC 3261 allows', () => {
    const same: [string, string][] = [
      ['sip:example.com', 'sip:example.com'],
      ['sip:alice@EXAMPLE.com', 'SIP:alice@example.COM'],
      ['sip:%61lice@example.com', 'sip:alice@example.com'],
      ['sip:carol@chicago.com;transport=TCP', 'sip:carol@chicago.com;TRANSPORT=tcp'],
      ['sip:carol@chicago.com;newparam=5', 'sip:carol@chicago.com;security=on'],
      ['sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com', 'sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com'],
      ['sip:[2001:DB8::1]:5060', 'sip:[2001:db8::1]:5060'],
      ['tel:+1-555-0100', 'TEL:+1-555-0100'],
    ];
    for (const [a, b] of same) expect(digestUriMatches(a, b), `${a} ~ ${b}`).toBe(true);
  });

  it('refuses another resource', () => {
    const different: [string, string][] = [
      ['sip:alice@example.com', 'sip:ALICE@example.com'],
      ['sip:bob@example.com', 'sip:alice@example.com'],
      ['sip:example.com', 'sip:example.com:5060'],
      ['sips:example.com', 'sip:example.com'],
      ['sip:example.com', 'sip:example.org'],
      ['sip:bob@biloxi.com', 'sip:bob@biloxi.com;transport=udp'],
      ['sip:carol@chicago.com;security=off', 'sip:carol@chicago.com;security=on'],
      ['sip:carol@chicago.com', 'sip:carol@chicago.com?Subject=next%20meeting'],
      ['sip:alice@example.com', 'sip:alice@example.com:5070'],
      ['/dir/index.html', 'sip:example.com'],
      ['sip:', 'sip:example.com'],
    ];
    for (const [a, b] of different) expect(digestUriMatches(a, b), `${a} !~ ${b}`).toBe(false);
  });
});
