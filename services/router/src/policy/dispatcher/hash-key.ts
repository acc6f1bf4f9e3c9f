/**
 * What the hashing algorithms hash. Kamailio's keys are followed (Call-ID; user plus host[:port] of a
 * URI, the port only when it is not the scheme's default; the auth username; a template of request
 * variables), but not its hash function: FNV-1a spreads as well, so the same key always reaches the
 * same destination here too, only not necessarily the one a Kamailio would have picked.
 */
import { authUsername, type RequestFacts } from './request-facts.js';
import { defaultPort, parseSipUri } from './sip-uri.js';

/** FNV-1a, 32 bit: cheap and well spread for short keys such as Call-IDs. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The hash key of a From/To/Request URI: `user@host[:port]`, or only the user when `userOnly`
 * (Kamailio `flags` bit 1). URI parameters do not count, so `;transport=tcp` does not move a caller.
 * Undefined when the URI cannot be parsed (Kamailio fails the selection then).
 */
export function uriHashKey(uri: string, userOnly: boolean): string | undefined {
  const parts = parseSipUri(uri);
  if (!parts) return undefined;
  const user = parts.user ?? '';
  if (userOnly) return user;
  const port = parts.port === undefined || parts.port === defaultPort(parts) ? '' : `:${parts.port}`;
  return `${user}@${parts.host}${port}`;
}

/** A compiled `hash_pvar` template such as "$fU" or "$fU@$ci". */
export interface HashTemplate {
  source: string;
  render(facts: RequestFacts): string;
}

const VARIABLES: Readonly<Record<string, (f: RequestFacts) => string>> = {
  fU: (f) => f.from.user ?? '',
  fd: (f) => f.from.host,
  fu: (f) => f.from.uri,
  tU: (f) => f.to.user ?? '',
  td: (f) => f.to.host,
  tu: (f) => f.to.uri,
  rU: (f) => f.ruri_parts.user ?? '',
  rd: (f) => f.ruri_parts.host,
  ru: (f) => f.ruri,
  ci: (f) => f.call_id,
  si: (f) => f.source.ip,
  sp: (f) => String(f.source.port),
  au: (f) => authUsername(f) ?? '',
};

export const hashTemplateVariables: readonly string[] = Object.keys(VARIABLES).map((v) => `$${v}`);

/**
 * Compiles a template of literal text and `$name` variables (Kamailio pseudo-variable names, see
 * hashTemplateVariables). An unknown variable is a load error; Kamailio would fail at start too. An
 * absent value renders as "" (Kamailio prints "<null>"). `setting` names the template in errors
 * (dispatcher hash_pvar, a call limit's value).
 */
export function compileHashTemplate(source: string, setting = 'hash_pvar'): { ok: true; template: HashTemplate } | { ok: false; error: string } {
  const parts: (string | ((f: RequestFacts) => string))[] = [];
  let i = 0;
  while (i < source.length) {
    const dollar = source.indexOf('$', i);
    if (dollar === -1) {
      parts.push(source.slice(i));
      break;
    }
    if (dollar > i) parts.push(source.slice(i, dollar));
    const name = /^[A-Za-z_]*/.exec(source.slice(dollar + 1))?.[0] ?? '';
    const variable = VARIABLES[name];
    if (!variable) {
      const shown = source.slice(dollar, dollar + 1 + Math.max(name.length, 1));
      return { ok: false, error: `${setting} "${source}": unknown variable ${shown} (known: ${hashTemplateVariables.join(' ')})` };
    }
    parts.push(variable);
    i = dollar + 1 + name.length;
  }
  if (!parts.some((p) => typeof p !== 'string')) return { ok: false, error: `${setting} "${source}" has no variable, so every request would hash the same` };
  return {
    ok: true,
    template: { source, render: (f) => parts.map((p) => (typeof p === 'string' ? p : p(f))).join('') },
  };
}
