/**
 * The local wall-clock time of a named time zone, as "wall seconds": the seconds of the local
 * date-time counted as if it were UTC (2022-01-01 11:49:00 local is Date.UTC(2022, 0, 1, 11, 49) / 1000
 * whatever the zone). Kamailio evaluates timerecs in the server's local time (dtstart through
 * mktime, now through localtime_r); sipmesh names the zone instead of depending on the process's TZ
 * and defaults to the process's own zone, so a port from Kamailio behaves the same.
 */

export type WallClockBuild = { ok: true; clock: WallClock } | { ok: false; error: string };

export class WallClock {
  private constructor(
    readonly timeZone: string,
    /** undefined for UTC, which needs no conversion. */
    private readonly format: Intl.DateTimeFormat | undefined,
  ) {}

  /** The zone of the router process (its TZ environment, else the system's), as Kamailio uses. */
  static localTimeZone(): string {
    return new Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  static create(timeZone: string): WallClockBuild {
    if (timeZone === 'UTC') return { ok: true, clock: new WallClock(timeZone, undefined) };
    try {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
      return { ok: true, clock: new WallClock(timeZone, format) };
    } catch (e) {
      return { ok: false, error: `time zone ${timeZone}: ${(e as Error).message}` };
    }
  }

  /** Wall seconds at the instant `epochMs` (milliseconds since 1970 UTC), whole seconds. */
  wallSeconds(epochMs: number): number {
    if (!this.format) return Math.floor(epochMs / 1000);
    const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.format.formatToParts(epochMs)) {
      if (part.type in f) f[part.type as keyof typeof f] = Number(part.value); // the key was just checked
    }
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) / 1000;
  }
}
