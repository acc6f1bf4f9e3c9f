/** Types of sipp-stats.mjs. */
export type StatRow = Record<string, string>;
export interface StatTotals {
  created: number;
  successful: number;
  failed: number;
  retransmissions: number;
  deadCallMsgs: number;
  outOfCallMsgs: number;
  achievedRate: number;
  achievedRateWholeRun: number;
}
export interface RttStats {
  n: number;
  mean_ms: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | undefined;
}
export function parseStatCsv(text: string): StatRow[];
export function steadyCallRate(rows: StatRow[]): number;
export function statTotals(rows: StatRow[]): StatTotals | null;
export function percentile(sorted: readonly number[], p: number): number | null;
export function parseRttCsv(text: string): Record<string, RttStats>;
