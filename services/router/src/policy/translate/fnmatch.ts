/**
 * glibc `fnmatch(pattern, string, 0)` (dialplan match_op 2) as an anchored RegExp. With no flags:
 * `*` and `?` match any characters, `/` and a leading `.` included; `\` quotes the next character
 * (a trailing `\` makes the pattern match nothing); `[…]` is a bracket expression with `!` or `^`
 * for negation, a leading `]` as a literal, ranges, POSIX classes and `\` quoting; a `[` without
 * its `]` is a literal `[`. A range whose ends are reversed matches nothing, as in glibc.
 */
import { classLiteral, readPosixClass } from './posix-classes.js';

const NOTHING = /(?!)/u;

export function compileFnmatch(pattern: string): { ok: true; regex: RegExp } | { ok: false; error: string } {
  let source = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '*') {
      source += '[\\s\\S]*';
      i++;
    } else if (c === '?') {
      source += '[\\s\\S]';
      i++;
    } else if (c === '\\') {
      const d = pattern[i + 1];
      if (d === undefined) return { ok: true, regex: NOTHING };
      source += literal(d);
      i += 2;
    } else if (c === '[') {
      const bracket = readBracket(pattern, i);
      if (bracket instanceof Error) return { ok: false, error: bracket.message };
      if (bracket) {
        source += bracket.source;
        i = bracket.next;
      } else {
        source += '\\[';
        i++;
      }
    } else {
      source += literal(c);
      i++;
    }
  }
  return { ok: true, regex: new RegExp(`^${source}$`, 'u') };
}

function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** The bracket expression at `start`, or undefined when it has no closing `]`. */
function readBracket(p: string, start: number): { source: string; next: number } | Error | undefined {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (;;) {
    if (i >= p.length) return undefined;
    if (p[i] === ']' && !first) return { source: `[${negate ? '^' : ''}${body}]`, next: i + 1 };
    first = false;
    const posix = readPosixClass(p, i);
    if (posix instanceof Error) return posix;
    if (posix) {
      body += posix.body;
      i = posix.next;
      continue;
    }
    if (p[i] === '[' && (p[i + 1] === '=' || p[i + 1] === '.')) return new Error(`collating element ${p.slice(i, i + 2)}…] is not supported`);
    const low = readChar(p, i);
    if (!low) return undefined;
    i = low.next;
    if (p[i] === '-' && p[i + 1] !== ']' && p[i + 1] !== undefined) {
      const high = readChar(p, i + 1);
      if (!high) return undefined;
      i = high.next;
      if (low.char <= high.char) body += `${classLiteral(low.char)}-${classLiteral(high.char)}`;
    } else {
      body += classLiteral(low.char);
    }
  }
}

function readChar(p: string, i: number): { char: string; next: number } | undefined {
  const c = p[i];
  if (c === undefined) return undefined;
  if (c !== '\\') return { char: c, next: i + 1 };
  const d = p[i + 1];
  return d === undefined ? undefined : { char: d, next: i + 2 };
}
