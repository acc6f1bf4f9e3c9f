/**
 * Dialplan translation (spec §8.2, TC-86 to TC-88): the book's two rules first, then Kamailio's
 * edge semantics (priority, match_len, subst failure, replacement-only output, escapes).
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { Dialplan, DIALPLAN_MAX_OUTPUT, type DialplanTranslation } from './dialplan.js';

const BOOK_ROWS: Row[] = [
  { dpid: 1, pr: 0, match_op: 0, match_exp: '102', match_len: 0, subst_exp: '', repl_exp: '212341234', attrs: 'equal match' },
  { dpid: 2, pr: 0, match_op: 1, match_exp: '0([0-9]{8})', match_len: 0, subst_exp: '0([0-9]{8})', repl_exp: '\\1', attrs: 'regexp match' },
];

function load(rows: Row[]): Dialplan {
  const r = Dialplan.fromRows(rows, 'test');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.dialplan;
}

const rule = (over: Partial<Record<string, unknown>>): Row => ({ dpid: 1, pr: 0, match_op: 1, match_exp: '', match_len: 0, subst_exp: '', repl_exp: '', attrs: '', ...over });

function output(t: DialplanTranslation): string | undefined {
  return t.ok ? t.output : undefined;
}

describe('dialplan: the book (TC-86, TC-87)', () => {
  const dp = load(BOOK_ROWS);

  it('dialplan.translate 1 s:102 -> 212341234, "equal match"', () => {
    const t = dp.translate(1, '102');
    expect(t.ok && { output: t.output, attrs: t.attrs }).toEqual({ output: '212341234', attrs: 'equal match' });
  });

  it('dialplan.translate 2 s:012345678 -> 12345678, "regexp match" (the 0 is eaten)', () => {
    const t = dp.translate(2, '012345678');
    expect(t.ok && { output: t.output, attrs: t.attrs }).toEqual({ output: '12345678', attrs: 'regexp match' });
  });

  it('finds nothing for 102 in dpid 2 or 12345678 (no leading 0)', () => {
    expect(dp.translate(2, '102')).toEqual({ ok: false, failure: 'no-match' });
    expect(dp.translate(2, '12345678')).toEqual({ ok: false, failure: 'no-match' });
  });
});

describe('dialplan: Kamailio semantics (TC-88)', () => {
  const dp = load(BOOK_ROWS);

  it('outputs the replacement only: the regex is unanchored and input outside the match is dropped', () => {
    expect(output(dp.translate(2, '0123456789'))).toBe('12345678');
    expect(output(dp.translate(2, '9012345678'))).toBe('12345678');
  });

  it('compares equal rules by the whole string', () => {
    expect(dp.translate(1, '1020')).toEqual({ ok: false, failure: 'no-match' });
    expect(dp.translate(1, '10')).toEqual({ ok: false, failure: 'no-match' });
  });

  it('tries a lower pr first (a pr=-1 rule 0(.*) -> 99\\1 takes over)', () => {
    const withPriority = load([...BOOK_ROWS, rule({ dpid: 2, pr: -1, match_exp: '0(.*)', subst_exp: '0(.*)', repl_exp: '99\\1', attrs: 'first' })]);
    expect(output(withPriority.translate(2, '012345678'))).toBe('9912345678');
    const two = load([rule({ pr: 2, match_exp: '^5', repl_exp: 'two' }), rule({ pr: 1, match_exp: '^5', repl_exp: 'one' })]);
    expect(output(two.translate(1, '555'))).toBe('one');
  });

  it('keeps row order between equal priorities', () => {
    const dp2 = load([rule({ match_exp: '^5', repl_exp: 'first' }), rule({ match_exp: '^5', repl_exp: 'second' })]);
    expect(output(dp2.translate(1, '5'))).toBe('first');
  });

  it('tries rules of the input length before match_len 0 rules, and never rules of another length', () => {
    const dp2 = load([
      rule({ pr: 0, match_exp: '.', repl_exp: 'any length' }),
      rule({ pr: 5, match_exp: '.', match_len: 9, repl_exp: 'nine' }),
      rule({ pr: 0, match_exp: '.', match_len: 3, repl_exp: 'three' }),
    ]);
    expect(output(dp2.translate(1, '123456789'))).toBe('nine');
    expect(output(dp2.translate(1, '123'))).toBe('three');
    expect(output(dp2.translate(1, '1234'))).toBe('any length');
    const onlyNine = load([rule({ match_exp: '.', match_len: 9, repl_exp: 'nine' })]);
    expect(onlyNine.translate(1, '1234')).toEqual({ ok: false, failure: 'no-match' });
  });

  it('fails when match_exp matches but subst_exp does not, without trying the next rule', () => {
    const dp2 = load([rule({ pr: 1, match_exp: '^1', subst_exp: '^9(.*)', repl_exp: '\\1' }), rule({ pr: 2, match_exp: '^1', repl_exp: 'later' })]);
    const t = dp2.translate(1, '123');
    expect(t.ok).toBe(false);
    expect(!t.ok && t.failure).toBe('subst-no-match');
  });

  it('matches without replacing when repl_exp is empty (output "", attrs given)', () => {
    const dp2 = load([rule({ match_exp: '^112$', attrs: 'emergency' })]);
    const t = dp2.translate(1, '112');
    expect(t.ok && { output: t.output, attrs: t.attrs }).toEqual({ output: '', attrs: 'emergency' });
  });

  it('copies repl_exp as written when there is no subst_exp, or it has no escapes', () => {
    expect(output(load([rule({ match_exp: '^1', repl_exp: 'a\\0b' })]).translate(1, '1'))).toBe('a\\0b');
    expect(output(load([rule({ match_exp: '^1', subst_exp: '^(1)', repl_exp: 'fixed' })]).translate(1, '1'))).toBe('fixed');
  });

  it('expands \\0, groups that did not take part, \\\\, \\$, \\n and \\u', () => {
    const dp2 = load([rule({ match_exp: '^0', subst_exp: '^0(9)?([0-9]+)', repl_exp: '[\\0][\\1][\\2]\\\\\\$\\u' })]);
    expect(output(dp2.translate(1, '0123', { ruri: 'sip:0123@example.com' }))).toBe('[0123][][123]\\$sip:0123@example.com');
    expect(output(dp2.translate(1, '0123'))).toBe('[0123][][123]\\$');
  });

  it('matches match_op 2 as an fnmatch glob', () => {
    const dp2 = load([rule({ match_op: 2, match_exp: '00[1-9]*', subst_exp: '^00(.*)', repl_exp: '+\\1' })]);
    expect(output(dp2.translate(1, '0049301234'))).toBe('+49301234');
    expect(dp2.translate(1, '0004').ok).toBe(false);
    expect(dp2.translate(1, '10049').ok).toBe(false); // anchored, unlike regex
  });

  it('refuses an unknown dpid, an empty input and an output longer than Kamailio allows', () => {
    expect(dp.translate(7, '102')).toEqual({ ok: false, failure: 'unknown-dpid' });
    expect(dp.translate(1, '')).toEqual({ ok: false, failure: 'empty-input' });
    const long = load([rule({ match_exp: '^1', subst_exp: '(1)', repl_exp: `${'9'.repeat(DIALPLAN_MAX_OUTPUT)}\\1` })]);
    expect(long.translate(1, '1')).toMatchObject({ ok: false, failure: 'output-too-long' });
    const fits = load([rule({ match_exp: '^1', subst_exp: '(1)', repl_exp: `${'9'.repeat(DIALPLAN_MAX_OUTPUT - 1)}\\1` })]);
    expect(output(fits.translate(1, '1'))).toHaveLength(DIALPLAN_MAX_OUTPUT);
  });

  it('lists the rules of a dpid in the order they are tried (dialplan.dump)', () => {
    const dp2 = load([rule({ pr: 3, match_exp: 'a' }), rule({ pr: 9, match_exp: 'b', match_len: 4 }), rule({ pr: 1, match_exp: 'c' }), rule({ dpid: 2, match_exp: 'd' })]);
    expect(dp2.rules(1).map((r) => r.matchExp)).toEqual(['b', 'c', 'a']);
    expect(dp2.hasDpid(2)).toBe(true);
    expect(dp2.rules(3)).toEqual([]);
  });
});

describe('dialplan: loading', () => {
  it('names every bad row: bad regex, unknown match_op, missing column, missing group, pseudo-variable', () => {
    const r = Dialplan.fromRows(
      [
        rule({ match_exp: '0([0-9]{8}' }),
        rule({ match_op: 3, match_exp: 'x' }),
        { dpid: 1, pr: 0, match_op: 0 },
        rule({ match_exp: '^0', subst_exp: '^0(.)', repl_exp: '\\2' }),
        rule({ match_exp: '^0', repl_exp: '\\1' }),
        rule({ match_exp: '^0', subst_exp: '(.*)', repl_exp: '$var(prefix)\\1' }),
        rule({ match_exp: '^ok$', repl_exp: 'fine' }),
      ],
      'table dialplan',
    );
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([
      expect.stringMatching(/^table dialplan row 1: match_exp "0\(\[0-9\]\{8\}" does not compile/),
      'table dialplan row 2: match_op 3 is not 0 (equal), 1 (regex) or 2 (fnmatch)',
      'table dialplan row 3: column match_exp is missing',
      expect.stringMatching(/^table dialplan row 4: repl_exp "\\\\2" refers to group \\2, but subst_exp "\^0\(\.\)" has 1/),
      expect.stringMatching(/^table dialplan row 5: repl_exp "\\\\1" refers to group \\1, but subst_exp "" has 0/),
      expect.stringMatching(/^table dialplan row 6: .*pseudo-variables are not supported/),
    ]);
  });

  it('reads numbers written as strings (CSV) and columns left out as Kamailio defaults', () => {
    const dp = load([{ dpid: '1', pr: '0', match_op: '0', match_exp: '102', repl_exp: '212341234' }]);
    const t = dp.translate(1, '102');
    expect(t.ok && { output: t.output, attrs: t.attrs }).toEqual({ output: '212341234', attrs: '' });
  });
});
