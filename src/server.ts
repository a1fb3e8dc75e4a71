// The composition root: config → state → services → doors, and an orderly shutdown.
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ScriptService } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../gen/ts/scriptengine/v1/migration_service_pb.js";
import { EventService } from "../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ToolService } from "../gen/ts/scriptengine/v1/tool_service_pb.js";
import { Health } from "../gen/ts/grpc/health/v1/health_pb.js";
import { file_google_rpc_error_details } from "../gen/ts/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../gen/ts/google/rpc/status_pb.js";
import { file_scriptengine_v1_errors } from "../gen/ts/scriptengine/v1/errors_pb.js";
import { ServiceStatus } from "../gen/ts/scriptengine/v1/common_pb.js";
import { Authenticator } from "./auth/principal.ts";
import { isLoopbackAddress } from "./config/load.ts";
import { warnAboutConfig } from "./config/warnings.ts";
import type { Config } from "./config/types.ts";
import type { Logger } from "./log.ts";
import { HealthState } from "./health/state.ts";
import { authenticateBeforeBody, guard, type GuardOptions } from "./doors/guard.ts";
import { served, type ServedService } from "./doors/services.ts";
import { healthService } from "./doors/health-service.ts";
import { ReflectionIndex, ReflectionV1, ReflectionV1Alpha, reflectionV1, reflectionV1Alpha } from "./doors/reflection-service.ts";
import { openGrpcDoor } from "./doors/grpc-server.ts";
import { openConnectDoor } from "./doors/connect-server.ts";
import { HEALTH_PATH } from "./doors/plain-health.ts";
import { loadTls, watchCertificateExpiry } from "./doors/tls.ts";
import { requireServing, scriptService, VERSION } from "./api/script-service.ts";
import { create } from "@bufbuild/protobuf";
import { ServiceInfoSchema } from "../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { ServiceRegistry } from "./registry/registry.ts";
import { registerSelf, type SelfRegistration } from "./registry/self.ts";
import { eventMetrics, eventService } from "./api/event-service.ts";
import { registryService } from "./api/registry-service.ts";
import { createEngine, type Engine, type WorkerExit } from "./engine/index.ts";
import { stderrSummaries } from "./engine/worker-stderr.ts";
import { flushThrottled, throttledWarn } from "./log-throttle.ts";
import { whileOpening } from "./store/database.ts";
import { noteStoreFault } from "./store/faults.ts";
import { openState, recordLastSequence, type ServerState } from "./state.ts";
import { scriptsService, storeMetrics } from "./api/scripts.ts";
import { createTools } from "./migration/index.ts";
import { TOOL_MODULE_ROOM } from "./tools/registry-source.ts";
import { warnSourcesOverLimit } from "./store/source-limit.ts";
import { engineEvents } from "./api/engine-events.ts";
import { engineMetrics } from "./api/engine-metrics.ts";
import { certificateComponents, components, followComponents, startHealthMonitor } from "./health/monitor.ts";
import type { Telemetry } from "./telemetry/index.ts";
import { InFlight } from "./doors/in-flight.ts";
import { StreamQuota } from "./doors/stream-quota.ts";
import { MAX_TIMER_MS } from "./doors/long-deadlines.ts";

export interface RunningServer {
  grpcAddress: string;
  httpAddress: string;
  health: HealthState;
  /**
   * False when a shutdown was asked for while starting: then the server went neither HEALTHY nor
   * into discovery, and says nothing of listening (main prints its "listening" line only if true).
   */
  announced: boolean;
  /**
   * Graceful shutdown: end streams, drain in-flight calls (up to the grace period), close.
   * `signal`: the one that asked for it, for the "stopped" line (absent: closed by its owner).
   */
  close(signal?: NodeJS.Signals): Promise<void>;
}

