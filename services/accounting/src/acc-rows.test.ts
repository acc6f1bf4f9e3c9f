/**
 * Kamailio acc semantics on transaction events (spec §8.13, TC-109, TC-110): what becomes an acc
 * row, what a missed_calls row, with which code, tags and extra columns.
 */
import { describe, expect, it } from 'vitest';
import { accRows } from './acc-rows.js';
import { transactionEvent } from './transaction-event.fixture.js';

const event = transactionEvent;

describe('acc rows of a transaction', () => {
  it("writes the book's INVITE row with the extra columns (TC-109)", () => {
    expect(accRows(event({}))).toEqual({
      acc: {
        event_id: 'edge1.1.7',
        method: 'INVITE',
        from_tag: 'QA7AFWKNTW3ktVZxZJak8ggZceLBuYRq',
        to_tag: '1v2Dy7jNQva5r',
        callid: 'Br28Q2ng.A7odJD7MESFokuSU93ZDdrw',
        sip_code: '200',
        sip_reason: 'OK',
        time: new Date('2022-04-26T15:39:44.120Z'),
        src_user: '1001',
        src_domain: '192.168.7.8',
        src_ip: '172.22.0.1',
        dst_ouser: '9196',
        dst_user: '9196',
        dst_domain: '192.168.7.8',
      },
    });
  });

  it('takes dst_user and dst_domain from the branch that answered, dst_ouser from To', () => {
    const r = accRows(event({ final_ruri: 'sip:+4930123@gw.example.net;user=phone' })).acc;
    expect([r?.dst_ouser, r?.dst_user, r?.dst_domain]).toEqual(['9196', '+4930123', 'gw.example.net']);
  });

  it('writes a failed INVITE to acc only with the failed flag, and to missed_calls only with the missed flag (TC-110)', () => {
    const busy = { status: 486, reason: 'Busy Here', branches: [{ uri: 'sip:9196@192.168.7.8', status: 486, reason: 'Busy Here' }] };
    expect(accRows(event({ ...busy, acc: { flags: ['acc', 'failed'] } }))).toEqual({ acc: expect.objectContaining({ sip_code: '486', sip_reason: 'Busy Here' }) });
    expect(accRows(event({ ...busy, acc: { flags: ['acc'] } }))).toEqual({});
    const both = accRows(event({ ...busy, acc: { flags: ['acc', 'failed', 'missed'] } }));
    expect([both.acc?.sip_code, both.missed?.sip_code]).toEqual(['486', '486']);
  });

  it('gives missed_calls the first branch that failed (serial forking), acc the final', () => {
    const r = accRows(
      event({
        status: 480,
        reason: 'Temporarily Unavailable',
        branches: [
          { uri: 'sip:a@h', status: 408, reason: 'Request Timeout', timeout: true },
          { uri: 'sip:b@h', status: 480, reason: 'Temporarily Unavailable' },
        ],
        acc: { flags: ['failed', 'missed'] },
      }),
    );
    expect([r.acc?.sip_code, r.missed?.sip_code, r.missed?.sip_reason]).toEqual(['480', '408', 'Request Timeout']);
  });

  it('accounts a cancelled INVITE as 487 and never the CANCEL; nothing without flags', () => {
    expect(accRows(event({ status: 487, reason: 'Request Terminated', outcome: 'cancelled', branches: [] })).acc?.sip_code).toBe('487');
    expect(accRows(event({ method: 'CANCEL' }))).toEqual({});
    const { acc: _none, ...noFlags } = event({});
    expect(accRows(noFlags)).toEqual({});
    expect(accRows(event({ method: 'BYE', acc: { flags: ['missed'] } }))).toEqual({});
  });
});
