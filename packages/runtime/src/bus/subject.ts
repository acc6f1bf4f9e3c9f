/**
 * NATS subject syntax, checked the same way for both buses so a subject that works in
 * embedded mode works against a NATS server. Tokens are separated by `.`, may not be empty
 * and may not contain whitespace; `*` matches one token and `>` the rest of the subject
 * (subscriptions only, `>` last).
 */

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

export const SubjectKind = { publish: 'publish', subscribe: 'subscribe' } as const;
export type SubjectKind = (typeof SubjectKind)[keyof typeof SubjectKind];

/** True when `subject` is valid for `kind`: wildcards are allowed only in subscriptions. */
export function isValidSubject(subject: string, kind: SubjectKind): boolean {
  const length = subject.length;
  if (length === 0) return false;
  let tokenStart = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? DOT : subject.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR || c === LF) return false;
    if (c !== DOT) continue;
    const tokenLength = i - tokenStart;
    if (tokenLength === 0) return false;
    if (tokenLength === 1) {
      const t = subject.charCodeAt(tokenStart);
      if (t === STAR || t === GT) {
        if (kind === SubjectKind.publish) return false;
        // `>` matches the remainder, so it must be the last token.
        if (t === GT && i !== length) return false;
      }
    }
    tokenStart = i + 1;
  }
  return true;
}
