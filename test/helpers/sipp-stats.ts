/**
 * SIPp's end-of-run statistics, from the files it writes:
 *
 *   parseSippStatCsv(csv)        -trace_stat file (-stf): call counters of the
 *                                last line (cumulative "(C)" columns)
 *   parseSippScreenSteps(screen) -trace_screen file: the per-step table of the
 *                                scenario screen (messages, retransmissions,
 *                                timeouts, unexpected, lost)
 *   parseSippLastError(screen)   the "Last Error:" line, if any
 *
 * The screen table is the only place SIPp 3.6 reports "lost" per step; its
 * columns are found from the header line's positions, because empty cells
 * are blank, not zero. The layout differs by side: a UAC prints
 * "INVITE ---------->" (sent), a UAS "----------> INVITE" (received).
 */

export interface SippCallCounters {
  readonly created: number;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  readonly deadCallMessages: number;
  readonly outOfCallMessages: number;
  /** The non-zero Failed*(C) counters other than FailedCall, e.g. { FailedTimeoutOnRecv: 1 }. */
  readonly failures: Readonly<Record<string, number>>;
  /** Every column of the last line, by header name. */
  readonly raw: Readonly<Record<string, string>>;
}

function toNumber(value: string | undefined): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function parseSippStatCsv(csv: string): SippCallCounters | undefined {
  const lines = csv.split('\n').filter((line) => line.trim().length > 0);
  const header = lines[0];
  const last = lines.at(-1);
  if (header === undefined || last === undefined || lines.length < 2) return undefined;
  const names = header.split(';');
  const values = last.split(';');
  const raw: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name.length > 0) raw[name] = values[i] ?? '';
  });
  const failures: Record<string, number> = {};
  for (const name of names) {
    if (!name.startsWith('Failed') || !name.endsWith('(C)') || name === 'FailedCall(C)') continue;
    const count = toNumber(raw[name]);
    if (count > 0) failures[name.slice(0, -3)] = count;
  }
  return {
    created: toNumber(raw['TotalCallCreated']),
    successful: toNumber(raw['SuccessfulCall(C)']),
    failed: toNumber(raw['FailedCall(C)']),
    retransmissions: toNumber(raw['Retransmissions(C)']),
    deadCallMessages: toNumber(raw['DeadCallMsgs(C)']),
    outOfCallMessages: toNumber(raw['OutOfCallMsgs(C)']),
    failures,
    raw,
  };
}

export type SippStepDirection = 'sent' | 'received' | 'none';

export interface SippStepStats {
  /** Row number in the scenario screen (pauses and displayed nops count). */
  readonly index: number;
  /** "INVITE", "200", "Pause [ 1200ms]", ... */
  readonly label: string;
  readonly direction: SippStepDirection;
  readonly messages: number;
  readonly retransmissions: number;
  readonly timeouts: number;
  readonly unexpected: number;
  readonly lost: number;
}

const ARROW_RIGHT = '---------->';
const ARROW_LEFT = '<----------';

function stepLabelAndDirection(cell: string): { label: string; direction: SippStepDirection } {
  const cleaned = cell.replace(/\b[BE]-RTD\d+\b/g, ' ');
  for (const arrow of [ARROW_RIGHT, ARROW_LEFT]) {
    const at = cleaned.indexOf(arrow);
    if (at < 0) continue;
    const before = cleaned.slice(0, at).trim();
    const after = cleaned.slice(at + arrow.length).trim();
    // UAC layout: "INVITE ---------->" (sent), "200 <----------" (received).
    // UAS layout: "----------> INVITE" (received), "<---------- 200" (sent).
    if (before.length > 0) return { label: before, direction: arrow === ARROW_RIGHT ? 'sent' : 'received' };
    return { label: after, direction: arrow === ARROW_RIGHT ? 'received' : 'sent' };
  }
  return { label: cleaned.trim(), direction: 'none' };
}

export function parseSippScreenSteps(screen: string): SippStepStats[] {
  const lines = screen.split('\n');
  // The last scenario screen in the file is the final one.
  let headerAt = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (line.includes('Messages') && line.includes('Retrans') && line.includes('Timeout')) {
      headerAt = i;
      break;
    }
  }
  if (headerAt < 0) return [];
  const header = lines[headerAt] ?? '';
  const starts = [
    header.indexOf('Messages'),
    header.indexOf('Retrans'),
    header.indexOf('Timeout'),
    header.indexOf('Unexp'),
    header.indexOf('Lost'),
  ];
  const cell = (line: string, column: number): string => {
    const start = starts[column] ?? -1;
    if (start < 0) return '';
    const next = starts.slice(column + 1).find((s) => s >= 0);
    return line.slice(start, next).trim();
  };
  const firstColumn = starts[0] ?? 0;
  const steps: SippStepStats[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    // The UAS layout has blank lines inside the table; it ends at the footer.
    if (line.trim().length === 0) continue;
    if (line.startsWith('Last Error') || line.startsWith('---')) break;
    const { label, direction } = stepLabelAndDirection(line.slice(0, firstColumn));
    steps.push({
      index: steps.length,
      label,
      direction,
      messages: toNumber(cell(line, 0)),
      retransmissions: toNumber(cell(line, 1)),
      timeouts: toNumber(cell(line, 2)),
      unexpected: toNumber(cell(line, 3)),
      lost: toNumber(cell(line, 4)),
    });
  }
  return steps;
}

export function parseSippLastError(screen: string): string | undefined {
  const at = screen.lastIndexOf('Last Error: ');
  if (at < 0) return undefined;
  const end = screen.indexOf('\n', at);
  return screen.slice(at + 'Last Error: '.length, end < 0 ? undefined : end).trim();
}
