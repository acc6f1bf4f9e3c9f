/** glibc fnmatch(pattern, s, 0) semantics for dialplan match_op 2. */
import { describe, expect, it } from 'vitest';
import { compileFnmatch } from './fnmatch.js';

function matches(pattern: string, s: string): boolean {
  const c = compileFnmatch(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.regex.test(s);
}

describe('compileFnmatch', () => {
  it('matches the whole string with * and ?, slashes and leading dots included', () => {
    expect(matches('00*', '0049')).toBe(true);
    expect(matches('00*', '1004')).toBe(false);
    expect(matches('1??', '123')).toBe(true);
    expect(matches('1??', '1234')).toBe(false);
    expect(matches('*', '.a/b')).toBe(true);
  });

  it('takes regex characters and escaped ones literally; a trailing backslash matches nothing', () => {
    expect(matches('+49.1', '+49.1')).toBe(true);
    expect(matches('+49.1', '+4901')).toBe(false);
    expect(matches('\\*1', '*1')).toBe(true);
    expect(matches('\\*1', 'x1')).toBe(false);
    expect(matches('1\\', '1\\')).toBe(false);
    expect(matches('1\\', '1')).toBe(false);
  });

  it('reads bracket expressions: ranges, ! and ^ negation, a leading ], POSIX classes', () => {
    expect(matches('[1-3]0', '20')).toBe(true);
    expect(matches('[1-3]0', '40')).toBe(false);
    expect(matches('[!0]*', '123')).toBe(true);
    expect(matches('[!0]*', '0123')).toBe(false);
    expect(matches('[^0]*', '0123')).toBe(false);
    expect(matches('[]x]', ']')).toBe(true);
    expect(matches('[a-]', '-')).toBe(true);
    expect(matches('[[:digit:]][[:digit:]]', '42')).toBe(true);
    expect(matches('[\\]]', ']')).toBe(true);
  });

  it('takes a [ without ] as a literal, and a reversed range as matching nothing', () => {
    expect(matches('[12', '[12')).toBe(true);
    expect(matches('[9-0]', '5')).toBe(false);
    expect(matches('[9-0x]', 'x')).toBe(true);
  });

  it('refuses collating elements and unknown classes', () => {
    expect(compileFnmatch('[[=a=]]').ok).toBe(false);
    expect(compileFnmatch('[[:nope:]]').ok).toBe(false);
  });
});