/** The scriptengine.v1 services every build serves (those without behaviour yet answer UNIMPLEMENTED). */
export const CONTRACT_SERVICES: DescService[] = [ScriptService, MigrationService, EventService, RegistryService, ToolService];

/** Without credentials the server may only be reachable from this host. */
function loopbackOnly(address: string, log: Logger, door: string): string {
  if (isLoopbackAddress(address)) return address;
  const port = address.slice(address.lastIndexOf(":") + 1);
  log.warn("no credentials configured: binding to loopback only", { door, requested: address, bound: `127.0.0.1:${port}` });
  return `127.0.0.1:${port}`;
}

/** What stopping the engine's workers may take (they are killed after 2 s). */
const ENGINE_STOP_MS = 3000;

/** At shutdown, once every call has ended, what the doors' connections may still take to close. */
const LAST_BYTES_MS = 2000;

/**
 * Test only: hold the start this long (ms) once the engine has started, before the doors open, or
 * until a shutdown is requested, so a test can signal inside the start.
 */
export const TEST_START_DELAY_ENV = "SE_TEST_START_DELAY_MS";

/**
 * Test only: hold a Start RPC this long (ms) once its workers have spawned, or until a shutdown is
 * requested, so a test can signal while a Start is under way (a spawn alone is too quick to aim at).
 */
export const TEST_ENGINE_START_DELAY_ENV = "SE_TEST_ENGINE_START_DELAY_MS";

export interface ServerOptions {
  /** OpenTelemetry, already started (src/telemetry); absent: off. */
  telemetry?: Telemetry;
  /**
   * Aborted when a shutdown was asked for: if that happened while starting, the server is not
   * announced (no HEALTHY, no self-registration, no "listening"; `announced` is false) and only
   * waits to be closed.
   */
  stopRequested?: AbortSignal;
}

