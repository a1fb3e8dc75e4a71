// OpenTelemetry for the server: `startTelemetry` starts @opentelemetry/sdk-node before the server
// does, and hands the composition root the hooks it wires in (guard, scripts, observables). When
// telemetry is off nothing here is loaded: the SDK is imported dynamically, the guard and the
// scripts service see `undefined` and skip every telemetry call.
//
// Configuration: the [telemetry] keys are defaults for the standard OTEL_* variables, which win.
//   telemetry.service_name        → OTEL_SERVICE_NAME
//   telemetry.otlp = false        → OTEL_TRACES_EXPORTER=none and no OTLP metric reader
//   telemetry.prometheus_address  → a Prometheus reader (OTEL_METRICS_EXPORTER gains "prometheus",
//                                   OTEL_EXPORTER_PROMETHEUS_HOST/PORT)
// Anything else (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_TRACES_SAMPLER,
// OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES, ...) is read by the SDK itself.
// OTEL_SDK_DISABLED=true turns telemetry off whatever the file says. OTEL_PROPAGATORS is not
// honoured (nor changed): only W3C trace context is read from requests, and the http tool passes
// on traceparent alone (no tracestate, no baggage).
import { diag, DiagLogLevel, metrics, trace } from "@opentelemetry/api";
import type { IMetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { createServer } from "node:net";
import type { Logger } from "../log.ts";
import { ListenError } from "../doors/listen-error.ts";
import { diagToLog, watchMetricsExportErrors } from "./diag-log.ts";
import { executionTelemetry, type ExecutionTelemetry } from "./execution.ts";
import { observeServer, type ObservedSources } from "./metrics.ts";
import { rpcTelemetry, type RpcTelemetry } from "./rpc.ts";
import { SCOPE } from "./semconv.ts";

export type { ExecutionTelemetry, ExecutionTrace } from "./execution.ts";
export type { RpcCall, RpcTelemetry } from "./rpc.ts";
export type { ObservedSources } from "./metrics.ts";

export interface TelemetrySettings {
  enabled: boolean;
  serviceName: string;
  otlp: boolean;
  prometheusAddress: string;
}

export interface Telemetry {
  rpc: RpcTelemetry;
  executions: ExecutionTelemetry;
  /** Registers the server's observable gauges and counters; returns the function that stops reading the sources (their last figures are reported from then on, to the final export). */
  observe(sources: ObservedSources): () => void;
  /** Flushes and stops exporters (and the Prometheus listener). */
  shutdown(): Promise<void>;
}

export interface TelemetryOverrides {
  /** Replace the OTEL_TRACES_EXPORTER-based processors (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  /** Replace the env- and config-based metric readers (tests: an in-memory reader). */
  metricReaders?: IMetricReader[];
}

/** Applies the [telemetry] keys as defaults of the standard variables (explicit OTEL_* values win). */
export function applyTelemetryDefaults(settings: TelemetrySettings, env: NodeJS.ProcessEnv): void {
  env.OTEL_SERVICE_NAME ??= settings.serviceName;
  if (!settings.otlp) {
    env.OTEL_TRACES_EXPORTER ??= "none";
  }
  env.OTEL_LOGS_EXPORTER ??= "none"; // the service logs to stderr; OTel logs are not wired
  signalEndpointsKeepingQuery(env);
  let metricExporters = (env.OTEL_METRICS_EXPORTER ?? (settings.otlp ? "otlp" : "")).split(",").map((s) => s.trim()).filter(Boolean);
  if (settings.prometheusAddress) {
    const i = settings.prometheusAddress.lastIndexOf(":");
    env.OTEL_EXPORTER_PROMETHEUS_HOST ??= settings.prometheusAddress.slice(0, i).replace(/^\[|\]$/g, "");
    env.OTEL_EXPORTER_PROMETHEUS_PORT ??= settings.prometheusAddress.slice(i + 1);
    metricExporters = metricExporters.filter((e) => e !== "none" && e !== "prometheus").concat("prometheus");
  }
  env.OTEL_METRICS_EXPORTER = metricExporters.length > 0 ? metricExporters.join(",") : "none";
}

/**
 * Over HTTP the exporter sends each signal to OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/<signal>", joined as
 * text: a query in the endpoint (a collector's key) ended up before the path ("/?key=k/v1/traces", the
 * key read as "k/v1/traces"). Such an endpoint is split into the per-signal endpoints, used as given,
 * the query after each path; a per-signal endpoint set explicitly wins. Over gRPC no path is added.
 */
function signalEndpointsKeepingQuery(env: NodeJS.ProcessEnv): void {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  let url: URL;
  try {
    url = new URL(base ?? "");
  } catch {
    return;
  }
  if (!url.search || (url.protocol !== "http:" && url.protocol !== "https:")) return;
  for (const signal of ["traces", "metrics"] as const) {
    const upper = signal.toUpperCase();
    const protocol = env[`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf";
    if (!protocol.trim().startsWith("http/")) continue;
    const one = new URL(url.href);
    one.pathname = `${one.pathname.replace(/\/+$/, "")}/v1/${signal}`;
    env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`] ??= one.href;
  }
}

const isTrue = (v: string | undefined) => v?.trim().toLowerCase() === "true";
/** As the SDK reads OTEL_TRACES_EXPORTER: "none" first means no trace exporter. */
const tracesOff = (env: NodeJS.ProcessEnv) => env.OTEL_TRACES_EXPORTER?.split(",").map((s) => s.trim()).filter((s) => s && s !== "null")[0] === "none";

/** The longest the final export may take at shutdown. */
const SHUTDOWN_FLUSH_MS = 2000;

/** Starts the SDK, or returns undefined (and loads nothing) when telemetry is off. */
export async function startTelemetry(settings: TelemetrySettings | undefined, log: Logger, overrides: TelemetryOverrides = {}): Promise<Telemetry | undefined> {
  const env = process.env;
  if (!settings?.enabled || isTrue(env.OTEL_SDK_DISABLED)) return undefined;
  applyTelemetryDefaults(settings, env);
  // Exporter failures (a collector down or refusing) reach the service log, each kind at most once a minute.
  diag.setLogger(diagToLog(log), DiagLogLevel.WARN);
  // The exporter reports a port it cannot bind only to OTel's silent diagnostics: try it first.
  if (settings.prometheusAddress) {
    await canListen(env.OTEL_EXPORTER_PROMETHEUS_HOST ?? "", Number(env.OTEL_EXPORTER_PROMETHEUS_PORT), settings.prometheusAddress);
  }
  const [{ NodeSDK }, { W3CTraceContextPropagator }] = await Promise.all([import("@opentelemetry/sdk-node"), import("@opentelemetry/core")]);
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME,
    // W3C trace context only, whatever OTEL_PROPAGATORS says: the SDK's default adds W3C baggage,
    // which the http tool would carry to any host a script may reach (a gateway's baggage often
    // holds user ids and internal flags). Given here, not through process.env, which workers and
    // child processes inherit.
    textMapPropagator: new W3CTraceContextPropagator(),
    // Traces off is said with no processors: from OTEL_TRACES_EXPORTER=none the SDK would warn
    // "SDK will not be initialized" at every start, though it runs (metrics, /metrics).
    spanProcessors: overrides.spanProcessors ?? (tracesOff(env) ? [] : undefined),
    metricReaders: overrides.metricReaders,
  });
  // The SDK built its metric readers from the environment; it keeps them only in a private field.
  watchMetricsExportErrors((sdk as unknown as { _meterProviderConfig?: { readers?: unknown[] } })._meterProviderConfig?.readers ?? []);
  sdk.start();
  // The host detector's host.id is asynchronous. The OTLP readers wait for it before each export,
  // but the Prometheus exporter reads the resource at every scrape without waiting: the SDK then
  // logged "Accessing resource attributes before async attributes settled" each time and target_info
  // lacked host_id. Settled once here, before the server starts, both exporters show the same resource.
  // Bounded: a detector that never settles must not hold the start (the warning would only come back).
  const settled = (sdk as unknown as { _resource?: { waitForAsyncAttributes?: () => Promise<void> } })._resource?.waitForAsyncAttributes?.();
  if (settled) await Promise.race([settled.catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
  log.info("telemetry started", {
    traces: overrides.spanProcessors ? "custom" : env.OTEL_TRACES_EXPORTER ?? "otlp",
    metrics: overrides.metricReaders ? "custom" : env.OTEL_METRICS_EXPORTER,
    // Where the exporter listens: OTEL_EXPORTER_PROMETHEUS_HOST/PORT, when set, win over the key.
    prometheus: settings.prometheusAddress ? prometheusListening(env) : null,
    otlp_endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? null : endpointToLog(env.OTEL_EXPORTER_OTLP_ENDPOINT),
  });
  const tracer = trace.getTracer(SCOPE);
  const meter = metrics.getMeter(SCOPE);
  return {
    rpc: rpcTelemetry(tracer, meter),
    executions: executionTelemetry(tracer, meter),
    observe: (sources) => observeServer(meter, sources),
    // A collector that is down or hangs would hold the process for the exporter's own timeout
    // (~10 s) after it said "stopped": the last flush gets SHUTDOWN_FLUSH_MS.
    shutdown: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), SHUTDOWN_FLUSH_MS)));
      const done = await Promise.race([sdk.shutdown().then(() => "done" as const, (err: unknown) => log.warn("telemetry shutdown failed", { error: String(err) })), late]);
      clearTimeout(timer);
      if (done === "late") log.warn("telemetry flush cut short: the collector did not answer in time", { ms: SHUTDOWN_FLUSH_MS });
    },
  };
}

