import type { ExecutionLimits } from './types.ts';

/**
 * The CPU time a run may use: cpuShare % of its own wall limit (all of it without a share), never more
 * than `wallMs` (its wall limit, which the call's deadline may have cut shorter, or what is left of it
 * for a run started again). Its own wall limit is ownWallTimeoutMs when the deadline cut wallTimeoutMs:
 * a share of the deadline would stop a busy script by its budget where the deadline is what ran out.
 * Whole milliseconds, so the error's message and its ErrorInfo name the same figure.
 */
export function cpuBudgetMs(l: ExecutionLimits, wallMs = l.wallTimeoutMs): number {
  const cpuShare = l.cpuShare && l.cpuShare > 0 && l.cpuShare < 100 ? l.cpuShare : 100;
  return Math.min(wallMs, Math.max(1, Math.round(((l.ownWallTimeoutMs ?? l.wallTimeoutMs) * cpuShare) / 100)));
}