export async function startServer(config: Config, log: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const { telemetry } = options;
  const startedAt = Date.now();
  const health = new HealthState();
  const authenticator = new Authenticator(config.auth.principals);
  const serviceId = config.discovery.serviceId || `script-engine-${hostname()}`;
  const streams = new AbortController();
  const openStreams = new InFlight();
  const openCalls = new InFlight();
  // Before anything is started: bad TLS material stops the server naming its key.
  const tls = loadTls(config.server, log);
  const addresses = bindAddresses(config, authenticator, log);
  warnAboutConfig(config, addresses, log);
  health.onChange((status, previous, message) =>
    log.info("health status changed", { status: ServiceStatus[status], previous: ServiceStatus[previous], message }),
  );

  const state = openState(config, serviceId, health, log);
  const { db, bus, registry, scripts } = state;
  // A worker's stderr (V8's report when it aborts: a dozen lines and more, which a caller can
  // cause on each request) is one line per burst, and each kind of report at most once a minute.
  const stderrWarn = throttledWarn(log);
  const workerStderr = stderrSummaries(({ worker, text, lines, kind }) => stderrWarn(`worker stderr: ${kind}`, "worker stderr", { worker, lines, text }));
  const engine = createEngine({
    workers: config.pool.workers || undefined,
    maxQueue: config.pool.maxQueue,
    maxCacheSize: config.enableCaching ? config.maxCacheSize : 0, // 0: no compile cache
    recycleAfterExecutions: config.pool.recycleAfter,
    sendAhead: config.pool.sendAhead,
    maxParkedPerWorker: config.pool.maxParked,
    // Scripts are held to max_source_size before they reach the engine; a tool is its source plus a footer.
    maxSourceBytes: config.maxSourceSize + TOOL_MODULE_ROOM,
    failureWindowMs: config.healthCheck.failureWindowMs,
    // Without credentials every caller is the one local principal, on loopback: it would only lock itself out.
    maxWorkerKillsPerCaller: authenticator.enabled ? config.pool.maxWorkerKills : 0,
    workerKillWindowMs: config.pool.workerKillWindowMs,
    onCallerRefused: (e) => log.warn("a principal's executions keep taking down workers: its new executions are refused", {
      key: "pool.max_worker_kills", principal: e.caller, kills: e.kills, window_ms: e.windowMs, refused_for_ms: e.refusedForMs,
    }),
    onWorkerExit: (e) => {
      workerStderr.flush(e.workerId);
      logWorkerExit(log, e);
    },
    onWorkerStderr: workerStderr.line,
  });
  await engine.start();
  const toolsAndMigration = whileOpening(config.server.dataDir, () => createTools({ config, db, engine, publish: (e) => bus.publish(e), log, requireServing: () => requireServing(health) }));
  warnSourcesOverLimit(log, config.maxSourceSize, toolsAndMigration.toolsOverSourceLimit, scripts.sourcesOverLimit);
  const allComponents = () => [...components(engine.stats(), config, scripts.bytes), ...certificateComponents(tls?.served)];
  const stopMonitor = startHealthMonitor(health, allComponents, config.healthCheck.intervalMs);
  // At the certificate's end, at once: not at the monitor's next tick.
  const stopExpiryWatch = tls ? watchCertificateExpiry(tls.served, log, () => followComponents(health, allComponents())) : () => {};
  const stopHealthMonitor = () => {
    stopMonitor();
    stopExpiryWatch();
  };
  const unobserve = telemetry?.observe({ engine: () => engine.stats(), eventSubscribers: () => bus.subscriberCount, eventLag: () => bus.stats(), storedScriptBytes: () => scripts.bytes });

  let closing: Promise<void> | undefined;
  // Executions a grace's end stopped once the shutdown had begun: its own drain's, and a Stop's under
  // way then (which leaves the shutdown's own drain nothing to cut); its "stopped" line counts them.
  let cutInShutdown = 0;
  // Stopping the engine, for shutdown and the Stop RPC alike: executions still queued fail at once
  // with a retryable ENGINE_STOPPED (their callers can go elsewhere); running ones have
  // server.shutdown_grace to finish (`drained`), past it the engine stops them at once and their
  // callers get a retryable UNAVAILABLE ENGINE_STOPPED rather than a reset connection.
  // Answers whether all ended within the grace and, if not, how many executions its end stopped.
  const drainEngine = async (drained: (graceMs: number) => Promise<boolean>): Promise<Drain> => {
    engine.refuseQueued();
    if (await drained(config.server.shutdownGraceMs)) return { drained: true, executionsCut: 0 };
    const cut = engine.stats().active;
    if (closing) cutInShutdown += cut;
    // What the operator otherwise never learns: the grace was too short for what was running (none
    // left, as when a Stop's drain beside this one cut them first, is nothing to warn of).
    if (cut > 0) log.warn("server.shutdown_grace ended: executions still running are stopped (UNAVAILABLE ENGINE_STOPPED)", { key: "server.shutdown_grace", grace_ms: config.server.shutdownGraceMs, executions: cut });
    await engine.close({ now: true });
    return { drained: false, executionsCut: cut };
  };
  const engineEventsOut = engineEvents((e) => bus.publish(e), { log });
  const guardOptions: GuardOptions = {
    authenticator,
    log,
    streamsSignal: streams.signal,
    openStreams,
    openCalls,
    streamQuota: new StreamQuota(config.server.maxStreamsPerCaller),
    telemetry: telemetry?.rpc,
    onUnauthenticated: (method: string, reason: string, peer: string | undefined) => engineEventsOut.unauthenticated(method, reason, config.securityLevel, peer),
    // Outside an execution no level was granted: the event carries the principal's maximum.
    onPermissionDenied: (method, principal, detail, peer) => engineEventsOut.permissionDenied(method, principal.name, detail, principal.maxSecurityLevel, peer),
  };
  const scriptImpl = scriptService({
    config,
    health,
    serviceId,
    grpcAddress: () => grpcDoor.address,
    startedAt,
    metrics: [eventMetrics(bus), engineMetrics(engine), storeMetrics(scripts)],
    components: allComponents,
    workersCpuMs: () => engine.stats().workersCpuMs,
    // Stop: once what runs has finished, the workers stop too (STOPPED means nothing runs);
    // Start spawns them again.
    onStop: async () => {
      await drainEngine((grace) => engine.idle(grace));
      await engine.close();
    },
    onStart: async () => {
      await engine.start();
      await testDelay(TEST_ENGINE_START_DELAY_ENV, "a Start held once its workers spawned", options.stopRequested, log);
    },
    // Start refuses once this is true, and the shutdown owns the status from then on.
    isClosing: () => closing !== undefined,
    log,
    scripts: scriptsService({ config, engine, scripts, tools: toolsAndMigration.scriptTools, events: engineEventsOut, telemetry: telemetry?.executions, log }),
  });
  const contract = <S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>) => served(service, guard(service, impl, guardOptions));
  const all = withProbesAndReflection(
    [
      contract(ScriptService, scriptImpl),
      contract(MigrationService, toolsAndMigration.migrationService),
      contract(EventService, eventService({ bus, registry })),
      contract(RegistryService, registryService({ registry })),
      contract(ToolService, toolsAndMigration.toolService),
    ],
    health,
    guardOptions,
    log,
  );

  await testDelay(TEST_START_DELAY_ENV, "start held before the doors open", options.stopRequested, log);
  const doorLimits = { maxRequestBytes: config.server.maxRequestBytes, idleTimeoutMs: config.server.idleTimeoutMs, maxConnections: config.server.maxConnections };
  const grpcDoor = await openGrpcDoor(addresses.grpc, all, doorLimits, tls, log, telemetry?.rpc);
  const beforeBody = authenticateBeforeBody(guardOptions, PUBLIC_SERVICES);
  const connectDoor = await openConnectDoor(addresses.http, all, doorLimits, tls, config.server.corsOrigins, beforeBody, !authenticator.enabled, () => health.serving, log).catch(async (err) => {
    await grpcDoor.close(0);
    throw err;
  });
  // Decided once, here: HEALTHY, self-registration and both "listening" lines (this log and main's
  // stdout line, through `announced`) all follow the same answer.
  const announced = !options.stopRequested?.aborted;
  if (announced) health.set(ServiceStatus.HEALTHY, "serving");
  const self = announced && config.discovery.enabled ? advertiseSelf(registry, config, serviceId, grpcDoor.address, connectDoor.address, Boolean(tls), log) : undefined;
  if (announced) log.info("listening", { grpc: grpcDoor.address, http: connectDoor.address, tls: Boolean(tls), mtls: Boolean(tls?.ca) });
  else log.info("started after a shutdown was requested: not announced as serving");

  return {
    grpcAddress: grpcDoor.address,
    httpAddress: connectDoor.address,
    health,
    announced,
    close: (signal) =>
      (closing ??= shutdown({
        config, log, health, state, engine, self, doors: [grpcDoor, connectDoor], openCalls, openStreams, streams, drainEngine, executionsCut: () => cutInShutdown, stopHealthMonitor, unobserve, startedAt, signal,
      })),
  };
}

