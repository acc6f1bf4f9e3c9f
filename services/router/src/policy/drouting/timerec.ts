/**
 * Time recurrences as Kamailio writes them (the `timerec` column of dr_rules, its tmrec library): a
 * subset of RFC 5545 (RFC 2445) recurrence rules as ten `|`-separated fields, trailing ones omitted:
 *
 *   dtstart|duration|freq|until|interval|byday|bymonthday|byyearday|byweekno|bymonth
 *   20040101T083000|10H|weekly|||MO,TU,WE,TH,FR        weekdays, 08:30 to 18:30
 *
 * The module is pure: times are "wall seconds" (wall-clock.ts), local date-times counted as if
 * they were UTC, so the caller picks the zone and the clock. Evaluation follows Kamailio's
 * dr_check_tmrec:
 *  - an empty timerec, or one without dtstart, always matches; before dtstart nothing does;
 *    without a duration (or with 0) everything from dtstart on matches, recurring or not;
 *  - the first occurrence, dtstart to dtstart + duration, matches with its end included;
 *  - later occurrences need freq. They start at dtstart's time of day on the days freq,
 *    interval and the byxxx lists select, and last `duration`; the day has dtstart's weekday
 *    (weekly), day of month (monthly) or date (yearly) unless a byday, bymonthday or byyearday
 *    list chooses days itself (Kamailio's "minimum unit").
 *
 * Where Kamailio's copy of the code disagrees with its own documentation and RFC 5545, this module
 * follows the documentation (each case is named where it is implemented): an occurrence lasts its
 * whole duration also past midnight; `until` bounds the start of an occurrence; byxxx values mean
 * what RFC 5545 says (bymonth 1 is January, bymonthday -1 the last day, plain MO in a monthly rule
 * every Monday, byweekno ISO 8601 weeks); interval 10 is ten. A field Kamailio would silently
 * ignore when it does not parse (duration, until, freq, interval, the lists) is an error here,
 * as a bad dtstart is in Kamailio: the rule is skipped and reported instead of matching at times
 * nobody meant.
 */

export const TIMEREC_FREQS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type TimeRecFreq = (typeof TIMEREC_FREQS)[number];

/** Weekday numbers as C's tm_wday and JavaScript's getUTCDay: 0 is Sunday. */
export const WEEKDAYS = { SU: 0, MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6 } as const;

export interface ByDay {
  readonly weekday: number;
  /** The nth such weekday of the month or year (negative: counted from its end); 0: every one. */
  readonly ordinal: number;
}

export interface TimeRec {
  /** As written. */
  readonly text: string;
  /** dtstart in wall seconds; undefined: the timerec always matches. */
  readonly start: number | undefined;
  /** 0: no end (Kamailio's "forever"). */
  readonly durationSec: number;
  readonly freq: TimeRecFreq | undefined;
  /** Wall seconds; occurrences starting later do not count. */
  readonly until: number | undefined;
  readonly interval: number;
  readonly byDay: readonly ByDay[] | undefined;
  readonly byMonthDay: readonly number[] | undefined;
  readonly byYearDay: readonly number[] | undefined;
  readonly byWeekNo: readonly number[] | undefined;
  readonly byMonth: readonly number[] | undefined;
}

export type TimeRecParse = { ok: true; rec: TimeRec } | { ok: false; error: string };

