// The names this service records, in one place. RPC spans and the RPC duration metric follow the
// *stable* RPC semantic conventions as published in @opentelemetry/semantic-conventions 1.45
// (`rpc.system.name`, `rpc.method` = "package.Service/Method", `rpc.status_code` = the gRPC status
// name, metric `rpc.server.call.duration` in seconds). The older generation (`rpc.system`,
// `rpc.service`, `rpc.grpc.status_code`, `rpc.server.duration` in ms) is not emitted.
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  METRIC_RPC_SERVER_CALL_DURATION,
} from "@opentelemetry/semantic-conventions";

export { ATTR_ERROR_TYPE, ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME, METRIC_RPC_SERVER_CALL_DURATION };

/** Instrumentation scope of every span and instrument. */
export const SCOPE = "scriptengine";

// Engine spans (children of the RPC span).
export const SPAN_QUEUE_WAIT = "scriptengine.queue_wait";
export const SPAN_COMPILE = "scriptengine.compile";
export const SPAN_RUN = "scriptengine.run";
export const SPAN_TOOL = "scriptengine.tool";

// Attributes of engine spans and metrics.
export const ATTR_SCRIPT_ID = "scriptengine.script.id";
export const ATTR_EXECUTION_ID = "scriptengine.execution.id";
export const ATTR_SECURITY_LEVEL = "scriptengine.security_level";
export const ATTR_CACHE_HIT = "scriptengine.cache.hit";
export const ATTR_WORKER_ID = "scriptengine.worker.id";
export const ATTR_OUTCOME = "scriptengine.outcome";
export const ATTR_TOOL_NAME = "scriptengine.tool.name";

// Metrics.
export const METRIC_EXECUTIONS = "scriptengine.executions";
export const METRIC_RUN_DURATION = "scriptengine.run.duration";
export const METRIC_QUEUE_WAIT = "scriptengine.queue.wait";
export const METRIC_CACHE_HITS = "scriptengine.cache.hits";
export const METRIC_CACHE_MISSES = "scriptengine.cache.misses";
export const METRIC_POOL_ISOLATES = "scriptengine.pool.isolates";
export const METRIC_QUEUE_LENGTH = "scriptengine.queue.length";
export const METRIC_COMPILE_QUEUE_LENGTH = "scriptengine.compile_queue.length";
export const METRIC_ISOLATE_RECYCLES = "scriptengine.isolate.recycles";
export const METRIC_WORKER_RESTARTS = "scriptengine.worker.restarts";
export const METRIC_EVENT_SUBSCRIBERS = "scriptengine.events.subscribers";
export const METRIC_EVENTS_LAGGED = "scriptengine.events.lagged";
export const METRIC_EVENT_LAG_DISCONNECTS = "scriptengine.events.lag_disconnects";
export const METRIC_STORE_BYTES = "scriptengine.store.bytes";

const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

/** The gRPC status code's canonical name ("NOT_FOUND"). */
export const statusName = (code: number): string => CODE_NAMES[code] ?? String(code);

/** Codes that mark a *server* span as failed (the gRPC conventions: the server's fault, not the caller's). */
export const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);
