import { describe, expect, test } from 'vitest';
import { parseSippLastError, parseSippScreenSteps, parseSippStatCsv } from './sipp-stats.js';

// Scenario screens as SIPp 3.6.1 dumps them (-trace_screen), cut at the
// statistics screen; trailing blanks are SIPp's.
const UAC_SCREEN = [
  '------------------------------ Scenario Screen -------- [1-9]: Change Screen --',
  '  Call rate (length)   Port   Total-time  Total-calls  Remote-host',
  '  20.0(0 ms)/1.000s   16001      1.75 s            5  127.0.0.1:16000(UDP)',
  '',
  '  Call limit 5 hit, 0.0 s period          0 ms scheduler resolution            ',
  '  0 calls (limit 60)                      Peak was 5 calls, after 0 s',
  '  0 Running, 7 Paused, 22 Woken up',
  '  0 dead call msg (discarded)             0 out-of-call msg (discarded)',
  '  0 open sockets                          0/0/0 UDP errors (send/recv/cong)',
  '  0 open sockets                          0/0/0 UDP errors (send/recv/cong)',
  '',
  '                                 Messages  Retrans   Timeout   Unexp.    Lost',
  '      INVITE ---------->  B-RTD1 5         1         0                   1     ',
  '         100 <----------         5         0         0         0               ',
  '         180 <----------         5         0         0         0               ',
  '         200 <----------  E-RTD1 5         0         0         0               ',
  '         ACK ---------->         5         0                             1     ',
  '       Pause [      0ms]         5                             0        ',
  '         BYE ---------->  B-RTD2 5         5         0                   3     ',
  '         200 <----------  E-RTD2 5         0         0         0         1     ',
  '',
  '------- Waiting for active calls to end. Press [q] again to force exit. -------',
  '',
].join('\n');

const UAS_SCREEN = [
  '------------------------------ Scenario Screen -------- [1-9]: Change Screen --',
  '  Port   Total-time  Total-calls  Transport',
  '  16011      9.99 s            5  UDP',
  '',
  '  Call limit 5 hit, 0.0 s period          0 ms scheduler resolution            ',
  '  0 calls                                 Peak was 5 calls, after 0 s',
  '  0 Running, 6 Paused, 40 Woken up',
  '  0 dead call msg (discarded)           ',
  '  0 open sockets                          0/0/0 UDP errors (send/recv/cong)',
  '  0 open sockets                          0/0/0 UDP errors (send/recv/cong)',
  '',
  '                                 Messages  Retrans   Timeout   Unexp.    Lost',
  '  ----------> INVITE             5         0         0         0         1     ',
  '',
  '  <---------- 180                5         0                                   ',
  '  <---------- 200                5         2         0                   2     ',
  '  ----------> ACK                4         0         0         0               ',
  '',
  '  ----------> BYE                5         1         0         0         2     ',
  '  <---------- 200                5         1                             1     ',
  '  [   8000ms] Pause              5                             0        ',
  '------- Waiting for active calls to end. Press [q] again to force exit. -------',
  '',
].join('\n');

// Without any lost="N" in the scenario the last column is "Unexpected-Msg" and there is no "Lost".
const UAC_SCREEN_FAILED = [
  '                                 Messages  Retrans   Timeout   Unexpected-Msg',
  '     MESSAGE ---------->  B-RTD1 2         9         1                         ',
  '         100 <----------         0         0         0         0               ',
  '         200 <----------  E-RTD1 1         0         0         0               ',
  "Last Error: Aborting call on UDP retransmission timeout for Call-ID '2-7...",
  '------- Waiting for active calls to end. Press [q] again to force exit. -------',
].join('\n');

