import type { ExecutionLimits } from './types.ts';

/**
 * The CPU time a run may use: cpuShare % of its wall timeout (all of it without a share), never more
 * than `wallMs` (what is left of the wall clock, for a run started again). Whole milliseconds, so the
 * error's message and its ErrorInfo name the same figure.
 */
export function cpuBudgetMs(l: ExecutionLimits, wallMs = l.wallTimeoutMs): number {
  const cpuShare = l.cpuShare && l.cpuShare > 0 && l.cpuShare < 100 ? l.cpuShare : 100;
  return Math.min(wallMs, Math.max(1, Math.round((l.wallTimeoutMs * cpuShare) / 100)));
}
