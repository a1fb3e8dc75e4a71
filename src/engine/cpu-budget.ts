import type { ExecutionLimits } from './types.ts';

/**
 * The CPU time a run may use: cpuShare % of its wall limit (all of it without a share), never more
 * than `wallMs` (what is left of the wall clock, for a run started again). The wall limit is the one
 * in force, a call's deadline included: the share bounds the run's CPU rate, however its time was
 * set. Whole milliseconds, so the error's message and its ErrorInfo name the same figure.
 */
export function cpuBudgetMs(l: ExecutionLimits, wallMs = l.wallTimeoutMs): number {
  const cpuShare = l.cpuShare && l.cpuShare > 0 && l.cpuShare < 100 ? l.cpuShare : 100;
  return Math.min(wallMs, Math.max(1, Math.round((l.wallTimeoutMs * cpuShare) / 100)));
}

/** The start of the message of a run stopped at its CPU-time budget (engine/worker.ts). */
const CPU_LIMIT_MESSAGE = /^the script exceeded its CPU time limit of \S+ ms/;

/**
 * The message of a run its CPU-time budget stopped when a deadline, not its own limits, set its wall
 * limit: its budget was its share of that time, which `time` names ("the call's 5000 ms deadline"),
 * and the message says so rather than a CPU limit of its own. Other messages are returned as they are.
 */
export function cpuShareOfDeadline(message: string, l: ExecutionLimits, who: string, time: string): string {
  if (l.cpuShare === undefined || l.cpuShare >= 100) return message;
  return message.replace(CPU_LIMIT_MESSAGE, `${who} used its CPU share (${l.cpuShare} %) of ${time}: ${cpuBudgetMs(l)} ms`);
}
