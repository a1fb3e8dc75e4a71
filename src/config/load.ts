// Configuration: defaults (schema.ts), then a TOML file, then SCRIPTENGINE_* environment
// variables, then command-line flags. Any bad key or value is a ConfigError naming the key.
import { isUtf8 } from "node:buffer";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse as parseToml } from "smol-toml";
import { SCHEMA, type ConfigKey, type KeySpec } from "./schema.ts";
import type { Config, Level, PrincipalEntry } from "./types.ts";
import { PERMISSIONS } from "../auth/permissions.ts";
import { REGISTRY_LIMITS, endpointProblem, tokenProblem } from "../registry/validate.ts";
// Two leaf modules of the doors (they load nothing at run time): the longest timer, which bounds
// every duration, and the gRPC port's send limit, which a result must fit. Re-exported for the
// CLI, which bounds its durations the same way and may use config, not the doors.
import { MAX_TIMER_MS } from "../doors/long-deadlines.ts";
import { GRPC_MAX_SEND_BYTES } from "../doors/door-limits.ts";
import { allowListProblem } from "./allow-list.ts";
import { corsOriginProblem } from "./cors-origins.ts";
export { GRPC_MAX_SEND_BYTES, MAX_TIMER_MS };

/** A key named in an error line: a TOML table header can be kilobytes long. */
const KEY_SHOWN = 200;

/**
 * Text for an error line on a terminal: control characters (a NUL, an escape sequence, a newline
 * from a quoted TOML key or value, a path or an environment variable) are written as \uXXXX.
 */
export const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

export class ConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    // Not half a character: a high surrogate cut from its pair would print as U+FFFD.
    const shown = key.length > KEY_SHOWN ? `${key.slice(0, KEY_SHOWN).replace(/[\ud800-\udbff]$/, "")}… (${key.length} characters)` : key;
    super(printable(`config: ${shown}: ${message}`));
    this.key = key;
  }
}

const LEVELS: readonly Level[] = ["safe", "production", "development"];
const ENV_PREFIX = "SCRIPTENGINE_";
const envName = (key: string) => ENV_PREFIX + key.replace(/\./g, "_").toUpperCase();

/** Parses "30s", "500ms", "2m", "1h", "1.5s" into whole milliseconds. */
export function parseDuration(text: string): number | undefined {
  const ms = exactDuration(text);
  return ms === undefined ? undefined : Math.round(ms);
}

/** The milliseconds a duration says, unrounded: bounds are checked on this ("0.9995s" is under 1s). */
function exactDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

