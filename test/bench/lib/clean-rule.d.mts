/** Types of clean-rule.mjs. */
export const ACHIEVED_MIN_SHARE: number;
export const RETRANS_MAX_PER_CALL: number;
export interface RunCounts {
  offered: number;
  count: number;
  uacExitCode: number | null;
  uac: { successful: number; failed: number; retransmissions: number; achievedRate: number } | null;
  uas: { failed: number; retransmissions: number } | null;
}
export function judgeRun(run: RunCounts): { clean: boolean; strict: boolean; reasons: string[] };
