/**
 * Kamailio compiles dialplan expressions with PCRE2 (no options); the router runs JavaScript
 * RegExp. The two agree on the syntax routing data uses (classes, groups, quantifiers,
 * alternation, anchors, `\d`…), and this module rewrites the parts where they read the same text
 * differently, so an expression behaves as it did in Kamailio or is refused at load:
 *
 * - an escaped non-alphanumeric (`\-`, `\@`) is always a literal in PCRE; the `u` flag rejects
 *   most of them, so they are written out as literals;
 * - `]` first in a class is a literal in PCRE, an empty class in JavaScript; a `{`, `}` or `]` that
 *   does not close or start anything is a literal in PCRE and an error with the `u` flag;
 * - POSIX classes (`[[:digit:]]`);
 * - `\A`, `\z`, `\Z` anchors, and `(?#…)` comments.
 *
 * Everything else goes to RegExp with the `u` flag, which refuses unknown escapes and other PCRE
 * only syntax (`\Q…\E`, possessive quantifiers, inline options) instead of reading it as
 * literals, so a difference shows up as a load error naming the row, never as a silent mismatch.
 */
import { classLiteral, readPosixClass } from './posix-classes.js';

export type CompiledPattern = { ok: true; regex: RegExp; groups: number } | { ok: false; error: string };

/** Characters that keep their backslash outside a class (JavaScript syntax characters). */
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);
const ALNUM = /[A-Za-z0-9]/;

export function compilePcre(pattern: string): CompiledPattern {
  let source: string;
  try {
    source = pcreToJs(pattern);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  try {
    const regex = new RegExp(source, 'u');
    // An alternative that matches '' makes exec return every group, so its length counts them.
    const groups = (new RegExp(`${source}|`, 'u').exec('') as RegExpExecArray).length - 1;
    return { ok: true, regex, groups };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function pcreToJs(p: string): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined) throw new Error('\\ at end of pattern');
      out += escapeOutsideClass(d);
      i += 2;
    } else if (c === '[') {
      const cls = readClass(p, i);
      out += cls.source;
      i = cls.next;
    } else if (c === '{') {
      const quantifier = /^\{\d+(?:,\d*)?\}/.exec(p.slice(i))?.[0];
      out += quantifier ?? '\\{';
      i += quantifier?.length ?? 1;
    } else if (c === '}' || c === ']') {
      out += `\\${c}`;
      i++;
    } else if (p.startsWith('(?#', i)) {
      const end = p.indexOf(')', i);
      if (end === -1) throw new Error('missing ) after (?# comment');
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function escapeOutsideClass(d: string): string {
  if (d === 'A') return '^';
  // Without the m flag, JavaScript's $ is the end of the input, PCRE's \z.
  if (d === 'z') return '$';
  if (d === 'Z') return '(?=\\n?$)';
  if (ALNUM.test(d)) return `\\${d}`;
  return SYNTAX.has(d) ? `\\${d}` : d;
}

function readClass(p: string, start: number): { source: string; next: number } {
  let i = start + 1;
  let source = '[';
  if (p[i] === '^') {
    source += '^';
    i++;
  }
  let first = true;
  for (;;) {
    const c = p[i];
    if (c === undefined) throw new Error('missing terminating ] for character class');
    if (c === ']' && !first) return { source: `${source}]`, next: i + 1 };
    first = false;
    const posix = readPosixClass(p, i);
    if (posix instanceof Error) throw posix;
    if (posix) {
      source += posix.body;
      i = posix.next;
    } else if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined) throw new Error('\\ at end of pattern');
      source += ALNUM.test(d) ? `\\${d}` : classLiteral(d);
      i += 2;
    } else {
      // a bare '-' keeps making ranges; ']' here is the leading literal one
      source += c === '-' ? '-' : classLiteral(c);
      i++;
    }
  }
}