/**
 * A worker's death, for the operator. One blamed on what caused it (executions' own limit breach,
 * or a compilation out of its compiler's memory), costing no one else anything, is the callers'
 * doing and may come with every request: not a warning.
 */
export function logWorkerExit(log: Logger, e: WorkerExit): void {
  if (e.reason === "shut down") return;
  if ((e.blamed.length > 0 || e.blamedCompile) && e.failed === 0) log.info("worker replaced", { ...e });
  else log.warn("worker replaced", { ...e });
}

/** Tests only: the hold `env` asks for (TEST_START_DELAY_ENV, TEST_ENGINE_START_DELAY_ENV), ended early by a shutdown. */
async function testDelay(env: string, what: string, stopRequested: AbortSignal | undefined, log: Logger): Promise<void> {
  const ms = Number(process.env[env] ?? 0);
  if (!(Number.isFinite(ms) && ms > 0)) return;
  log.info(`test hook: ${what}`, { ms });
  await sleep(ms, undefined, { signal: stopRequested }).catch(() => undefined);
}

/** Where the doors listen: without credentials, loopback only. */
function bindAddresses(config: Config, authenticator: Authenticator, log: Logger): { grpc: string; http: string } {
  if (authenticator.enabled) return { grpc: config.server.grpcAddress, http: config.server.httpAddress };
  const bound = { grpc: loopbackOnly(config.server.grpcAddress, log, "grpc"), http: loopbackOnly(config.server.httpAddress, log, "http") };
  log.info("no credentials configured: callers act as the local principal (loopback only)");
  return bound;
}