const DURATION_UNITS = [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const;

/**
 * A duration's upper bound in milliseconds, then roughly in the largest unit a value may be written
 * in (h: there is no "d") and in days, both rounded down so that neither overstates it:
 * "2147483647 ms (about 596h, 24.8 days)".
 */
export function maxDurationText(ms: number): string {
  if (ms < 3_600_000) return `${ms} ms`;
  const days = Math.floor((ms / 86_400_000) * 10) / 10;
  return `${ms} ms (about ${Math.floor(ms / 3_600_000)}h${days >= 1 ? `, ${days} days` : ""})`;
}

/** A duration bound as a value would be written: "1s", "1h", "100ms" (bare milliseconds are refused as input). */
function durationText(ms: number): string {
  if (ms === 0) return "0s";
  const [unit, size] = DURATION_UNITS.find(([, size]) => ms % size === 0) ?? ["ms", 1];
  return `${ms / size}${unit}`;
}

/** Checks one value against its spec; `fromText` values (env, flags) are parsed from strings. */
function coerce(key: string, spec: KeySpec, raw: unknown, fromText: boolean): unknown {
  const fail = (what: string): never => {
    // JSON has no inf or nan: JSON.stringify would show both as null (and throw on a bigint).
    const got = typeof raw === "number" || typeof raw === "bigint" ? String(raw) : JSON.stringify(raw);
    throw new ConfigError(key, `expected ${what}, got ${got}`);
  };
  // A duration says its bounds in units and its value as written: bare milliseconds cannot be typed.
  const bounded = (n: number, shown: string = String(n), said: (bound: number) => string = String) => {
    if (spec.min !== undefined && n < spec.min) throw new ConfigError(key, `must be at least ${said(spec.min)}, got ${shown}`);
    if (spec.max !== undefined && n > spec.max) throw new ConfigError(key, `must be at most ${said(spec.max)}, got ${shown}`);
    return n;
  };
  switch (spec.type) {
    case "int":
    case "number": {
      // From text, plain decimal only: Number() would also take "0x10", "0b1" or " 1e3 ".
      const n = fromText && typeof raw === "string" && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : raw;
      if (typeof n === "bigint") return bounded(Number(n));
      if (typeof n !== "number" || !Number.isFinite(n)) return fail(spec.type === "int" ? "an integer" : "a number");
      if (spec.type === "int" && !Number.isInteger(n)) return fail("an integer");
      return bounded(n);
    }
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (fromText && (raw === "true" || raw === "false")) return raw === "true";
      return fail("true or false");
    case "duration": {
      const ms = typeof raw === "string" ? exactDuration(raw) : undefined;
      if (ms === undefined) return fail('a duration such as "30s" or "500ms"');
      // Node runs a longer timer after 1 ms: a grace of "1000h" would end calls at once.
      if (!(ms <= MAX_TIMER_MS)) throw new ConfigError(key, `must be at most ${maxDurationText(MAX_TIMER_MS)}, got ${JSON.stringify(raw)}`);
      // Checked as written, then whole: rounded first, 0.9995s passed a 1s minimum as 1s.
      return Math.round(bounded(ms, (raw as string).trim(), durationText));
    }
    case "level":
      if (typeof raw === "string" && LEVELS.includes(raw.toLowerCase() as Level)) return raw.toLowerCase();
      return fail(LEVELS.join(" | "));
    case "enum": {
      // Any case, as a level is (log_level = "INFO" was refused where security_level = "SAFE" was not).
      const known = typeof raw === "string" ? spec.values?.find((v) => v === raw.toLowerCase()) : undefined;
      if (known !== undefined) return known;
      return fail(spec.values?.join(" | ") ?? "a known value");
    }
    case "address": {
      if (typeof raw !== "string") return fail("host:port");
      const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
      if (!m || Number(m[2]) > 65535) return fail("host:port with a port from 0 to 65535");
      return raw;
    }
    case "strings":
      if (fromText && typeof raw === "string") return raw.split(",").map((s) => s.trim()).filter(Boolean);
      if (Array.isArray(raw) && raw.every((s) => typeof s === "string")) return raw;
      return fail("a list of strings");
    case "string":
      if (typeof raw !== "string") return fail("a string");
      // server.data_dir = "" would only fail at start, as mkdir('') (exit 1, not a config error).
      if (spec.min !== undefined && raw.length < spec.min) throw new ConfigError(key, raw === "" ? "must not be empty" : `must be at least ${spec.min} characters long`);
      return raw;
  }
}

/** "server", "resource_limits" …: the tables some key is under ("a.b" for a key "a.b.c"). */
const TABLES = new Set(Object.keys(SCHEMA).flatMap((k) => k.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))));

/**
 * Flattens a parsed TOML table into dotted keys, leaving [[auth.principals]] aside. It goes into a
 * table only if some key is under it, so it is as deep as the schema: a header thousands of levels
 * deep is an unknown key at its first level, not a recursion out of stack.
 */
function flatten(table: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(table)) {
    const key = prefix + k;
    // A quoted "pool.workers" would read as pool.workers, a second spelling of a key TOML's own
    // duplicate check cannot see: the last one would silently win.
    if (k.includes(".")) throw new ConfigError(key, `a key may not contain "." inside quotes (write ${JSON.stringify(k)} as a dotted key or under its table)`);
    if (key === "auth.principals") continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
      if (!(key in SCHEMA)) {
        if (!TABLES.has(key)) throw new ConfigError(key, "unknown key");
        flatten(v as Record<string, unknown>, key + ".", out);
        continue;
      }
    }
    out[key] = v;
  }
  return out;
}

