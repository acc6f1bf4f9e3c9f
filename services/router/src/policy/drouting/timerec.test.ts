/**
 * Kamailio's time recurrences on a hand-set clock: the book's rule (TC-95), the module
 * documentation's examples, every freq with intervals, the byxxx lists, until, windows crossing
 * midnight, parse errors, and local time in a named zone.
 */
import { describe, expect, it } from 'vitest';
import { parseDuration, parseTimeRec, timeRecMatches, type TimeRec } from './timerec.js';
import { WallClock } from './wall-clock.js';

function rec(text: string): TimeRec {
  const r = parseTimeRec(text);
  if (!r.ok) throw new Error(r.error);
  return r.rec;
}

/** Wall seconds of a local date-time written as `2022-01-01 11:49:00`. */
function wall(dateTime: string): number {
  return Date.parse(`${dateTime.replace(' ', 'T')}Z`) / 1000;
}

/** Which of `times` the timerec matches. */
function matching(text: string, times: string[]): string[] {
  const r = rec(text);
  return times.filter((t) => timeRecMatches(r, wall(t)));
}

function parseError(text: string): string {
  const r = parseTimeRec(text);
  return r.ok ? 'parsed' : r.error;
}

describe('timerec parsing', () => {
  it('reads durations with and without P, as Kamailio does', () => {
    expect(parseDuration('10H')).toBe(36_000);
    expect(parseDuration('00H05M')).toBe(300);
    expect(parseDuration('1h30m15s')).toBe(5415);
    expect(parseDuration('PT8H30M')).toBe(30_600);
    expect(parseDuration('pt8h30m')).toBe(30_600);
    expect(parseDuration('P2D')).toBe(172_800);
    expect(parseDuration('P1W2DT3H')).toBe(9 * 86_400 + 3 * 3600);
    expect(parseDuration('0H')).toBe(0);
  });

  it('refuses what Kamailio would read as "no duration" (forever) or misread', () => {
    expect(() => parseDuration('1W')).toThrow('duration 1W is not nHnMnS (weeks and days need the P form)');
    expect(() => parseDuration('P10H')).toThrow('duration P10H is not P[nW][nD][T[nH][nM][nS]]');
    expect(() => parseDuration('T1H')).toThrow(/is not nHnMnS/);
    expect(() => parseDuration('5X')).toThrow(/is not nHnMnS/);
    expect(() => parseDuration('1H30')).toThrow('duration 1H30 ends without a unit');
    expect(() => parseDuration('PT')).toThrow('duration PT ends without a unit');
  });

  it("skips the book's 16-character dtstart, as Kamailio does (TC-95)", () => {
    expect(parseError('20220101T-114900|00H05M|daily')).toBe('dtstart 20220101T-114900 is not YYYYMMDDThhmmss');
  });

  it('refuses fields Kamailio would silently ignore or misread', () => {
    expect(parseError('20221301T000000')).toBe('dtstart 20221301T000000 is not a valid date and time');
    expect(parseError('20230229T000000')).toBe('dtstart 20230229T000000 is not a valid date and time');
    expect(parseError('20220101T240000')).toBe('dtstart 20220101T240000 is not a valid date and time');
    expect(parseError('20220101T000000|1H|hourly')).toBe('freq hourly is not daily, weekly, monthly or yearly');
    expect(parseError('20220101T000000|1H|daily|2022')).toBe('until 2022 is not YYYYMMDDThhmmss');
    expect(parseError('20220101T000000|1H|daily||2x')).toBe('interval 2x is not a number');
    expect(parseError('20220101T000000|1H|weekly|||MON')).toBe('byday MON: "MON" is not [+-n]MO, TU, WE, TH, FR, SA or SU');
    expect(parseError('20220101T000000|1H|weekly|||MO,')).toBe('byday MO,: "" is not [+-n]MO, TU, WE, TH, FR, SA or SU');
    expect(parseError('20220101T000000|1H|monthly|||0MO')).toBe('byday 0MO: "0MO" is not [+-n]MO, TU, WE, TH, FR, SA or SU');
    expect(parseError('20220101T000000|1H|monthly||||32')).toBe('bymonthday 32: "32" is not 1 to 31 or -31 to -1');
    expect(parseError('20220101T000000|1H|monthly||||0')).toBe('bymonthday 0: "0" is not 1 to 31 or -31 to -1');
    expect(parseError('20220101T000000|1H|yearly|||||367')).toBe('byyearday 367: "367" is not 1 to 366 or -366 to -1');
    expect(parseError('20220101T000000|1H|yearly||||||54')).toBe('byweekno 54: "54" is not 1 to 53 or -53 to -1');
    expect(parseError('20220101T000000|1H|yearly|||||||13')).toBe('bymonth 13: "13" is not 1 to 12');
    expect(parseError('20220101T000000|1H|yearly|||||||-1')).toBe('bymonth -1: "-1" is not 1 to 12');
    expect(parseError('20220101T000000|1H|yearly|||||||1|1')).toMatch(/^11 fields, at most 10/);
  });

  it('keeps fields as read, trailing ones omitted or empty', () => {
    const r = rec(' 20040101T083000|10H|Weekly|||MO, TU,-1fr ');
    expect(r).toMatchObject({ start: wall('2004-01-01 08:30:00'), durationSec: 36_000, freq: 'weekly', until: undefined, interval: 1 });
    expect(r.byDay).toEqual([
      { weekday: 1, ordinal: 0 },
      { weekday: 2, ordinal: 0 },
      { weekday: 5, ordinal: -1 },
    ]);
    expect(rec('20040101T083000|||||').freq).toBeUndefined();
    expect(rec('20040101T083000|1H|yearly|||||||1||||').byMonth).toEqual([1]);
  });
});