/** Health and reflection answer without credentials (probes, grpcurl describe). */
const PUBLIC_SERVICES = new Set([Health, ReflectionV1, ReflectionV1Alpha].map((s) => s.typeName));

/** The contract's services (already guarded) with health and reflection: all both doors serve. */
function withProbesAndReflection(api: ServedService[], health: HealthState, guardOptions: GuardOptions, log: Logger): ServedService[] {
  const publicOptions = { ...guardOptions, public: true };
  const probes = [served(Health, guard(Health, healthService(health, CONTRACT_SERVICES.map((s) => s.typeName)), publicOptions))];
  const index = new ReflectionIndex([...api, ...probes].map((s) => s.service).concat([ReflectionV1, ReflectionV1Alpha]), [
    file_google_rpc_error_details,
    file_google_rpc_status,
    // No service imports errors.proto: without it grpcurl cannot decode an ExecutionOutput detail
    // (the output tail of a run stopped by a limit) nor describe ErrorReason.
    file_scriptengine_v1_errors,
  ], { log });
  const reflection = [
    served(ReflectionV1, guard(ReflectionV1, reflectionV1(index) as ServiceImpl<typeof ReflectionV1>, publicOptions)),
    served(ReflectionV1Alpha, guard(ReflectionV1Alpha, reflectionV1Alpha(index) as ServiceImpl<typeof ReflectionV1Alpha>, publicOptions)),
  ];
  return [...api, ...probes, ...reflection];
}

/** How a drain ended: all within the grace, or the executions its end stopped. */
interface Drain {
  drained: boolean;
  executionsCut: number;
}

/** What shutdown() stops. */
interface Running {
  config: Config;
  log: Logger;
  health: HealthState;
  state: ServerState;
  engine: Engine;
  self: SelfRegistration | undefined;
  doors: { close(graceMs: number): Promise<void>; cutAfter(ms: number): void }[];
  /** Unary calls in flight, and streams open (guard.ts). */
  openCalls: InFlight;
  openStreams: InFlight;
  /** Aborting it ends every stream with UNAVAILABLE. */
  streams: AbortController;
  /** Refuses queued executions, gives running ones until `drained` (at most the grace), then stops them. */
  drainEngine: (drained: (graceMs: number) => Promise<boolean>) => Promise<Drain>;
  /** Executions stopped at a grace's end since the shutdown began, by its drain or a Stop's. */
  executionsCut: () => number;
  stopHealthMonitor: () => void;
  unobserve?: () => void;
  /** For the "stopped" line: when the server started (ms), and the signal that stopped it. */
  startedAt: number;
  signal: NodeJS.Signals | undefined;
}

/**
 * The orderly shutdown. In order: no new calls; in-flight unary calls finish (what they publish
 * still reaches subscribers); streams send what they hold (the deregistration included), then end
 * with UNAVAILABLE; the doors close; then the engine, the database and the sequence file.
 */
