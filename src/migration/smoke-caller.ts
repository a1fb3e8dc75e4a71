// Whose runs a migration's describe and smoke runs are: the calling principal's, counted against
// its concurrent executions at the run's level exactly as its RunScript would be (api/limits.ts),
// so validating or migrating is no way around that limit.
import type { Config, Level, Principal } from "../config/types.ts";
import { LEVELS } from "../api/limits.ts";

export function smokeCaller(config: Config, principal: Principal): (level: Level) => { key: string; limit: number } {
  return (level) => ({
    key: principal.name,
    limit: Math.min(...[LEVELS[level].concurrent, config.resourceLimits.maxConcurrentOperations, principal.maxConcurrent || undefined].filter((v): v is number => v !== undefined && Number.isFinite(v))),
  });
}