/** Reads [[auth.principals]]; records the variables named by token_env in `tokenEnvs`. */
function principalsFrom(raw: unknown, env: NodeJS.ProcessEnv, tokenEnvs: Set<string>): PrincipalEntry[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError("auth.principals", "expected [[auth.principals]] tables");
  const allowed = new Set(["name", "token", "token_env", "client_cert_names", "max_security_level", "permissions", "max_concurrent"]);
  const seenTokens = new Set<string>();
  const seenNames = new Set<string>();
  const seenCertNames = new Set<string>();
  return raw.map((entry, i) => {
    const at = `auth.principals[${i}]`;
    if (entry === null || typeof entry !== "object") throw new ConfigError(at, "expected a table");
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!allowed.has(k)) throw new ConfigError(`${at}.${k}`, "unknown key");
    if (typeof e.name !== "string" || !e.name) throw new ConfigError(`${at}.name`, "expected a non-empty string");
    // Ownership (registrations, subscriptions) and quotas are keyed by name: two entries with one
    // name would be one caller holding both tokens' rights.
    if (seenNames.has(e.name)) throw new ConfigError(`${at}.name`, `the name ${JSON.stringify(e.name)} is given to two principals`);
    seenNames.add(e.name);
    const clientCertNames = clientCertNamesFrom(`${at}.client_cert_names`, e.client_cert_names, seenCertNames);
    // Two sources of one secret: whichever won, the other would be silently ignored.
    if (e.token !== undefined && e.token_env !== undefined) throw new ConfigError(`${at}.token_env`, "only one of token and token_env may be given");
    let token = e.token;
    // The key a bad token is reported under: the one it came from.
    const tokenKey = `${at}.${e.token_env !== undefined ? "token_env" : "token"}`;
    if (e.token_env !== undefined) {
      if (typeof e.token_env !== "string") throw new ConfigError(`${at}.token_env`, "expected a variable name");
      tokenEnvs.add(e.token_env);
      token = env[e.token_env];
      if (!token) throw new ConfigError(`${at}.token_env`, `environment variable ${JSON.stringify(e.token_env)} is empty or unset`);
    }
    // A principal named only by client certificates has no token.
    if (token === undefined && clientCertNames) return { ...principalRights(at, e), name: e.name, clientCertNames };
    if (typeof token !== "string" || token.length < 16) {
      const what = e.token_env !== undefined ? `environment variable ${JSON.stringify(e.token_env)} to hold a secret of at least 16 characters` : "a secret of at least 16 characters (token or token_env), or client_cert_names";
      throw new ConfigError(tokenKey, `expected ${what}`);
    }
    // A header carries visible ASCII only (callers' tokens are trimmed, HTTP/1.1 reads bytes as
    // latin1, HTTP/2 stacks drop other values): any other token could never authenticate.
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new ConfigError(tokenKey, "a token must be visible ASCII characters only (no spaces, tabs, newlines or non-ASCII letters)");
    }
    if (seenTokens.has(token)) throw new ConfigError(tokenKey, "the same token is given to two principals");
    seenTokens.add(token);
    return { ...principalRights(at, e), name: e.name, token, ...(clientCertNames && { clientCertNames }) };
  });
}

/** A principal's level, permissions and concurrency. */
function principalRights(at: string, e: Record<string, unknown>): Omit<PrincipalEntry, "name" | "token" | "clientCertNames"> {
  const level = coerce(`${at}.max_security_level`, SCHEMA.security_level, e.max_security_level ?? "safe", false) as Level;
  const permissions = e.permissions ?? [];
  if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === "string")) {
    throw new ConfigError(`${at}.permissions`, "expected a list of strings");
  }
  const unknown = permissions.find((p) => !(PERMISSIONS as readonly string[]).includes(p));
  if (unknown !== undefined) throw new ConfigError(`${at}.permissions`, `unknown permission ${JSON.stringify(unknown)} (known: ${PERMISSIONS.join(", ")})`);
  const maxConcurrent = coerce(`${at}.max_concurrent`, { type: "int", default: 0, min: 0, doc: "" }, e.max_concurrent ?? 0, false) as number;
  return { maxSecurityLevel: level, permissions: permissions as string[], maxConcurrent };
}

/**
 * client_cert_names: the verified client certificates a principal answers for, each matched
 * exactly (case included) against a certificate's subject CN and its DNS and URI SANs. One name
 * maps to one principal; absent: undefined.
 */