/**
 * The OTLP endpoint as the start line may show it. The exporter sends a user and password written in
 * the URL as Basic credentials, and a collector may take a key in its query: those are masked.
 */
export function endpointToLog(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "(not a URL)";
  }
  // "user:key@host:4318" parses as a scheme "user:" and a path holding the key.
  if (url.protocol !== "http:" && url.protocol !== "https:") return endpoint.includes("@") ? "(not an http(s) URL)" : endpoint;
  if (!url.username && !url.password && !url.search) return endpoint;
  if (url.username || url.password) {
    url.username = "***";
    url.password = "";
  }
  for (const key of new Set(url.searchParams.keys())) url.searchParams.set(key, "***");
  return url.href;
}

/** host:port as the exporter binds it (an IPv6 host in brackets). */
function prometheusListening(env: NodeJS.ProcessEnv): string {
  const host = env.OTEL_EXPORTER_PROMETHEUS_HOST ?? "";
  return `${host.includes(":") ? `[${host}]` : host}:${env.OTEL_EXPORTER_PROMETHEUS_PORT ?? ""}`;
}

/** Binds host:port and lets it go again; a ListenError naming telemetry.prometheus_address if it cannot. */
function canListen(host: string, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err) => reject(new ListenError("telemetry.prometheus_address", address, err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