describe('timerec matching', () => {
  it('always matches an empty timerec, and one without dtstart (Kamailio does not look further)', () => {
    expect(matching('', ['1970-01-01 00:00:00', '2099-12-31 23:59:59'])).toHaveLength(2);
    expect(matching('|10H|daily', ['2022-01-01 03:00:00'])).toHaveLength(1);
  });

  it('matches everything from dtstart on when there is no duration, recurring or not', () => {
    expect(matching('20040101T083000', ['2004-01-01 08:29:59', '2004-01-01 08:30:00', '2030-06-01 00:00:00'])).toEqual(['2004-01-01 08:30:00', '2030-06-01 00:00:00']);
    expect(matching('20040101T083000||weekly|||SA', ['2004-01-05 12:00:00'])).toEqual(['2004-01-05 12:00:00']);
  });

  it("matches the book's daily five minutes: the first occurrence with its end, later ones without (TC-95)", () => {
    const book = '20220101T114900|00H05M|daily';
    expect(matching(book, ['2021-12-31 11:50:00', '2022-01-01 11:48:59', '2022-01-01 11:49:00', '2022-01-01 11:54:00', '2022-01-01 11:54:01'])).toEqual([
      '2022-01-01 11:49:00',
      '2022-01-01 11:54:00',
    ]);
    expect(matching(book, ['2022-03-15 11:48:59', '2022-03-15 11:49:00', '2022-03-15 11:53:59', '2022-03-15 11:54:00'])).toEqual(['2022-03-15 11:49:00', '2022-03-15 11:53:59']);
    expect(matching('20220101T114900|PT5M|daily', ['2022-03-15 11:53:59', '2022-03-15 11:54:00'])).toEqual(['2022-03-15 11:53:59']);
  });

  it('matches a rule without freq only in its first occurrence', () => {
    expect(matching('20220101T080000|P1D', ['2022-01-01 07:59:59', '2022-01-02 08:00:00', '2022-01-02 08:00:01', '2022-01-03 08:00:00'])).toEqual(['2022-01-02 08:00:00']);
  });

  it("matches the documentation's weekdays 08:30 to 18:30 (PT8H30M and 08H30M alike)", () => {
    const times = ['2024-06-03 08:29:59', '2024-06-03 08:30:00', '2024-06-05 18:29:59', '2024-06-07 18:30:00', '2024-06-08 10:00:00', '2024-06-09 10:00:00'];
    expect(matching('20040101T083000|10H|weekly|||MO,TU,WE,TH,FR', times)).toEqual(['2024-06-03 08:30:00', '2024-06-05 18:29:59']);
    expect(matching('20040101T083000|PT10H|WEEKLY|||mo,tu,we,th,fr', times)).toEqual(['2024-06-03 08:30:00', '2024-06-05 18:29:59']);
  });

  it("repeats a weekly rule without byday on dtstart's weekday", () => {
    // 2004-01-01 was a Thursday
    expect(matching('20040101T083000|1H|weekly', ['2024-06-05 09:00:00', '2024-06-06 09:00:00', '2024-06-07 09:00:00'])).toEqual(['2024-06-06 09:00:00']);
  });

  it('counts intervals in days, Monday-based weeks, months and years from dtstart', () => {
    expect(matching('20220101T100000|1H|daily||2', ['2022-01-02 10:30:00', '2022-01-03 10:30:00', '2022-01-04 10:30:00'])).toEqual(['2022-01-03 10:30:00']);
    // dtstart Monday 2024-06-03: the weeks of 06-17 and 07-01 count, their Sundays too
    expect(matching('20240603T100000|1H|weekly||2|MO,SU', ['2024-06-10 10:30:00', '2024-06-17 10:30:00', '2024-06-23 10:30:00', '2024-06-30 10:30:00', '2024-07-01 10:30:00'])).toEqual([
      '2024-06-17 10:30:00',
      '2024-06-23 10:30:00',
      '2024-07-01 10:30:00',
    ]);
    expect(matching('20240115T100000|1H|monthly||3', ['2024-02-15 10:30:00', '2024-04-15 10:30:00', '2024-07-15 10:30:00', '2025-01-15 10:30:00'])).toEqual([
      '2024-04-15 10:30:00',
      '2024-07-15 10:30:00',
      '2025-01-15 10:30:00',
    ]);
    expect(matching('20221225T000000|P1D|yearly||2', ['2023-12-25 12:00:00', '2024-12-25 12:00:00', '2026-12-25 12:00:00'])).toEqual(['2024-12-25 12:00:00', '2026-12-25 12:00:00']);
    // Kamailio adds up the digits of an interval: 10 would be every day
    expect(matching('20220101T100000|1H|daily||10', ['2022-01-02 10:30:00', '2022-01-11 10:30:00'])).toEqual(['2022-01-11 10:30:00']);
  });

  it("repeats a monthly rule on dtstart's day of month, skipping months without it", () => {
    expect(matching('20240131T090000|1H|monthly', ['2024-02-29 09:30:00', '2024-03-31 09:30:00', '2024-04-30 09:30:00', '2024-05-31 09:30:00'])).toEqual([
      '2024-03-31 09:30:00',
      '2024-05-31 09:30:00',
    ]);
  });

  it('selects days of the month by number, negative ones from its end; days a month lacks never match', () => {
    const monthly = '20230101T090000|1H|monthly||||15,-1';
    expect(matching(monthly, ['2023-02-15 09:30:00', '2023-02-28 09:30:00', '2024-02-28 09:30:00', '2024-02-29 09:30:00', '2024-04-30 09:30:00', '2024-04-16 09:30:00'])).toEqual([
      '2023-02-15 09:30:00',
      '2023-02-28 09:30:00',
      '2024-02-29 09:30:00',
      '2024-04-30 09:30:00',
    ]);
    // Kamailio reads 31 as never and 30 in February as the 2nd
    expect(matching('20230101T090000|1H|monthly||||30,31', ['2024-01-31 09:30:00', '2024-02-02 09:30:00', '2024-04-30 09:30:00', '2024-05-31 09:30:00'])).toEqual([
      '2024-01-31 09:30:00',
      '2024-04-30 09:30:00',
      '2024-05-31 09:30:00',
    ]);
  });

  it('selects weekdays of a month: the first Monday, the last Friday, every Wednesday', () => {
    const times = ['2024-02-05 09:30:00', '2024-02-12 09:30:00', '2024-02-23 09:30:00', '2024-02-16 09:30:00', '2024-03-04 09:30:00', '2024-03-29 09:30:00', '2024-03-13 09:30:00'];
    expect(matching('20240101T090000|1H|monthly|||1MO,-1FR', times)).toEqual(['2024-02-05 09:30:00', '2024-02-23 09:30:00', '2024-03-04 09:30:00', '2024-03-29 09:30:00']);
    expect(matching('20240101T090000|1H|monthly|||WE', times)).toEqual(['2024-03-13 09:30:00']);
  });

  it('ignores a weekday ordinal in weekly rules, as Kamailio does', () => {
    expect(matching('20240101T090000|1H|weekly|||2MO', ['2024-02-05 09:30:00', '2024-02-12 09:30:00'])).toEqual(['2024-02-05 09:30:00', '2024-02-12 09:30:00']);
  });

  it("repeats a yearly rule on dtstart's date, or as the byxxx lists say", () => {
    expect(matching('20221225T000000|P1D|yearly', ['2023-12-25 12:00:00', '2023-12-26 12:00:00', '2024-01-25 12:00:00'])).toEqual(['2023-12-25 12:00:00']);
    // the documentation's example: every Sunday in January, every other year, 08:30 to 08:40
    const doc = '19970105T083000|PT10M|yearly||2|SU||||1';
    expect(matching(doc, ['1999-01-10 08:35:00', '1999-01-11 08:35:00', '1999-02-07 08:35:00', '1998-01-11 08:35:00', '1999-01-10 08:40:00'])).toEqual(['1999-01-10 08:35:00']);
    // byday ordinals count in the month when bymonth is given, else in the year
    expect(matching('20240101T090000|1H|yearly|||-1SU||||3', ['2024-03-31 09:30:00', '2024-03-24 09:30:00'])).toEqual(['2024-03-31 09:30:00']);
    expect(matching('20240101T090000|1H|yearly|||1MO', ['2024-01-01 09:30:00', '2025-01-06 09:30:00', '2025-02-03 09:30:00'])).toEqual(['2024-01-01 09:30:00', '2025-01-06 09:30:00']);
  });

  it('selects days of the year, and ISO weeks in yearly rules', () => {
    const days = '20230101T090000|1H|yearly|||||1,-1';
    expect(matching(days, ['2024-01-01 09:30:00', '2024-01-02 09:30:00', '2024-12-30 09:30:00', '2024-12-31 09:30:00', '2025-12-31 09:30:00'])).toEqual([
      '2024-01-01 09:30:00',
      '2024-12-31 09:30:00',
      '2025-12-31 09:30:00',
    ]);
    // dtstart is a Monday, so each selected week matches on its Monday; 2020 has 53 ISO weeks, 2021 52
    const weeks = '20200106T090000|1H|yearly||||||1,-1';
    expect(matching(weeks, ['2021-01-04 09:30:00', '2021-01-11 09:30:00', '2020-12-28 09:30:00', '2021-12-27 09:30:00', '2021-12-20 09:30:00', '2021-01-05 09:30:00'])).toEqual([
      '2021-01-04 09:30:00',
      '2020-12-28 09:30:00',
      '2021-12-27 09:30:00',
    ]);
  });

  it('ends with the last occurrence starting at or before until', () => {
    const times = ['2022-01-09 09:00:00', '2022-01-10 09:00:00', '2022-01-10 17:59:59', '2022-01-11 09:00:00'];
    expect(matching('20220101T080000|10H|daily|20220110T080000', times)).toEqual(['2022-01-09 09:00:00', '2022-01-10 09:00:00', '2022-01-10 17:59:59']);
    // Kamailio would match 2022-01-10 from 08:00 to 10:00, an occurrence cut short
    expect(matching('20220101T080000|10H|daily|20220110T000000', times)).toEqual(['2022-01-09 09:00:00']);
  });

  it('keeps a window crossing midnight open into the next day (Kamailio closes it at midnight)', () => {
    const nightly = '20220101T220000|4H|daily';
    expect(matching(nightly, ['2022-03-01 21:59:59', '2022-03-01 22:00:00', '2022-03-02 01:59:59', '2022-03-02 02:00:00'])).toEqual(['2022-03-01 22:00:00', '2022-03-02 01:59:59']);
    // Friday nights: Saturday 01:00 belongs to Friday's occurrence; Sunday 01:00 to none
    const fridays = '20220107T220000|4H|weekly|||FR';
    expect(matching(fridays, ['2022-03-04 21:00:00', '2022-03-05 01:00:00', '2022-03-06 01:00:00', '2022-03-05 23:00:00'])).toEqual(['2022-03-05 01:00:00']);
    // a two-day weekend from Saturday 00:00
    const weekend = '20220101T000000|P2D|weekly';
    expect(matching(weekend, ['2022-03-05 00:00:00', '2022-03-06 23:59:59', '2022-03-07 00:00:00', '2022-03-04 23:59:59'])).toEqual(['2022-03-05 00:00:00', '2022-03-06 23:59:59']);
  });

  it('counts dtstart as the first occurrence even on a day the lists exclude', () => {
    // 2022-01-07 is a Friday
    expect(matching('20220107T180000|PT2H|weekly|||SA', ['2022-01-07 19:00:00', '2022-01-08 19:00:00', '2022-01-14 19:00:00'])).toEqual(['2022-01-07 19:00:00', '2022-01-08 19:00:00']);
  });
});

