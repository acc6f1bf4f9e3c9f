export function processSwitches(pid: number | string): { voluntary: number; involuntary: number };