describe('parseSippScreenSteps', () => {
  test('reads a UAC table: direction from the arrow, blank cells as 0, lost per step', () => {
    const steps = parseSippScreenSteps(UAC_SCREEN);
    expect(steps.map((s) => [s.label, s.direction])).toEqual([
      ['INVITE', 'sent'],
      ['100', 'received'],
      ['180', 'received'],
      ['200', 'received'],
      ['ACK', 'sent'],
      ['Pause [      0ms]', 'none'],
      ['BYE', 'sent'],
      ['200', 'received'],
    ]);
    expect(steps[0]).toEqual({
      index: 0, label: 'INVITE', direction: 'sent', messages: 5, retransmissions: 1, timeouts: 0, unexpected: 0, lost: 1,
    });
    expect(steps[4]).toMatchObject({ label: 'ACK', messages: 5, retransmissions: 0, lost: 1 });
    expect(steps[6]).toMatchObject({ label: 'BYE', retransmissions: 5, lost: 3 });
    expect(steps[7]).toMatchObject({ label: '200', lost: 1 });
  });

  test('reads a UAS table: mirrored arrows and blank lines inside the table', () => {
    const steps = parseSippScreenSteps(UAS_SCREEN);
    expect(steps.map((s) => `${s.direction} ${s.label}`)).toEqual([
      'received INVITE',
      'sent 180',
      'sent 200',
      'received ACK',
      'received BYE',
      'sent 200',
      'none [   8000ms] Pause',
    ]);
    expect(steps[2]).toMatchObject({ messages: 5, retransmissions: 2, lost: 2 });
    expect(steps[3]).toMatchObject({ label: 'ACK', messages: 4 });
    expect(steps[4]).toMatchObject({ label: 'BYE', retransmissions: 1, lost: 2 });
  });

  test('reads a table without a Lost column and stops at "Last Error"', () => {
    const steps = parseSippScreenSteps(UAC_SCREEN_FAILED);
    expect(steps).toHaveLength(3);
    expect(steps[0]).toMatchObject({ label: 'MESSAGE', messages: 2, retransmissions: 9, timeouts: 1, lost: 0 });
    expect(parseSippLastError(UAC_SCREEN_FAILED)).toBe(
      "Aborting call on UDP retransmission timeout for Call-ID '2-7...",
    );
  });

  test('no scenario table, no steps; no "Last Error", undefined', () => {
    expect(parseSippScreenSteps('garbage\n')).toEqual([]);
    expect(parseSippLastError(UAC_SCREEN)).toBeUndefined();
  });
});

describe('parseSippStatCsv', () => {
  // Header cut to the columns that matter plus their neighbours; values of a
  // real run with one failed call (UDP retransmission timeout).
  const header =
    'StartTime;LastResetTime;CurrentTime;ElapsedTime(P);ElapsedTime(C);TargetRate;CallRate(P);CallRate(C);' +
    'IncomingCall(P);IncomingCall(C);OutgoingCall(P);OutgoingCall(C);TotalCallCreated;CurrentCall;' +
    'SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);FailedCannotSendMessage(P);' +
    'FailedCannotSendMessage(C);FailedMaxUDPRetrans(P);FailedMaxUDPRetrans(C);OutOfCallMsgs(P);' +
    'OutOfCallMsgs(C);DeadCallMsgs(P);DeadCallMsgs(C);Retransmissions(P);Retransmissions(C);';
  const first =
    '2026-11-26\t12:58:41.452413\t1795697921.452413;2026-11-26\t12:58:41.452413\t1795697921.452413;' +
    '2026-11-26\t12:58:41.452730\t1795697921.452730;00:00:00;00:00:00;10;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;';
  const last =
    '2026-11-26\t12:58:41.452413\t1795697921.452413;2026-11-26\t12:59:13.196797\t1795697953.196797;' +
    '2026-11-26\t12:59:13.196903\t1795697953.196903;00:00:00;00:00:31;10;0;0.063004;0;0;0;2;2;0;0;1;0;1;0;0;0;1;0;0;0;3;0;9;';

  test('takes the cumulative counters of the last line', () => {
    const counters = parseSippStatCsv(`${header}\n${first}\n${last}\n`);
    expect(counters).toMatchObject({
      created: 2,
      successful: 1,
      failed: 1,
      retransmissions: 9,
      deadCallMessages: 3,
      outOfCallMessages: 0,
      failures: { FailedMaxUDPRetrans: 1 },
    });
    expect(counters?.raw['TargetRate']).toBe('10');
  });

  test('a file with only the header (SIPp died at start) gives undefined', () => {
    expect(parseSippStatCsv(`${header}\n`)).toBeUndefined();
    expect(parseSippStatCsv('')).toBeUndefined();
  });
});