function clientCertNamesFrom(key: string, raw: unknown, seen: Set<string>): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((n) => typeof n === "string")) {
    throw new ConfigError(key, "expected a non-empty list of names (a certificate's subject CN, DNS or URI name)");
  }
  const own = new Set<string>();
  for (const name of raw as string[]) {
    // What a certificate can carry and Node shows as is: no control characters, nothing blank around it.
    if (!name || name.length > 1024 || name !== name.trim() || /[\x00-\x1f\x7f]/.test(name)) {
      throw new ConfigError(key, `${JSON.stringify(name)} is not a certificate name (1-1024 characters, no control characters or surrounding spaces)`);
    }
    if (own.has(name)) throw new ConfigError(key, `the client certificate name ${JSON.stringify(name)} is listed twice`);
    if (seen.has(name)) throw new ConfigError(key, `the client certificate name ${JSON.stringify(name)} is given to two principals`);
    own.add(name);
    seen.add(name);
  }
  return raw as string[];
}

/** The byte offset of the first byte sequence that is not UTF-8, or undefined when it all is. */
export function firstNonUtf8(bytes: Buffer, decoded = bytes.toString("utf8")): number | undefined {
  if (isUtf8(bytes)) return undefined;
  // Up to the first U+FFFD decoded, the text is its bytes: one that is no encoded U+FFFD is a bad byte.
  for (let i = decoded.indexOf("\ufffd"); i >= 0; i = decoded.indexOf("\ufffd", i + 1)) {
    const offset = Buffer.byteLength(decoded.slice(0, i));
    if (!(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
  }
  return undefined;
}

export interface LoadOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Loaded {
  config: Config;
  /** Where each non-default key came from, for the startup log. */
  sources: Record<string, "file" | "env" | "flag">;
  configFile?: string;
}

export const USAGE = `usage: node src/main.ts [--config FILE] [--grpc-address HOST:PORT] [--http-address HOST:PORT]
                        [--data-dir DIR] [--log-level LEVEL] [--set KEY=VALUE ...]
   or: scriptengine serve [the same flags]
The TOML file may also be named by SCRIPTENGINE_CONFIG (--config wins).
Keys are those of the TOML file (e.g. pool.workers, resource_limits.max_memory_bytes);
environment variables are SCRIPTENGINE_<KEY> with dots as underscores (SCRIPTENGINE_POOL_WORKERS).`;

export function loadConfig(options: LoadOptions = {}): Loaded {
  const env = options.env ?? process.env;
  const { values: flags } = parseArgs({
    args: options.argv ?? [],
    options: {
      config: { type: "string" },
      "grpc-address": { type: "string" },
      "http-address": { type: "string" },
      "data-dir": { type: "string" },
      "log-level": { type: "string" },
      set: { type: "string", multiple: true },
    },
    strict: true,
    allowPositionals: false,
  });
  const values = new Map<ConfigKey, unknown>();
  const sources: Loaded["sources"] = {};
  const put = (key: string, raw: unknown, source: "file" | "env" | "flag") => {
    // `server = 5` (or --set server=5) names a known table, not an unknown key.
    if (!(key in SCHEMA)) throw new ConfigError(key, TABLES.has(key) ? `a table, not a value: set its keys (${key}.<key>)` : "unknown key");
    const spec: KeySpec = SCHEMA[key as ConfigKey];
    values.set(key as ConfigKey, coerce(key, spec, raw, source !== "file"));
    sources[key] = source;
  };

  // An empty --config (a script's unset variable) would silently drop every file setting, principals included.
  if (flags.config === "") throw new ConfigError("--config", "empty path");
  const configFile = flags.config ?? env.SCRIPTENGINE_CONFIG;
  // Its errors name where the path came from: an operator who set only the variable never wrote --config.
  const configFrom = flags.config !== undefined ? "--config" : "SCRIPTENGINE_CONFIG";
  let principals: PrincipalEntry[] = [];
  const tokenEnvs = new Set<string>();
  if (configFile) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(configFile);
    } catch (err) {
      throw new ConfigError(configFrom, `cannot read ${configFile}: ${(err as Error).message}`);
    }
    // Read as UTF-8 with U+FFFD for bad bytes, a Latin-1 path named another file or directory.
    const text = bytes.toString("utf8");
    const bad = firstNonUtf8(bytes, text);
    if (bad !== undefined) {
      const line = bytes.subarray(0, bad).toString("latin1").split("\n").length;
      throw new ConfigError(configFile, `not valid TOML: not UTF-8 at byte offset ${bad} (line ${line}); TOML files are UTF-8`);
    }
    let table: Record<string, unknown>;
    try {
      table = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      const { line, column } = err as { line?: number; column?: number };
      const where = line ? ` (line ${line}, column ${column})` : "";
      throw new ConfigError(configFile, `not valid TOML: ${(err as Error).message.split("\n")[0]}${where}`);
    }
    for (const [key, raw] of Object.entries(flatten(table))) put(key, raw, "file");
    principals = principalsFrom((table.auth as Record<string, unknown> | undefined)?.principals, env, tokenEnvs);
  }

  const known = new Map(Object.keys(SCHEMA).map((k) => [envName(k), k]));
  // Not config keys, yet expected in the same environment: the config file's path, the token a
  // shell keeps for the SDKs and the CLI, the node the SDK tests use, and principals' token_env.
  const notKeys = new Set(["SCRIPTENGINE_CONFIG", "SCRIPTENGINE_TOKEN", "SCRIPTENGINE_NODE", ...tokenEnvs]);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || notKeys.has(name) || raw === undefined) continue;
    const key = known.get(name);
    if (!key) throw new ConfigError(name, "unknown environment variable");
    put(key, raw, "env");
  }

  const flagKeys: Record<string, ConfigKey> = {
    "grpc-address": "server.grpc_address",
    "http-address": "server.http_address",
    "data-dir": "server.data_dir",
    "log-level": "server.log_level",
  };
  for (const [flag, key] of Object.entries(flagKeys)) {
    const v = flags[flag as keyof typeof flags];
    if (typeof v === "string") put(key, v, "flag");
  }
  for (const assignment of flags.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new ConfigError("--set", `expected KEY=VALUE, got ${JSON.stringify(assignment)}`);
    put(assignment.slice(0, eq), assignment.slice(eq + 1), "flag");
  }

  const get = <T>(key: ConfigKey): T => (values.has(key) ? values.get(key) : SCHEMA[key].default) as T;
  const config: Config = {
    maxCacheSize: get("max_cache_size"),
    defaultExecutionTimeoutMs: get("default_execution_timeout"),
    maxSourceSize: get("max_source_size"),
    enableCaching: get("enable_caching"),
    securityLevel: get("security_level"),
    resourceLimits: {
      maxMemoryBytes: get("resource_limits.max_memory_bytes"),
      maxCpuPercentage: get("resource_limits.max_cpu_percentage"),
      maxConcurrentOperations: get("resource_limits.max_concurrent_operations"),
      operationTimeoutMs: get("resource_limits.operation_timeout"),
      maxExecutionTimeMs: get("resource_limits.max_execution_time"),
      maxNetworkRequests: get("resource_limits.max_network_requests"),
    },
    discovery: {
      enabled: get("discovery.enabled"),
      serviceId: get("discovery.service_id"),
      serviceType: get("discovery.service_type"),
      advertiseEndpoint: get("discovery.advertise_endpoint"),
      ttlMs: get("discovery.ttl"),
    },
    registry: {
      maxRegistrations: get("registry.max_registrations"),
      maxRegistrationsPerPrincipal: get("registry.max_registrations_per_principal"),
      maxMetadataBytes: get("registry.max_metadata_bytes"),
      watchBuffer: get("registry.watch_buffer"),
    },
    healthCheck: {
      intervalMs: get("health_check.interval"),
      degradedQueueRatio: get("health_check.degraded_queue_ratio"),
      unhealthyFailureCount: get("health_check.unhealthy_failure_count"),
      failureWindowMs: get("health_check.failure_window"),
    },
    server: {
      grpcAddress: get("server.grpc_address"),
      httpAddress: get("server.http_address"),
      maxRequestBytes: get("server.max_request_bytes"),
      maxStreamsPerCaller: get("server.max_streams_per_caller"),
      shutdownGraceMs: get("server.shutdown_grace"),
      idleTimeoutMs: get("server.idle_timeout"),
      maxConnections: get("server.max_connections"),
      corsOrigins: get("server.cors_origins"),
      dataDir: get("server.data_dir"),
      logLevel: get("server.log_level"),
      tlsCertFile: get("server.tls_cert_file"),
      tlsKeyFile: get("server.tls_key_file"),
      tlsClientCaFile: get("server.tls_client_ca_file"),
    },
    pool: { workers: get("pool.workers"), maxQueue: get("pool.max_queue"), recycleAfter: get("pool.recycle_after"), sendAhead: get("pool.send_ahead"), maxParked: get("pool.max_parked"), maxWorkerKills: get("pool.max_worker_kills"), workerKillWindowMs: get("pool.worker_kill_window") },
    execution: {
      maxOutputBytes: get("execution.max_output_bytes"),
      maxReturnBytes: get("execution.max_return_bytes"),
      maxToolPayloadBytes: get("execution.max_tool_payload_bytes"),
    },
    auth: { onExcess: get("auth.on_excess"), principals },
    store: { maxVersions: get("store.max_versions"), maxBytes: get("store.max_bytes"), maxMigrationsPerTool: get("store.max_migrations_per_tool") },
    events: { logSize: get("events.log_size"), logBytes: get("events.log_bytes"), subscriberBuffer: get("events.subscriber_buffer"), subscriberBufferBytes: get("events.subscriber_buffer_bytes"), subscribersBytes: get("events.subscribers_bytes"), onLag: get("events.on_lag") },
    tools: { httpAllowList: get("tools.http_allow_list"), fsRoots: get("tools.fs_roots"), legacyRoot: get("tools.legacy_root") },
    telemetry: {
      enabled: get("telemetry.enabled"),
      serviceName: get("telemetry.service_name"),
      otlp: get("telemetry.otlp"),
      prometheusAddress: get("telemetry.prometheus_address"),
    },
  };
  checkDiscovery(config.discovery);
  config.tools.httpAllowList.forEach((entry, i) => {
    const problem = allowListProblem(entry);
    if (problem) throw new ConfigError(`tools.http_allow_list[${i}]`, problem);
  });
  config.server.corsOrigins.forEach((entry, i) => {
    const problem = corsOriginProblem(entry);
    if (problem) throw new ConfigError(`server.cors_origins[${i}]`, problem);
  });
  checkResultFits(config.execution);
  fitSourceInRequest(config, (key) => values.has(key));
  // Checked as an address (port range included): empty means none, so it is not typed "address".
  const prom = config.telemetry!.prometheusAddress;
  if (prom) {
    coerce("telemetry.prometheus_address", { type: "address", default: "", doc: "" }, prom, false);
    // The exporter takes port 0 as unset and binds its default, 9464: not the free port a door's 0 picks.
    if (/:0+$/.test(prom)) throw new ConfigError("telemetry.prometheus_address", `${JSON.stringify(prom)}: port 0 is not supported here (the exporter would bind its default, 9464); give a port`);
    // Bound before the doors, it would take the port and the door's failure would blame the door's key.
    const door = config.telemetry!.enabled && (["grpc_address", "http_address"] as const).find((k) => config.server[k === "grpc_address" ? "grpcAddress" : "httpAddress"] === prom);
    if (door) throw new ConfigError("telemetry.prometheus_address", `${JSON.stringify(prom)} is also server.${door}: give the metrics their own port`);
  }
  if (Boolean(config.server.tlsCertFile) !== Boolean(config.server.tlsKeyFile)) {
    throw new ConfigError(config.server.tlsCertFile ? "server.tls_key_file" : "server.tls_cert_file", "TLS needs both a certificate and a key");
  }
  if (config.server.tlsClientCaFile && !config.server.tlsCertFile) {
    throw new ConfigError("server.tls_client_ca_file", "mTLS needs server.tls_cert_file and server.tls_key_file");
  }
  // Without a client CA no certificate is verified, so such a principal could never authenticate
  // (and would lift the loopback rule for nothing).
  const byCert = config.auth.principals.findIndex((p) => p.clientCertNames);
  if (byCert >= 0 && !config.server.tlsClientCaFile) {
    throw new ConfigError(`auth.principals[${byCert}].client_cert_names`, "needs server.tls_client_ca_file (mTLS): only a client certificate it verified can name a principal");
  }
  // Without credentials every caller is the local principal, and the Origin check is what keeps web
  // pages from acting as it (doors/local-callers.ts): "*" would let any page run scripts there.
  if (config.auth.principals.length === 0 && config.server.corsOrigins.includes("*")) {
    throw new ConfigError("server.cors_origins", '"*" would let any web page act as the local principal while no auth.principals are configured; list the origins, or configure principals');
  }
  return { config, sources, configFile };
}

