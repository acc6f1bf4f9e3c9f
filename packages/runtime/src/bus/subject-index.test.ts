import { describe, expect, it } from 'vitest';
import { SubjectIndex } from './subject-index.js';
import { SubjectKind, isValidSubject } from './subject.js';

interface Sub {
  subject: string;
  queue: string | undefined;
  id: string;
}

function matchIds(index: SubjectIndex<Sub>, subject: string): string[] {
  const out: Sub[] = [];
  index.match(subject, out);
  return out.map((s) => s.id).sort();
}

describe('SubjectIndex', () => {
  const sub = (id: string, subject: string): Sub => ({ id, subject, queue: undefined });

  it('matches literals, * and > as NATS does', () => {
    const index = new SubjectIndex<Sub>();
    const subs = [
      sub('literal', 'sipmesh.route.v1.default'),
      sub('star', 'sipmesh.route.v1.*'),
      sub('mid-star', 'sipmesh.*.v1.default'),
      sub('tail', 'sipmesh.route.>'),
      sub('all', '>'),
      sub('other', 'sipmesh.registrar.v1.register'),
    ];
    for (const s of subs) index.add(s);
    expect(index.size).toBe(6);
    expect(matchIds(index, 'sipmesh.route.v1.default')).toEqual(['all', 'literal', 'mid-star', 'star', 'tail']);
    expect(matchIds(index, 'sipmesh.route.v1.lcr')).toEqual(['all', 'star', 'tail']);
    expect(matchIds(index, 'sipmesh.route')).toEqual(['all']);
    expect(matchIds(index, 'sipmesh.route.v1.default.extra')).toEqual(['all', 'tail']);
    expect(matchIds(index, 'sipmesh')).toEqual(['all']);
    expect(matchIds(index, 'nothing.here')).toEqual(['all']);
  });

  it('keeps two subscriptions on one subject apart and removes exactly the one asked', () => {
    const index = new SubjectIndex<Sub>();
    const one = sub('one', 'a.*');
    const two = sub('two', 'a.*');
    index.add(one);
    index.add(two);
    expect(matchIds(index, 'a.b')).toEqual(['one', 'two']);
    expect(index.remove(one)).toBe(true);
    expect(index.remove(one)).toBe(false);
    expect(matchIds(index, 'a.b')).toEqual(['two']);
    expect(index.remove(two)).toBe(true);
    expect(matchIds(index, 'a.b')).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('removes > subscriptions and prunes', () => {
    const index = new SubjectIndex<Sub>();
    const tail = sub('tail', 'x.y.>');
    index.add(tail);
    expect(matchIds(index, 'x.y.z')).toEqual(['tail']);
    expect(index.remove(tail)).toBe(true);
    expect(matchIds(index, 'x.y.z')).toEqual([]);
  });
});

describe('isValidSubject', () => {
  it.each([
    ['sipmesh.route.v1.default', true, true],
    ['a', true, true],
    ['_INBOX.abc.1', true, true],
    ['a.*', false, true],
    ['a.>', false, true],
    ['>', false, true],
    ['a.>.b', false, false],
    ['a*.b', true, true], // a token containing * is a literal
    ['', false, false],
    ['a..b', false, false],
    ['.a', false, false],
    ['a.', false, false],
    ['a b', false, false],
    ['a\tb', false, false],
    ['a\r\nb', false, false],
  ])('%j publish=%s subscribe=%s', (subject, publish, subscribe) => {
    expect(isValidSubject(subject, SubjectKind.publish)).toBe(publish);
    expect(isValidSubject(subject, SubjectKind.subscribe)).toBe(subscribe);
  });
});