describe('wall clock', () => {
  it('gives local date-times of a named zone, with daylight saving time', () => {
    const berlin = WallClock.create('Europe/Berlin');
    const utc = WallClock.create('UTC');
    if (!berlin.ok || !utc.ok) throw new Error('zones');
    expect(berlin.clock.wallSeconds(Date.parse('2022-01-01T10:49:00Z'))).toBe(wall('2022-01-01 11:49:00'));
    expect(berlin.clock.wallSeconds(Date.parse('2022-07-01T09:49:00.900Z'))).toBe(wall('2022-07-01 11:49:00'));
    expect(utc.clock.wallSeconds(Date.parse('2022-07-01T09:49:00.900Z'))).toBe(wall('2022-07-01 09:49:00'));
    expect(WallClock.create('Mars/Olympus')).toEqual({ ok: false, error: expect.stringMatching(/^time zone Mars\/Olympus: /) as unknown });
  });

  it("matches the book's rule on Berlin's clock: 10:50 UTC is 11:50 there", () => {
    const berlin = WallClock.create('Europe/Berlin');
    if (!berlin.ok) throw new Error(berlin.error);
    const book = rec('20220101T114900|00H05M|daily');
    const at = (iso: string): boolean => timeRecMatches(book, berlin.clock.wallSeconds(Date.parse(iso)));
    expect(at('2022-02-01T10:50:00Z')).toBe(true);
    expect(at('2022-02-01T11:50:00Z')).toBe(false);
    expect(at('2022-08-01T09:50:00Z')).toBe(true);
  });
});