/**
 * What a result holds besides its output and return value: ids, the error's name, message and
 * stack (clipped to ~25k characters), metadata, usage, truncation markers.
 */
const RESULT_OVERHEAD_BYTES = 1024 * 1024;

/**
 * An execution's result is one message: stdout and stderr (max_output_bytes each), a CPU profile
 * (half of it) and the return value (max_return_bytes) must fit the gRPC send limit together,
 * or a run that stays within every cap still reaches its gRPC caller as a bare RESOURCE_EXHAUSTED.
 */
function checkResultFits(execution: Config["execution"]): void {
  const out = execution.maxOutputBytes;
  const worst = 2 * out + Math.floor(out / 2) + execution.maxReturnBytes + RESULT_OVERHEAD_BYTES;
  if (worst <= GRPC_MAX_SEND_BYTES) return;
  throw new ConfigError(
    "execution.max_output_bytes and execution.max_return_bytes",
    `a result could hold 2.5 × ${out} (stdout, stderr, CPU profile) + ${execution.maxReturnBytes} (return value) + 1 MiB (the rest) = ${worst} bytes, over the ${GRPC_MAX_SEND_BYTES} bytes the gRPC port sends in one message; lower them`,
  );
}

/**
 * Room a binary request needs besides its source: the source field's tag and length (6 bytes), the
 * script id, a full-length name and some metadata or arguments (JSON, with its escapes, may need
 * more). Half of a request cap under 128 KiB (tests run with 4 KiB), so such a cap still takes a source.
 */
