/** Types of cpu-profile.mjs. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  scriptId?: string;
  columnNumber?: number;
}
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
export interface RankedEntry {
  name: string;
  ms: number;
  pct_of_busy: number;
}
export interface ProfileSummary {
  sampled_ms: number;
  busy_ms: number;
  idle_pct: number;
  self_by_function: RankedEntry[];
  self_by_package: RankedEntry[];
  total_by_function: RankedEntry[];
}
export function shortUrl(url: string): string;
export function packageOf(cf: CallFrame): string;
export function summarizeCpuProfile(profile: CpuProfile, opts?: { top?: number; fromUs?: number; toUs?: number }): ProfileSummary;
export function callersOf(profile: CpuProfile, needle: string, opts?: { top?: number; fromUs?: number; toUs?: number; ownCode?: boolean }): RankedEntry[];
export function formatProfileSummary(title: string, s: ProfileSummary): string;
