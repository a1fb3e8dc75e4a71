// `node src/main.ts [flags]` (or `scriptengine serve [flags]`): load the configuration, start
// telemetry (when configured) and the server, and shut down gracefully on SIGTERM, SIGINT or
// SIGHUP (the terminal it was started from went away; by default that would end it mid-call). A bad
// configuration exits with status 2 and one clear line.
// The rest of the server is imported dynamically, after the stop signals are held (holdStopSignals):
// loading it takes about a second on a busy machine, and a signal in that time had Node's default
// action (killed by the signal, nothing logged) instead of the clean stop that follows.
import { createLogger, type Logger } from "./log.ts";
import { flushThrottled } from "./log-throttle.ts";
import { ListenError } from "./doors/listen-error.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/** The first stop signal that came before onStopSignals took over; it is acted on then. */
let earlySignal: NodeJS.Signals | undefined;
const holdEarlySignal = (signal: NodeJS.Signals) => {
  earlySignal ??= signal;
};

/** Until onStopSignals is installed, a stop signal is held rather than ending the process. */
export function holdStopSignals(): void {
  for (const signal of STOP_SIGNALS) if (!process.listeners(signal).includes(holdEarlySignal)) process.on(signal, holdEarlySignal);
}

export async function runServer(argv: string[]): Promise<number> {
  holdStopSignals();
  quietStdio();
  const [{ ConfigError, USAGE, loadConfig, printable }, { startServer }, { startTelemetry }, { TlsConfigError }, { DataDirError }] = await Promise.all([
    import("./config/load.ts"),
    import("./server.ts"),
    import("./telemetry/index.ts"),
    import("./doors/tls.ts"),
    import("./store/database.ts"),
  ]);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  let loaded;
  try {
    loaded = loadConfig({ argv });
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`scriptengine: ${printable((err as Error).message)}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const { config } = loaded;
  const log = createLogger(config.server.logLevel, { service: "scriptengine" });
  guardProcess(log);
  // From here a signal asks for a graceful stop, even while the server is still starting.
  const stop = onStopSignals(log);
  const stopRequested = whenAborted(stop);
  // How many principals were read: a server started with the wrong --config otherwise runs as the local principal without a word.
  const { principals } = config.auth;
  log.info("configuration loaded", {
    file: loaded.configFile ?? null,
    overrides: loaded.sources,
    principals: { total: principals.length, token: principals.filter((p) => p.token !== undefined).length, client_cert_names: principals.filter((p) => p.clientCertNames).length },
  });
  // Before the server, so the first call is already traced.
  let telemetry;
  try {
    telemetry = await startTelemetry(config.telemetry, log);
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    process.stderr.write(`scriptengine: ${printable(err.message)}\n`);
    return 1;
  }
  let server;
  try {
    server = await startServer(config, log, { telemetry, stopRequested: stop });
  } catch (err) {
    if (!(err instanceof ListenError || err instanceof DataDirError || err instanceof TlsConfigError)) throw err;
    process.stderr.write(`scriptengine: ${printable(err.message)}\n`);
    await telemetry?.shutdown();
    return err instanceof TlsConfigError ? 2 : 1;
  }
  // One machine-readable line on stdout, for supervisors and tests. The signal handlers are in
  // place by now: a supervisor may signal the moment it reads this line. Not written when a signal
  // came while starting: the server was never announced (startServer decided, with HEALTHY and
  // self-registration), it only closes again.
  if (server.announced) process.stdout.write(JSON.stringify({ listening: { grpc: server.grpcAddress, http: server.httpAddress } }) + "\n");
  await stopRequested;
  await server.close(stop.reason as NodeJS.Signals);
  await telemetry?.shutdown();
  // What the last export's failures left in a throttle's window (the server's were told before "stopped").
  flushThrottled();
  return 0;
}

/** Resolves once `signal` aborts, at once if it has (an abort listener added after the abort never runs: a signal held while the modules loaded aborts it first). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/**
 * A SIGINT this soon after the first signal is taken as the same Ctrl-C delivered twice (by the
 * terminal to the whole group and again by a wrapper that forwards it, such as npm), not a second one.
 */
const SAME_INTERRUPT_MS = 1000;

/**
 * SIGTERM, SIGINT and SIGHUP ask for a graceful stop (the returned signal aborts). The handlers stay
 * installed, so a later signal does not get Node's default action (an exit mid-drain that logs
 * nothing): it is logged and the drain goes on, except that a SIGINT (Ctrl-C again) ends the process
 * at once with 130, saying so first. The returned signal's reason is the first signal's name.
 */
export function onStopSignals(log: Logger): AbortSignal {
  const stop = new AbortController();
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      firstAt = Date.now();
      log.info("shutdown requested", { signal });
      stop.abort(signal);
    } else if (signal === "SIGINT" && Date.now() - firstAt >= SAME_INTERRUPT_MS) {
      log.warn("shutdown forced: SIGINT during the drain; calls still in flight are cut", { signal });
      process.exit(130);
    } else {
      log.info("shutdown already in progress", { signal });
    }
  };
  for (const signal of STOP_SIGNALS) {
    // On first, then the holder off: with no listener left for a moment, Node would drop a signal still pending.
    process.on(signal, onSignal);
    process.off(signal, holdEarlySignal);
  }
  // A signal while the module graph loaded: the start goes on, never announced, then stops (exit 0).
  if (earlySignal) onSignal(earlySignal);
  earlySignal = undefined;
  return stop.signal;
}

/**
 * A write to stdout or stderr that fails (the terminal was closed: EIO; a full disk: ENOSPC) is
 * reported as an "error" event, which with no listener is an uncaught exception: exit 1 mid-drain,
 * the in-flight calls cut. The lines are lost; the server goes on (docs/architecture.md, "Shutdown").
 */
export function quietStdio(): void {
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount("error") === 0) stream.on("error", () => {});
}

/**
 * A promise rejection nobody handled is a bug on one call's path: it is logged and the server
 * keeps serving everyone else (Node would end the process). An uncaught exception still ends it,
 * since the process state is unknown, but the structured log says why first.
 */
export function guardProcess(log: Logger): () => void {
  const onRejection = (reason: unknown) => log.error("unhandled rejection", { error: String((reason as Error)?.stack ?? reason) });
  const onException = (err: Error, origin: string) => log.error("uncaught exception", { origin, error: String(err?.stack ?? err) });
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtExceptionMonitor", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtExceptionMonitor", onException);
  };
}

export function exitWith(result: Promise<number>): void {
  result.then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`scriptengine: fatal: ${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}

if (import.meta.main) {
  holdStopSignals();
  exitWith(runServer(process.argv.slice(2)));
}