const REQUEST_ROOM = 64 * 1024;
const requestRoom = (requestBytes: number) => Math.min(REQUEST_ROOM, Math.floor(requestBytes / 2));

/**
 * A source of max_source_size travels in one request, which server.max_request_bytes caps: a limit
 * no request can carry would be accepted and advertised (GetConfig) but never usable. A key left at
 * its default follows the one set (a raised max_source_size raises the request cap, a lowered
 * request cap lowers the source limit); both set and disagreeing stops the server.
 * A request cap that follows leaves the source room to travel as Connect JSON (README's curl), where
 * the cap counts JSON text: quotes, backslashes and newlines take two bytes there (JSON_SOURCE_FACTOR).
 */
function fitSourceInRequest(config: Config, isSet: (key: ConfigKey) => boolean): void {
  const request = config.server.maxRequestBytes;
  const room = requestRoom(request);
  if (!isSet("server.max_request_bytes")) {
    config.server.maxRequestBytes = Math.max(request, JSON_SOURCE_FACTOR * config.maxSourceSize + REQUEST_ROOM);
    return;
  }
  if (config.maxSourceSize + room <= request) return;
  if (!isSet("max_source_size")) {
    config.maxSourceSize = request - room;
    return;
  }
  throw new ConfigError(
    "max_source_size and server.max_request_bytes",
    `a source of ${config.maxSourceSize} bytes and ${room} bytes for the rest of its request need ${config.maxSourceSize + room}, over the ${request} bytes a request may take; raise server.max_request_bytes or lower max_source_size`,
  );
}

/** What a source may grow to as a JSON string: every character escaped to two bytes (\", \\, \n). */
const JSON_SOURCE_FACTOR = 2;

/**
 * The engine registers itself with these values at startup: what the registry would refuse
 * must stop the server here, naming the key, not leave it running unregistered.
 */
function checkDiscovery(discovery: Config["discovery"]): void {
  const id = tokenProblem(discovery.serviceId, REGISTRY_LIMITS.idMaxLength, false);
  if (id) throw new ConfigError("discovery.service_id", id);
  const type = tokenProblem(discovery.serviceType, REGISTRY_LIMITS.typeMaxLength, true);
  if (type) throw new ConfigError("discovery.service_type", type);
  const endpoint = discovery.advertiseEndpoint === "" ? null : endpointProblem(discovery.advertiseEndpoint);
  if (endpoint) throw new ConfigError("discovery.advertise_endpoint", `${JSON.stringify(discovery.advertiseEndpoint)}: ${endpoint}`);
}

/** Without credentials the server must not be reachable from other hosts. */
export function isLoopbackAddress(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