const DAY_SEC = 86_400;
const DATE_TIME = /^(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(\d{2})$/;
const DATE_UNITS: Readonly<Record<string, number>> = { W: 7 * DAY_SEC, D: DAY_SEC };
const TIME_UNITS: Readonly<Record<string, number>> = { H: 3600, M: 60, S: 1 };
const BY_DAY = /^([+-]?\d+)?([A-Za-z]{2})$/;

export function parseTimeRec(text: string): TimeRecParse {
  const trimmed = text.trim();
  const fields = trimmed === '' ? [] : trimmed.split('|').map((f) => f.trim());
  // Kamailio stops at the end of the text, so trailing separators are harmless.
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  if (fields.length > 10) return { ok: false, error: `${fields.length} fields, at most 10 (dtstart|duration|freq|until|interval|byday|bymonthday|byyearday|byweekno|bymonth)` };
  const field = (i: number): string | undefined => (fields[i] === '' ? undefined : fields[i]);
  try {
    const dtstart = field(0);
    const duration = field(1);
    const freq = field(2)?.toLowerCase();
    const until = field(3);
    const interval = field(4);
    if (freq !== undefined && !(TIMEREC_FREQS as readonly string[]).includes(freq)) throw new Error(`freq ${field(2) ?? ''} is not daily, weekly, monthly or yearly`);
    if (interval !== undefined && !/^\d+$/.test(interval)) throw new Error(`interval ${interval} is not a number`);
    const byMonthDay = list(field(6), 'bymonthday', 31);
    const byYearDay = list(field(7), 'byyearday', 366);
    const byWeekNo = list(field(8), 'byweekno', 53);
    const byMonth = list(field(9), 'bymonth', 12, false);
    const rec: TimeRec = {
      text,
      start: dtstart === undefined ? undefined : dateTime(dtstart, 'dtstart'),
      durationSec: duration === undefined ? 0 : parseDuration(duration),
      freq: freq as TimeRecFreq | undefined, // checked against TIMEREC_FREQS above
      until: until === undefined ? undefined : dateTime(until, 'until'),
      // Kamailio adds up the digits (interval 10 would be 1); 0 and none mean every unit.
      interval: interval === undefined ? 1 : Math.max(1, Number(interval)),
      byDay: byDayList(field(5)),
      byMonthDay,
      byYearDay,
      byWeekNo,
      byMonth,
    };
    return { ok: true, rec };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Whether `wallNow` (wall seconds) lies in an occurrence of `rec`. */
export function timeRecMatches(rec: TimeRec, wallNow: number): boolean {
  const start = rec.start;
  if (start === undefined) return true;
  if (wallNow < start) return false;
  const duration = rec.durationSec;
  if (duration === 0) return true;
  if (wallNow <= start + duration) return true;
  if (rec.freq === undefined) return false;
  // Every day an occurrence covering now can have started on, latest first. Kamailio looks at
  // today only, so a window crossing midnight ends at midnight (22:00 + 4H never matched 01:00).
  const startDay = Math.floor(start / DAY_SEC);
  const timeOfDay = start - startDay * DAY_SEC;
  const lastDay = Math.floor((wallNow - timeOfDay) / DAY_SEC);
  const firstDay = Math.max(startDay + 1, Math.floor((wallNow - timeOfDay - duration) / DAY_SEC) + 1);
  const first = civilDay(startDay);
  for (let day = lastDay; day >= firstDay; day--) {
    const occurrence = day * DAY_SEC + timeOfDay;
    // RFC 5545 §3.3.10: UNTIL bounds the start of the last occurrence (Kamailio compares now with
    // until + duration, which cut an occurrence starting after until short instead of dropping it).
    if (rec.until !== undefined && occurrence > rec.until) continue;
    if (daySelected(rec, day, first)) return true;
  }
  return false;
}

interface CivilDay {
  readonly dayNumber: number;
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  /** 1 to 366. */
  readonly yearDay: number;
  readonly daysInMonth: number;
  readonly daysInYear: number;
}

function civilDay(dayNumber: number): CivilDay {
  const d = new Date(dayNumber * DAY_SEC * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const daysInYear = isLeap(year) ? 366 : 365;
  return {
    dayNumber,
    year,
    month,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
    yearDay: dayNumber - Date.UTC(year, 0, 1) / 1000 / DAY_SEC + 1,
    daysInMonth: daysInMonth(year, month),
    daysInYear,
  };
}

/** Whether an occurrence starts on `dayNumber` (after dtstart's day), in Kamailio's order of checks. */
function daySelected(rec: TimeRec, dayNumber: number, first: CivilDay): boolean {
  const c = civilDay(dayNumber);
  if (rec.interval > 1 && unitsBetween(rec.freq, first, c) % rec.interval !== 0) return false;
  if (rec.freq === 'daily' || rec.byDay || rec.byMonthDay || rec.byYearDay) {
    // the lists choose the days
  } else if (rec.freq === 'weekly' || rec.byWeekNo) {
    if (c.weekday !== first.weekday) return false;
  } else if (rec.freq === 'monthly' || rec.byMonth) {
    if (c.day !== first.day) return false;
  } else if (c.month !== first.month || c.day !== first.day) return false;

  // RFC 5545 meanings; Kamailio's drouting copy reads bymonth 1 as February, byyearday 1 as
  // January 2nd, bymonthday 31 never and plain weekdays in monthly or yearly rules never (its
  // core tmrec fixed bymonth; its documentation describes the RFC meanings throughout).
  if (rec.byMonth && !rec.byMonth.includes(c.month)) return false;
  if (rec.freq === 'yearly' && rec.byWeekNo) {
    const { week, weeksInYear } = isoWeek(c);
    if (!rec.byWeekNo.some((n) => n === week || n === week - weeksInYear - 1)) return false;
  }
  if (rec.byYearDay && !rec.byYearDay.some((n) => n === c.yearDay || n === c.yearDay - c.daysInYear - 1)) return false;
  if (rec.byMonthDay && !rec.byMonthDay.some((n) => n === c.day || n === c.day - c.daysInMonth - 1)) return false;
  if (rec.byDay && !rec.byDay.some((b) => b.weekday === c.weekday && ordinalMatches(rec, b.ordinal, c))) return false;
  return true;
}

/** Whole days, Monday-based weeks, months or years from dtstart's to `c`'s. */
function unitsBetween(freq: TimeRecFreq | undefined, first: CivilDay, c: CivilDay): number {
  switch (freq) {
    case 'daily':
      return c.dayNumber - first.dayNumber;
    case 'weekly':
      return (mondayOf(c) - mondayOf(first)) / 7;
    case 'monthly':
      return (c.year - first.year) * 12 + c.month - first.month;
    case 'yearly':
      return c.year - first.year;
    default:
      return 0;
  }
}

function mondayOf(c: CivilDay): number {
  return c.dayNumber - ((c.weekday + 6) % 7);
}

/**
 * The ordinal of a byday entry counts within the month (monthly rules, and yearly ones with
 * bymonth: RFC 5545 §3.3.10) or within the year (yearly rules); other rules ignore it, as
 * Kamailio does.
 */
function ordinalMatches(rec: TimeRec, ordinal: number, c: CivilDay): boolean {
  if (ordinal === 0) return true;
  let index: number;
  let length: number;
  if (rec.freq === 'monthly' || (rec.freq === 'yearly' && rec.byMonth)) {
    index = c.day;
    length = c.daysInMonth;
  } else if (rec.freq === 'yearly') {
    index = c.yearDay;
    length = c.daysInYear;
  } else return true;
  const nth = Math.floor((index - 1) / 7) + 1;
  const nthFromEnd = Math.floor((length - index) / 7) + 1;
  return ordinal > 0 ? nth === ordinal : nthFromEnd === -ordinal;
}

/** ISO 8601 week number (RFC 5545's BYWEEKNO with WKST=MO; Kamailio counts weeks from the first Monday). */
function isoWeek(c: CivilDay): { week: number; weeksInYear: number } {
  const thursday = civilDay(mondayOf(c) + 3);
  const week = Math.floor((thursday.yearDay - 1) / 7) + 1;
  const jan1Weekday = new Date(Date.UTC(thursday.year, 0, 1)).getUTCDay();
  const long = jan1Weekday === WEEKDAYS.TH || (jan1Weekday === WEEKDAYS.WE && isLeap(thursday.year));
  return { week, weeksInYear: long ? 53 : 52 };
}

/** YYYYMMDDThhmmss, local time: exactly 15 characters, as Kamailio requires. */
function dateTime(text: string, name: string): number {
  const m = DATE_TIME.exec(text);
  if (!m) throw new Error(`${name} ${text} is not YYYYMMDDThhmmss`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number]; // six groups matched
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`${name} ${text} is not a valid date and time`);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

/**
 * RFC 5545 DURATION without sign, P[nW][nD][T[nH][nM][nS]], or Kamailio's form without P that
 * has hours, minutes and seconds only (`10H`, `00H05M`). In seconds; 0 means no end.
 */
export function parseDuration(text: string): number {
  const withP = text[0] === 'P' || text[0] === 'p';
  let dateUnits = withP;
  let digits = '';
  let total = 0;
  let parts = 0;
  for (const ch of withP ? text.slice(1) : text) {
    if (ch >= '0' && ch <= '9') {
      digits += ch;
      continue;
    }
    const unit = ch.toUpperCase();
    if (unit === 'T' && dateUnits && digits === '') {
      dateUnits = false;
      continue;
    }
    const seconds = (dateUnits ? DATE_UNITS : TIME_UNITS)[unit];
    if (seconds === undefined || digits === '') {
      const allowed = withP ? 'P[nW][nD][T[nH][nM][nS]]' : 'nHnMnS (weeks and days need the P form)';
      throw new Error(`duration ${text} is not ${allowed}`);
    }
    total += Number(digits) * seconds;
    digits = '';
    parts++;
  }
  if (digits !== '' || parts === 0) throw new Error(`duration ${text} ends without a unit`);
  return total;
}

function list(text: string | undefined, name: string, max: number, fromEnd = true): number[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((item) => {
    const t = item.trim();
    const n = Number(t);
    if (!/^[+-]?\d+$/.test(t) || n === 0 || Math.abs(n) > max || (!fromEnd && n < 0)) {
      throw new Error(`${name} ${text}: "${t}" is not 1 to ${max}${fromEnd ? ` or -${max} to -1` : ''}`);
    }
    return n;
  });
}

function byDayList(text: string | undefined): ByDay[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((item) => {
    const m = BY_DAY.exec(item.trim());
    const name = (m?.[2] ?? '').toUpperCase();
    const weekday = Object.hasOwn(WEEKDAYS, name) ? WEEKDAYS[name as keyof typeof WEEKDAYS] : undefined; // the key was just checked
    const ordinal = m?.[1] === undefined ? 0 : Number(m[1]);
    if (weekday === undefined || (m?.[1] !== undefined && ordinal === 0) || Math.abs(ordinal) > 53) {
      throw new Error(`byday ${text}: "${item.trim()}" is not [+-n]MO, TU, WE, TH, FR, SA or SU`);
    }
    return { weekday, ordinal };
  });
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
