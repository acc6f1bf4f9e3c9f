/** PCRE expressions of dialplan rows run as JavaScript RegExp with PCRE's reading, or are refused. */
import { describe, expect, it } from 'vitest';
import { compilePcre } from './pcre-regex.js';

function re(pattern: string): RegExp {
  const c = compilePcre(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.regex;
}

describe('compilePcre', () => {
  it('searches unanchored, like pcre2_match without options', () => {
    expect(re('0([0-9]{8})').exec('9012345678')?.[1]).toBe('12345678');
    expect(re('^0[0-9]{8}$').test('0123456789')).toBe(false);
  });

  it('counts capturing groups, not (?:…) ones', () => {
    const c = compilePcre('^(00|\\+)(?:49)([0-9]+)(x)?$');
    expect(c.ok && c.groups).toBe(3);
  });

  it('reads escaped punctuation as literals, which the u flag alone would refuse', () => {
    expect(re('^\\+49\\-\\@\\#').test('+49-@#')).toBe(true);
    expect(re('^a\\.b$').test('axb')).toBe(false);
  });

  it('reads a leading ] in a class as a literal and keeps ranges', () => {
    expect(re('^[]a]+$').test(']a]')).toBe(true);
    expect(re('^[^]a]$').test('b')).toBe(true);
    expect(re('^[^]a]$').test(']')).toBe(false);
    expect(re('^[a\\-c]$').test('b')).toBe(false);
    expect(re('^[a-c]$').test('b')).toBe(true);
  });

  it('knows POSIX classes inside brackets', () => {
    expect(re('^[[:digit:]]+$').test('0123')).toBe(true);
    expect(re('^[[:digit:]]+$').test('d:')).toBe(false);
    expect(re('^[^[:alpha:]+]$').test('1')).toBe(true);
    expect(compilePcre('[[:nope:]]')).toEqual({ ok: false, error: 'unknown POSIX class [:nope:]' });
  });

  it('maps \\A, \\z and \\Z, drops (?#…) comments, and takes a stray { } or ] as literal', () => {
    expect(re('\\A1(?# country)2\\z').test('12')).toBe(true);
    expect(re('\\A1\\z').test('x1')).toBe(false);
    expect(re('1\\Z').test('1\n')).toBe(true);
    expect(re('^a{$').test('a{')).toBe(true);
    expect(re('^x}]$').test('x}]')).toBe(true);
    expect(re('^a{2,3}$').test('aaa')).toBe(true);
  });

  it('refuses PCRE-only syntax instead of reading it differently', () => {
    for (const pattern of ['a++', '(?i)abc', '\\Qa.b\\E', '0([0-9]{8}', '[0-9', '\\', '\\h']) {
      expect(compilePcre(pattern).ok, pattern).toBe(false);
    }
  });
});
