export function probeMachine(options?: { iterations?: number; warmup?: number; timeoutMs?: number }): Promise<number>;
