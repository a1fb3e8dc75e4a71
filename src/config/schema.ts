// The configuration's keys, types, defaults and bounds, declared once. Loading (TOML, env, flags)
// and validation are driven from this table, so every error can name the exact key.
// Top-level keys are the API document's ScriptEngineConfig; [server], [pool], [auth], [events]
// and [tools] are the service's own.

export type KeyType = "int" | "number" | "bool" | "string" | "duration" | "level" | "address" | "strings" | "enum";

export interface KeySpec {
  type: KeyType;
  default: unknown;
  /** The least value; for a string, its least length. */
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}

const MiB = 1024 * 1024;
/**
 * GetConfig carries these keys as uint64: the largest integer a JS number holds exactly (below
 * 2^64), so that every accepted value serializes and reads back unchanged.
 */
const MAX_UINT64_EXACT = Number.MAX_SAFE_INTEGER;
/** GetConfig's uint32 fields. */
const MAX_UINT32 = 2 ** 32 - 1;

export const SCHEMA = {
  // ScriptEngineConfig (the document's names and defaults).
  max_cache_size: { type: "int", default: 1000, min: 0, max: 1_000_000, doc: "compiled scripts kept in the compile cache; 0: no compile cache" },
  default_execution_timeout: { type: "duration", default: 30_000, min: 1, doc: "timeout when a request sets none" },
  max_source_size: { type: "int", default: 1 * MiB, min: 1, max: 64 * MiB, doc: "largest accepted source, bytes" },
  enable_caching: { type: "bool", default: true, doc: "keep compiled scripts (and their V8 code caches) for later runs, in the host and in each worker isolate; false: neither keeps any, every run compiles its source, nothing is a cache hit" },
  security_level: { type: "level", default: "safe", doc: "level for requests that ask for none" },
  "resource_limits.max_memory_bytes": { type: "int", default: 512 * MiB, min: 8 * MiB, max: MAX_UINT64_EXACT, doc: "cap on any isolate's heap" },
  "resource_limits.max_cpu_percentage": { type: "number", default: 100, min: 1, max: 100, doc: "cap on CPU share" },
  "resource_limits.max_concurrent_operations": { type: "int", default: 100, min: 1, max: MAX_UINT64_EXACT, doc: "cap on concurrent executions per caller" },
  "resource_limits.operation_timeout": { type: "duration", default: 10_000, min: 1, doc: "cap on one tool call" },
  "resource_limits.max_execution_time": { type: "duration", default: 300_000, min: 1, doc: "cap on any execution's wall time" },
  "resource_limits.max_network_requests": { type: "int", default: 100, min: 0, max: MAX_UINT64_EXACT, doc: "cap on http requests sent per execution" },
  "discovery.enabled": { type: "bool", default: true, doc: "register the engine in its own registry" },
  "discovery.service_id": { type: "string", default: "", doc: "engine service id (default script-engine-<host>); reserved: no caller may register or deregister it" },
  "discovery.service_type": { type: "string", default: "ScriptEngine", doc: "registered service type" },
  "discovery.advertise_endpoint": { type: "string", default: "", doc: "advertised endpoint, host:port (default the gRPC listen address; set it when that is a wildcard such as 0.0.0.0, which no other host can dial)" },
  "discovery.ttl": { type: "duration", default: 30_000, min: 1000, max: 3_600_000, doc: "lease TTL (the registry's bounds: 1s to 1h)" },
  "health_check.interval": { type: "duration", default: 5000, min: 100, doc: "health re-evaluation period" },
  "health_check.degraded_queue_ratio": { type: "number", default: 0.8, min: 0, max: 1, doc: "queue fill (0..1) above which the engine is DEGRADED (0: as soon as anything is queued); a full queue is DEGRADED whatever the ratio, 1 included" },
  "health_check.unhealthy_failure_count": { type: "int", default: 5, min: 1, max: MAX_UINT32, doc: "worker failures in the window that mean UNHEALTHY" },
  "health_check.failure_window": { type: "duration", default: 60_000, min: 1000, doc: "window for counting failures" },

  // The server itself.
  "server.grpc_address": { type: "address", default: "127.0.0.1:50051", doc: "gRPC listen address (grpc-js)" },
  "server.http_address": { type: "address", default: "127.0.0.1:8080", doc: "Connect/gRPC-Web listen address (connect-node)" },
  "server.max_request_bytes": { type: "int", default: 4 * MiB, min: 1024, max: 256 * MiB, doc: "largest accepted request message" },
  "server.shutdown_grace": { type: "duration", default: 10_000, min: 0, doc: "how long SIGTERM (and the Stop RPC) waits for in-flight calls and executions" },
  "server.cors_origins": { type: "strings", default: [], doc: "browser origins allowed to call the HTTP door (Connect, gRPC-Web); \"*\" for any" },
  "server.idle_timeout": { type: "duration", default: 300_000, min: 1000, doc: "a connection with no call in progress this long is closed (GOAWAY); clients reconnect" },
  "server.max_connections": { type: "int", default: 10_000, min: 0, max: 1_000_000, doc: "open connections each port holds at once (each costs a file descriptor and ~10 KB until server.idle_timeout); one more is closed as it is accepted; 0: no cap" },
  "server.max_streams_per_caller": { type: "int", default: 1000, min: 1, doc: "long-lived streams (Subscribe, WatchServices, ...) one principal may hold open at once" },
  "server.data_dir": { type: "string", default: "data", min: 1, doc: "embedded store directory" },
  "server.log_level": { type: "enum", default: "info", values: ["debug", "info", "warn", "error", "silent"], doc: "log level" },
  "server.tls_cert_file": { type: "string", default: "", doc: "PEM certificate; enables TLS on both ports" },
  "server.tls_key_file": { type: "string", default: "", doc: "PEM private key" },
  "server.tls_client_ca_file": { type: "string", default: "", doc: "PEM CA; when set, clients must present a certificate (mTLS)" },

  // The isolate pool.
  "pool.workers": { type: "int", default: 0, min: 0, max: 64, doc: "worker processes (0 = one per core)" },
  "pool.max_queue": { type: "int", default: 256, min: 0, max: 100_000, doc: "executions (and compilations) waiting for an isolate" },
  "pool.recycle_after": { type: "int", default: 1000, min: 1, doc: "executions before an isolate is replaced" },
  "pool.send_ahead": { type: "bool", default: true, doc: "with every worker busy, queue up to two of a caller's executions in a worker behind that caller's short one" },
  "pool.max_parked": { type: "int", default: 8, min: 0, max: 64, doc: "executions a worker holds waiting on tools or timers (each in its own isolate) while it runs others" },
  "pool.max_worker_kills": { type: "int", default: 3, min: 0, max: 1_000_000, doc: "worker replacements a principal's executions may be blamed for within pool.worker_kill_window; at that count its new executions are RESOURCE_EXHAUSTED until the oldest leaves the window (queued and running ones go on); 0: no limit. Only with credentials configured (without, every caller is the one local principal)" },
  "pool.worker_kill_window": { type: "duration", default: 60_000, min: 1000, max: 86_400_000, doc: "the sliding window of pool.max_worker_kills" },

  // Caps of one execution's outputs.
  "execution.max_output_bytes": { type: "int", default: 1 * MiB, min: 1024, max: 64 * MiB, doc: "cap of stdout and of stderr, each" },
  "execution.max_return_bytes": { type: "int", default: 1 * MiB, min: 1024, max: 64 * MiB, doc: "cap of the return value, as JSON and as the google.protobuf.Value it crosses the API as" },
  "execution.max_tool_payload_bytes": { type: "int", default: 1 * MiB, min: 1024, max: 64 * MiB, doc: "cap of a tool call's arguments and result" },

  // Callers.
  "auth.on_excess": { type: "enum", default: "deny", values: ["deny", "clamp"], doc: "a script run (RunScript, ExecuteScript) asking for more than its principal holds: refused, or clamped to what it holds; migrations and validations are refused either way" },

  // The embedded store.
  "store.max_bytes": { type: "int", default: 1024 * MiB, min: 0, doc: "bytes all stored versions (source, name, metadata) may take together (past it CompileScript is RESOURCE_EXHAUSTED); 0: no cap" },
  "store.max_migrations_per_tool": { type: "int", default: 100, min: 0, max: 1_000_000, doc: "per tool, the newest N dry runs and failures, and apart from them the newest N completed or rolled back migrations, are kept with their backups: up to twice N plus the live tool's rollback chain, which is always kept; 0 keeps all" },
  "store.max_versions": { type: "int", default: 100, min: 0, max: 1_000_000, doc: "versions kept per script id (older ones are removed when a new one is compiled); 0 keeps all" },

  // The service registry (RegistryService).
  "registry.max_registrations": { type: "int", default: 10_000, min: 1, max: 1_000_000, doc: "live registrations of all principals together (past it RegisterService is RESOURCE_EXHAUSTED)" },
  "registry.max_registrations_per_principal": { type: "int", default: 1000, min: 1, max: 1_000_000, doc: "live registrations one principal may own" },
  "registry.max_metadata_bytes": { type: "int", default: 16 * 1024, min: 1024, max: 1 * MiB, doc: "UTF-8 bytes of one registration's metadata keys and values together" },
  "registry.watch_buffer": { type: "int", default: 1024, min: 1, max: 1_000_000, doc: "changes buffered per WatchServices stream after its snapshot; a watcher further behind ends with EVENTS_LOST" },

  // Events.
  "events.log_size": { type: "int", default: 10_000, min: 1, max: 10_000_000, doc: "events retained for resume" },
  "events.log_bytes": { type: "int", default: 64 * MiB, min: 1024, doc: "bytes the retained events may take together in memory (estimated once decoded); past it the oldest leave first" },
  "events.subscriber_buffer": { type: "int", default: 1024, min: 1, max: 1_000_000, doc: "events buffered per subscriber" },
  "events.subscriber_buffer_bytes": { type: "int", default: 8 * MiB, min: 1024, max: MAX_UINT64_EXACT, doc: "bytes of events buffered per subscriber, counted like log_bytes (one event always fits an empty buffer); past it, as past subscriber_buffer, the subscriber lags (on_lag)" },
  "events.subscribers_bytes": { type: "int", default: 64 * MiB, min: 1024, max: MAX_UINT64_EXACT, doc: "bytes of events all subscriber buffers together may hold after the log has let them go (counted like log_bytes, each event once); past it the principal holding the most of them (each event once per principal) loses its biggest buffer (on_lag), then the next, until under" },
  "events.on_lag": { type: "enum", default: "notify", values: ["notify", "disconnect"], doc: "a subscriber that falls behind" },

  // Tools and migration.
  "tools.http_allow_list": { type: "strings", default: [], doc: "hosts the http tool may reach (Production)" },
  "tools.fs_roots": { type: "strings", default: [], doc: "directories a request's working_directory must lie inside for the fs tool (empty: any)" },
  "tools.legacy_root": { type: "string", default: "examples/legacy-tools", min: 1, doc: "where legacy tools are read from; a relative path resolves against the working directory (a missing root is warned at start)" },

  // OpenTelemetry (src/telemetry). Off by default; exporters also follow the standard OTEL_* variables.
  "telemetry.enabled": { type: "bool", default: false, doc: "start the OpenTelemetry SDK: a span per RPC, engine spans, metrics" },
  "telemetry.service_name": { type: "string", default: "scriptengine", min: 1, doc: "service.name of the resource (OTEL_SERVICE_NAME wins)" },
  "telemetry.otlp": { type: "bool", default: true, doc: "export traces and metrics over OTLP (OTEL_EXPORTER_OTLP_* pick endpoint and protocol)" },
  "telemetry.prometheus_address": { type: "string", default: "", doc: 'Prometheus scrape endpoint host:port, e.g. "127.0.0.1:9464"; empty: none' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;
