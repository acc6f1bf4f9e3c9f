/** Types of media-sipp-logs.mjs. */
export function inviteTimes(text: string): number[];
export interface LoggedPorts {
  rtpengine: number;
  other: number;
  other_sample: number[];
}
export function loggedPorts(text: string, kind: 'offer' | 'answer', range: readonly [number, number]): LoggedPorts;
