// Octets the SIP grammar (RFC 3261 §25.1) gives meaning to, named once so scanners read as the ABNF.
export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMI = 0x3b;
export const COMMA = 0x2c;
export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LAQUOT = 0x3c;
export const RAQUOT = 0x3e;
export const SLASH = 0x2f;
export const EQUAL = 0x3d;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
