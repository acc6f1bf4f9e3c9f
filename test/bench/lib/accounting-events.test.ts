import { createValidators, dialogId, subjects, type DialogEvent, type TransactionCompletedEvent } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { accountingEventMessages } from './accounting-events.mjs';

describe('accountingEventMessages (the accounting bench events)', () => {
  const calls = 300;
  const g = accountingEventMessages({ calls, perMessage: 100 });
  const v = createValidators();
  // every line through the contract validators, which also give the typed events
  const transactions: TransactionCompletedEvent[] = [];
  const dialogs: DialogEvent[] = [];
  const invalid: unknown[] = [];
  for (const m of g.messages) {
    for (const line of m.lines) {
      const event: unknown = JSON.parse(line);
      const t = v.transactionCompleted(event);
      const d = v.dialog(event);
      if (t.ok && m.subject === subjects.events.transactionCompleted) transactions.push(t.value);
      // the contract's types are dialog.started/answered/ended: the slice is one of the subject kinds
      else if (d.ok && m.subject === subjects.events.dialog(d.value.type.slice('dialog.'.length) as 'started' | 'answered' | 'ended')) dialogs.push(d.value);
      else invalid.push({ subject: m.subject, line, errors: [t.ok ? [] : t.errors, d.ok ? [] : d.errors] });
    }
  }

  it('gives two transaction and three dialog events per call, each valid and on its own subject', () => {
    expect(invalid).toEqual([]);
    expect(transactions).toHaveLength(2 * calls);
    expect(dialogs).toHaveLength(3 * calls);
    expect(g.events).toBe(5 * calls);
    expect(g.expected).toMatchObject({ calls, transactionEvents: 2 * calls, dialogEvents: 3 * calls, accRows: 2 * calls, cdrs: calls });
    expect(new Set([...transactions, ...dialogs].map((e) => e.event_id)).size).toBe(5 * calls);
  });

  it('packs messages of at most perMessage lines whose id is their first event id', () => {
    for (const m of g.messages) {
      expect(m.count).toBe(m.lines.length);
      expect(m.count).toBeLessThanOrEqual(100);
      expect(m.lines[0]).toContain(`"event_id":"${m.msgId}"`);
    }
  });

  it('makes answered calls with the acc flag, dialog ids as the contract computes them, durations summed', () => {
    const ended = dialogs.filter((e) => e.type === 'dialog.ended');
    expect(ended).toHaveLength(calls);
    let total = 0;
    for (const e of ended) {
      expect(e.dialog_id).toBe(dialogId(e.call_id, e.from_tag ?? '', 1));
      expect(e).toMatchObject({ disposition: 'answered', sip_code: 200, bye_code: 200, acc: { flags: ['acc'] } });
      total += e.duration_ms ?? 0;
    }
    expect(total).toBe(g.expected.totalDurationMs);
    expect(transactions.filter((e) => e.method === 'INVITE' && e.status === 200 && e.acc?.flags?.includes('acc'))).toHaveLength(calls);
    expect(transactions.filter((e) => e.method === 'BYE' && e.status === 200 && e.acc?.flags?.includes('acc'))).toHaveLength(calls);
  });

  it('is the same on every run', () => {
    expect(accountingEventMessages({ calls: 20 }).messages).toEqual(accountingEventMessages({ calls: 20 }).messages);
  });
});
