/**
 * POSIX bracket classes (`[[:digit:]]`) as JavaScript character-class contents. PCRE and fnmatch
 * accept them inside brackets; a JavaScript class would read `[:digit:]` as the characters
 * `:`, `d`, `i`, `g`, `t`, so patterns must be rewritten before they reach RegExp. ASCII only,
 * as PCRE without UTF and glibc in the C locale.
 */
export const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  word: '\\w',
  xdigit: '0-9A-Fa-f',
};

/** Characters that must be escaped to stand for themselves inside a JavaScript class (`u` flag). */
const CLASS_SPECIAL = new Set(['\\', ']', '[', '^', '-']);

export function classLiteral(c: string): string {
  return CLASS_SPECIAL.has(c) ? `\\${c}` : c;
}

/**
 * Reads `[:name:]` at `pattern[i]` (the `[`): the class contents and the index after `:]`;
 * undefined when it is not one; an Error for an unknown name.
 */
export function readPosixClass(pattern: string, i: number): { body: string; next: number } | Error | undefined {
  if (pattern[i] !== '[' || pattern[i + 1] !== ':') return undefined;
  const end = pattern.indexOf(':]', i + 2);
  if (end === -1) return undefined;
  const name = pattern.slice(i + 2, end);
  const body = POSIX_CLASSES[name];
  if (body === undefined) return new Error(`unknown POSIX class [:${name}:]`);
  return { body, next: end + 2 };
}
