/**
 * The pass/fail rule of one load run, the same as the Kamailio anchor harness's summarize.js:
 * clean = the SIPp UAC exited 0, every call of the run succeeded, nothing failed on either side,
 * the steady-state creation rate kept up (>= 97 % of offered) and retransmissions (UAC + UAS)
 * stayed at or below 0.01 % of the calls. "strict" = clean with no retransmission at all.
 */

export const ACHIEVED_MIN_SHARE = 0.97;
export const RETRANS_MAX_PER_CALL = 1 / 10000;

/**
 * @param {{offered: number, count: number, uacExitCode: number | null, uac: {successful: number, failed: number, retransmissions: number, achievedRate: number} | null, uas: {failed: number, retransmissions: number} | null}} run
 * @returns {{clean: boolean, strict: boolean, reasons: string[]}}
 */
export function judgeRun(run) {
  const reasons = [];
  const uac = run.uac;
  if (run.offered <= 0) reasons.push('no offered rate');
  if (run.uacExitCode !== 0) reasons.push(`uac exit ${run.uacExitCode}`);
  if (!uac) {
    reasons.push('no uac statistics');
    return { clean: false, strict: false, reasons };
  }
  if (uac.successful !== run.count) reasons.push(`successful ${uac.successful}/${run.count}`);
  if (uac.failed > 0) reasons.push(`uac failed ${uac.failed}`);
  const uasFailed = run.uas ? run.uas.failed : 0;
  if (uasFailed > 0) reasons.push(`uas failed ${uasFailed}`);
  if (uac.achievedRate < ACHIEVED_MIN_SHARE * run.offered) reasons.push(`achieved ${uac.achievedRate.toFixed(1)}/s < 97 %`);
  const retrans = uac.retransmissions + (run.uas ? run.uas.retransmissions : 0);
  // Same integer bound as summarize.js: floor(count / 10000) retransmissions allowed.
  if (retrans > Math.floor(run.count * RETRANS_MAX_PER_CALL)) reasons.push(`retransmissions ${retrans}`);
  const clean = reasons.length === 0;
  return { clean, strict: clean && retrans === 0, reasons };
}
