/**
 * Value patterns of static rules, compiled once at load: `*` (anything), `prefix*`, `/regex/` or an
 * exact value. Matching on the request path is a string compare or one precompiled regex.
 */
export type Matcher = (value: string | undefined) => boolean;

export function compilePattern(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    const re = new RegExp(pattern.slice(1, -1));
    return (v) => v !== undefined && re.test(v);
  }
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (v) => v !== undefined && v.startsWith(prefix);
  }
  return (v) => v === pattern;
}

/** Hosts compare case-insensitively (RFC 3261 §19.1.4). */
export function compileHostPattern(pattern: string): Matcher {
  const m = compilePattern(pattern.startsWith('/') ? pattern : pattern.toLowerCase());
  return (v) => m(v?.toLowerCase());
}
