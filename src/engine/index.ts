/** The isolate engine: public surface for the API layer. */
export { createEngine } from './pool.ts';
export type { Engine } from './pool.ts';
export { EngineError, CompileError, isEngineError } from './errors.ts';
export { cpuBudgetMs, cpuShareOfDeadline } from './cpu-budget.ts';
export { MAX_VALUE_DEPTH, valueNestsDeeper } from './json-depth.ts';
export type { EngineErrorReason, EngineErrorDetails } from './errors.ts';
export type * from './types.ts';
