/**
 * Kamailio's dialplan translation as a pure table: rows of the `dialplan` table (dpid, pr,
 * match_op, match_exp, match_len, subst_exp, repl_exp, attrs) compiled once, then
 * `translate(dpid, input)` as `dp_replace` and the `dialplan.translate` RPC do it:
 *
 * 1. Rules of the dpid are tried by ascending `pr` (ties in row order): first those whose
 *    `match_len` equals the input's length, then those with `match_len` 0; others never.
 * 2. `match_op` 0 is string equality, 1 an unanchored PCRE search, 2 a glibc fnmatch glob.
 * 3. The first rule that matches decides; its `attrs` are the result's attributes. A later rule is
 *    never tried, even when this one's `subst_exp` then fails.
 * 4. Output: an empty `repl_exp` matches without replacing (output ''). An empty `subst_exp`, or a
 *    `repl_exp` without escapes, gives `repl_exp` as written. Otherwise `subst_exp` must match the
 *    input (else the translation fails) and the output is `repl_exp` alone with `\0`..`\9` replaced
 *    by the match's groups: input outside the match is dropped (not sed's replace-in-place).
 *
 * Kamailio refuses the whole table when one row is bad; so does `fromRows`, naming every bad row.
 */
import { RowReader, type Row } from '../../data/table-rows.js';
import { atCheckpoint, runAtOnce, type SlicedWork } from '../../data/sliced.js';
import { compileFnmatch } from './fnmatch.js';
import { compilePcre } from './pcre-regex.js';

/** match_op as Kamailio stores it; names inside the router. */
export const DIALPLAN_MATCH_OPS = ['equal', 'regex', 'fnmatch'] as const;
export type DialplanMatchOp = (typeof DIALPLAN_MATCH_OPS)[number];

/** Kamailio builds the output in a 128-byte buffer and refuses output that does not leave room for the NUL. */
export const DIALPLAN_MAX_OUTPUT = 126;

export const DIALPLAN_FAILURES = {
  unknownDpid: 'unknown-dpid',
  emptyInput: 'empty-input',
  noMatch: 'no-match',
  substNoMatch: 'subst-no-match',
  outputTooLong: 'output-too-long',
} as const;
export type DialplanFailure = (typeof DIALPLAN_FAILURES)[keyof typeof DIALPLAN_FAILURES];

export interface DialplanRuleInfo {
  readonly dpid: number;
  readonly pr: number;
  readonly matchOp: DialplanMatchOp;
  readonly matchExp: string;
  readonly matchLen: number;
  readonly substExp: string;
  readonly replExp: string;
  readonly attrs: string;
}

export type DialplanTranslation =
  | {
      readonly ok: true;
      /** The translated string; '' when the rule has no repl_exp (a match that replaces nothing). */
      readonly output: string;
      readonly attrs: string;
      readonly rule: DialplanRuleInfo;
    }
  | { readonly ok: false; readonly failure: DialplanFailure; readonly rule?: DialplanRuleInfo };

export interface TranslateOptions {
  /** Value of `\u` in repl_exp (the Request-URI); '' when absent, as Kamailio's RPC has no request. */
  readonly ruri?: string;
}

type ReplPart = { readonly text: string } | { readonly group: number } | { readonly uri: true };

interface Rule extends DialplanRuleInfo {
  readonly matches: (input: string) => boolean;
  readonly subst: RegExp | undefined;
  /** Parsed repl_exp; undefined when repl_exp is empty. */
  readonly repl: { readonly parts: readonly ReplPart[]; readonly escapes: number } | undefined;
}

export type DialplanLoad = { ok: true; dialplan: Dialplan } | { ok: false; errors: string[] };

export class Dialplan {
  /** dpid -> match_len -> rules by ascending pr. */
  private constructor(private readonly byDpid: ReadonlyMap<number, ReadonlyMap<number, readonly Rule[]>>) {}

  /** `origin` names the rows in errors (`table dialplan`, a file name…). */
  static fromRows(rows: readonly Row[], origin: string): DialplanLoad {
    return runAtOnce(Dialplan.buildRows(rows, origin));
  }

  /** fromRows as sliced work (a reload builds it between route requests). */
  static *buildRows(rows: readonly Row[], origin: string): SlicedWork<DialplanLoad> {
    const errors: string[] = [];
    const rules: Rule[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Row;
      if (atCheckpoint(i)) yield;
      const r = compileRule(new RowReader(row, `${origin} row ${i + 1}`), `${origin} row ${i + 1}`);
      if (typeof r === 'string') errors.push(r);
      else rules.push(r);
    }
    if (errors.length > 0) return { ok: false, errors };
    const byDpid = new Map<number, Map<number, Rule[]>>();
    // Array.prototype.sort is stable: equal priorities keep row order.
    const ordered = [...rules].sort((a, b) => a.pr - b.pr);
    for (let i = 0; i < ordered.length; i++) {
      const rule = ordered[i] as Rule;
      if (atCheckpoint(i)) yield;
      let byLen = byDpid.get(rule.dpid);
      if (!byLen) byDpid.set(rule.dpid, (byLen = new Map()));
      const list = byLen.get(rule.matchLen);
      if (list) list.push(rule);
      else byLen.set(rule.matchLen, [rule]);
    }
    return { ok: true, dialplan: new Dialplan(byDpid) };
  }

  hasDpid(dpid: number): boolean {
    return this.byDpid.has(dpid);
  }

  /** The rules of `dpid` in the order they are tried for inputs of any one length (`dialplan.dump`). */
  rules(dpid: number): DialplanRuleInfo[] {
    const byLen = this.byDpid.get(dpid);
    if (!byLen) return [];
    const lens = [...byLen.keys()].sort((a, b) => (a === 0 ? 1 : b === 0 ? -1 : a - b));
    return lens.flatMap((len) => (byLen.get(len) ?? []).map(info));
  }