async function shutdown(s: Running): Promise<void> {
  const { health, state, log } = s;
  health.set(ServiceStatus.STOPPING, "shutting down", true);
  if (s.self?.stop("shutdown") === false) log.warn("the engine's deregistration was announced, but the store kept its row (a full disk); the next start removes it", { service_id: s.self.serviceId });
  const grace = s.config.server.shutdownGraceMs;
  // The doors force-close only once the engine has had its chance to answer every call
  // (clamped: a grace near its maximum would otherwise overflow and force-close at once).
  const doorsGrace = Math.min(grace + ENGINE_STOP_MS, MAX_TIMER_MS);
  const doorsClosed = Promise.all(s.doors.map((door) => door.close(doorsGrace)));
  const drain = await s.drainEngine((graceMs) => s.openCalls.ended(graceMs));
  s.streams.abort();
  // The telemetry's last reading of the engine, the bus and the store, before they close.
  s.unobserve?.();
  // Numbering ends: events published from here on take no sequence number. Then record the last one.
  state.bus.close();
  recordLastSequence(state, log);
  state.registry.close();
  const streamsEnded = await s.openStreams.ended(Math.min(1000, grace));
  // Every call has ended: a connection the doors still hold has only its last bytes to send, or a
  // peer that reads nothing; that gets a moment, not what is left of the grace.
  if (streamsEnded && (await s.openCalls.ended(0))) for (const door of s.doors) door.cutAfter(LAST_BYTES_MS);
  await doorsClosed;
  s.stopHealthMonitor();
  await s.engine.close();
  state.db.close();
  health.set(ServiceStatus.STOPPED, "shut down");
  state.sequences.close();
  // What a throttle still holds for its window's end would be lost with the process.
  flushThrottled();
  const executionsCut = s.executionsCut();
  log.info("stopped", {
    signal: s.signal ?? null,
    uptime_ms: Date.now() - s.startedAt,
    executions: s.engine.stats().executionsTotal,
    // Whether every call ended within server.shutdown_grace; if not, how many executions its end
    // stopped (a Stop's drain under way at the shutdown may have stopped them, not the shutdown's own).
    drained: drain.drained && executionsCut === 0,
    executions_cut: executionsCut,
  });
}

/**
 * The HTTP door as other hosts dial it: advertise_endpoint's host (what they dial the gRPC door at,
 * the same machine) with the HTTP door's port; without one, the address the door listens on.
 */
export function advertisedHttpAddress(advertiseEndpoint: string, httpAddress: string): string {
  if (!advertiseEndpoint) return httpAddress;
  return advertiseEndpoint.slice(0, advertiseEndpoint.lastIndexOf(":")) + httpAddress.slice(httpAddress.lastIndexOf(":"));
}

/** The engine's own registration in discovery; a failure is logged, never fatal. */
function advertiseSelf(
  registry: ServiceRegistry,
  config: Config,
  serviceId: string,
  grpcAddress: string,
  httpAddress: string,
  tls: boolean,
  log: Logger,
): SelfRegistration | undefined {
  const httpEndpoint = advertisedHttpAddress(config.discovery.advertiseEndpoint, httpAddress);
  try {
    return registerSelf(
      registry,
      create(ServiceInfoSchema, {
        serviceId,
        serviceType: config.discovery.serviceType,
        version: VERSION,
        endpoint: config.discovery.advertiseEndpoint || grpcAddress,
        healthCheckUrl: `${tls ? "https" : "http"}://${httpEndpoint}${HEALTH_PATH}`,
        metadata: { http_endpoint: httpEndpoint, security_level: config.securityLevel, pid: String(process.pid) },
      }),
      config.discovery.ttlMs,
      (err) => {
        noteStoreFault(err); // a full disk: health DEGRADED, as for any refused write
        log.warn("self-registration or its renewal failed; tried again at the next renewal", { error: String(err) });
      },
    );
  } catch (err) {
    log.error("self-registration failed", { error: String(err) });
    return undefined;
  }
}