  translate(dpid: number, input: string, options: TranslateOptions = {}): DialplanTranslation {
    const byLen = this.byDpid.get(dpid);
    if (!byLen) return { ok: false, failure: DIALPLAN_FAILURES.unknownDpid };
    if (input === '') return { ok: false, failure: DIALPLAN_FAILURES.emptyInput };
    const candidates = [...(byLen.get(input.length) ?? []), ...(byLen.get(0) ?? [])];
    const rule = candidates.find((r) => r.matches(input));
    if (!rule) return { ok: false, failure: DIALPLAN_FAILURES.noMatch };
    if (!rule.repl) return { ok: true, output: '', attrs: rule.attrs, rule: info(rule) };
    let output: string;
    if (rule.subst) {
      const m = rule.subst.exec(input);
      if (!m) return { ok: false, failure: DIALPLAN_FAILURES.substNoMatch, rule: info(rule) };
      output = rule.repl.escapes === 0 ? rule.replExp : expand(rule.repl.parts, m, options.ruri ?? '');
    } else {
      // Without subst_exp Kamailio copies repl_exp as written, escapes included.
      output = rule.replExp;
    }
    if (output.length > DIALPLAN_MAX_OUTPUT) return { ok: false, failure: DIALPLAN_FAILURES.outputTooLong, rule: info(rule) };
    return { ok: true, output, attrs: rule.attrs, rule: info(rule) };
  }
}

function info(r: Rule): DialplanRuleInfo {
  return { dpid: r.dpid, pr: r.pr, matchOp: r.matchOp, matchExp: r.matchExp, matchLen: r.matchLen, substExp: r.substExp, replExp: r.replExp, attrs: r.attrs };
}

function expand(parts: readonly ReplPart[], m: RegExpExecArray, ruri: string): string {
  let out = '';
  for (const part of parts) {
    if ('text' in part) out += part.text;
    else if ('group' in part) out += m[part.group] ?? '';
    else out += ruri;
  }
  return out;
}

/** A compiled rule, or the error naming the row. */
function compileRule(r: RowReader, where: string): Rule | string {
  let base: DialplanRuleInfo;
  try {
    const op = r.int('match_op');
    const matchOp = DIALPLAN_MATCH_OPS[op];
    if (matchOp === undefined) return `${where}: match_op ${op} is not 0 (equal), 1 (regex) or 2 (fnmatch)`;
    base = {
      dpid: r.int('dpid'),
      pr: r.int('pr'),
      matchOp,
      matchExp: r.str('match_exp'),
      matchLen: r.int('match_len', 0),
      substExp: r.str('subst_exp', ''),
      replExp: r.str('repl_exp', ''),
      attrs: r.str('attrs', ''),
    };
  } catch (e) {
    return (e as Error).message;
  }
  let matches: (input: string) => boolean;
  if (base.matchOp === 'equal') {
    const exp = base.matchExp;
    matches = (input) => input === exp;
  } else {
    const c = base.matchOp === 'regex' ? compilePcre(base.matchExp) : compileFnmatch(base.matchExp);
    if (!c.ok) return `${where}: match_exp ${JSON.stringify(base.matchExp)} does not compile: ${c.error}`;
    const re = c.regex;
    matches = (input) => re.test(input);
  }
  let subst: RegExp | undefined;
  let groups = 0;
  if (base.substExp !== '') {
    const c = compilePcre(base.substExp);
    if (!c.ok) return `${where}: subst_exp ${JSON.stringify(base.substExp)} does not compile: ${c.error}`;
    subst = c.regex;
    groups = c.groups;
  }
  let repl: Rule['repl'];
  if (base.replExp !== '') {
    const parsed = parseRepl(base.replExp);
    if (typeof parsed === 'string') return `${where}: repl_exp ${JSON.stringify(base.replExp)}: ${parsed}`;
    if (parsed.maxGroup > groups) {
      return `${where}: repl_exp ${JSON.stringify(base.replExp)} refers to group \\${parsed.maxGroup}, but subst_exp ${JSON.stringify(base.substExp)} has ${groups}`;
    }
    repl = { parts: parsed.parts, escapes: parsed.escapes };
  }
  return { ...base, matches, subst, repl };
}

const CHAR_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t' };

/**
 * repl_exp as Kamailio's replacement parser reads it: `\0`..`\9` groups, `\u` the Request-URI,
 * `\n` `\r` `\t` control characters, `\` before anything else that character itself. Kamailio
 * also expands pseudo-variables (`$var(x)`); the router has none, so a `$` not written `\$` is
 * refused rather than copied.
 */
function parseRepl(exp: string): { parts: ReplPart[]; escapes: number; maxGroup: number } | string {
  const parts: ReplPart[] = [];
  let text = '';
  let escapes = 0;
  let maxGroup = 0;
  for (let i = 0; i < exp.length; i++) {
    const c = exp[i] as string;
    if (c === '$') return 'pseudo-variables are not supported (write \\$ for a literal $)';
    if (c !== '\\' || i === exp.length - 1) {
      // a trailing lone backslash is kept as text, as Kamailio's copy of the rest does
      text += c;
      continue;
    }
    const d = exp[++i] as string;
    escapes++;
    if (/[0-9]/.test(d) || d === 'u') {
      if (text !== '') parts.push({ text });
      text = '';
      if (d === 'u') parts.push({ uri: true });
      else {
        const group = Number(d);
        maxGroup = Math.max(maxGroup, group);
        parts.push({ group });
      }
    } else {
      text += CHAR_ESCAPES[d] ?? d;
    }
  }
  if (text !== '') parts.push({ text });
  return { parts, escapes, maxGroup };
}
