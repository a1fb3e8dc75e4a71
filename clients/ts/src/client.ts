// The ScriptEngine client over any Connect Transport (grpc-js, connect-node, connect-web): one
// typed client per service, per-call deadlines with defaults, bearer token, typed errors,
// retries for UNAVAILABLE on idempotent calls, a resuming event subscription and helpers.
// This module imports nothing Node-specific, so browsers and edge runtimes can use it.
import { create, toBinary, toJson, toJsonString, type DescMessage, type DescMethod, type DescMethodStreaming, type DescMethodUnary, type DescService, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type CallOptions, type Client, type StreamResponse, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { mappingStreamErrors } from "./stream-errors.ts";
import { checkedHeaders, invalidOption } from "./option-values.ts";
import { ScriptService } from "../../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { EventService } from "../../../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ToolService } from "../../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../../gen/ts/grpc/health/v1/health_pb.js";
import type { ExecutionContext, ExecutionResult, CompilationContext, CompiledScript, HealthStatus } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import { ExecutionContextSchema, type CompilationContextSchema } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import type { MigrationConfigSchema, MigrationResult, RollbackConfigSchema, RollbackResult } from "../../../gen/ts/scriptengine/v1/migration_pb.js";
import { LossReason, type EventsLost, type SubscriptionStarted } from "../../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../../gen/ts/scriptengine/v1/events_pb.js";
import { ChangeKind, type WatchServicesResponse } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { argumentValues, type Arguments, type ArgumentsOf } from "./arguments.ts";
import { checkOptionValues } from "./option-values.ts";
export type { Arguments, ArgumentsOf, ArgumentValue } from "./arguments.ts";
/** For calls made on the generated clients (`client.scripts`): arguments converted as run() and execute() do. */
export { argumentValues, MAX_ARGUMENT_DEPTH } from "./arguments.ts";
import { CancelledError, EventsLostError, InternalError, InvalidArgumentError, isRefusedStream, ResourceExhaustedError, ScriptFailedError, UnavailableError, toScriptEngineError, type ScriptEngineError } from "./errors.ts";

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). 1 disables retries; Infinity retries until the deadline. A whole number (NaN, negative or fractional: InvalidArgumentError). */
  maxAttempts?: number;
  /** First backoff (default 100 ms); doubles each attempt, with full jitter. */
  initialBackoffMs?: number;
  /** Backoff cap (default 2000 ms). */
  maxBackoffMs?: number;
}

export interface ClientOptions {
  /**
   * Sent as `authorization: Bearer <token>` on every call but those whose headers (`headers` or the
   * call's own) have `authorization` or `x-api-key`. Visible ASCII, else InvalidArgumentError here.
   */
  token?: string;
  /**
   * Extra headers sent on every call: gRPC metadata, names of letters, digits, "-", "_" and ".",
   * values of printable ASCII (a "-bin" header's value is base64), else InvalidArgumentError here. A
   * call's own headers are held to the same, InvalidArgumentError before anything is sent.
   */
  headers?: Record<string, string>;
  /**
   * Deadline of unary calls that set no `timeoutMs` (default 30 s). 0 or Infinity: no client deadline
   * (the server's own limits still hold); a negative or NaN value is an InvalidArgumentError here.
   */
  defaultTimeoutMs?: number;
  /** Deadline of ExecuteScript, RunScript, MigrateTool and ValidateMigration (default 120 s; 0 or Infinity: none). */
  executionTimeoutMs?: number;
  /** Retries of idempotent calls that fail with UNAVAILABLE; `false` disables them. */
  retry?: RetryOptions | false;
  /** Called before each retry (for logging and tests). */
  onRetry?: (info: { method: string; attempt: number; delayMs: number; error: ScriptEngineError }) => void;
}

const methodName = (m: DescMethod) => `${m.parent.typeName}/${m.name}`;

/**
 * Methods that may safely be sent again after a lost reply, those whose repeat succeeds and changes
 * nothing more: only these are retried on UNAVAILABLE. The contract declares them (`idempotency_level`
 * NO_SIDE_EFFECTS or IDEMPOTENT in proto/). Not deregister or unsubscribe: repeated after a lost
 * reply, they say NOT_FOUND.
 */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(
  [ScriptService, MigrationService, EventService, RegistryService, ToolService]
    .flatMap((service) => service.methods)
    .filter((m) => m.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN)
    .map(methodName),
);

const LONG_METHODS = new Set([
  "scriptengine.v1.ScriptService/ExecuteScript",
  "scriptengine.v1.ScriptService/RunScript",
  "scriptengine.v1.MigrationService/MigrateTool",
  "scriptengine.v1.MigrationService/ValidateMigration",
]);

type HeadersInit = ConstructorParameters<typeof Headers>[0];

/**
 * An abort seen between retries: CANCELLED whatever the reason, as an abort during the call is, its
 * message the reason's (a non-Error one as text, as ConnectError.from writes it in flight).
 */
function abortedError(signal: AbortSignal | undefined): ScriptEngineError {
  const reason: unknown = signal?.reason;
  if (reason instanceof ConnectError) return toScriptEngineError(reason);
  const message = reason instanceof Error ? reason.message : reason === undefined ? "the operation was aborted" : String(reason);
  return toScriptEngineError(new ConnectError(message, Code.Canceled, undefined, undefined, reason));
}

/** Sleeps, or rejects with CancelledError when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortedError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter, never below the server's RetryInfo delay. */
export function backoffMs(attempt: number, retry: Required<RetryOptions>, serverDelayMs?: number): number {
  const cap = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (attempt - 1));
  return Math.max(serverDelayMs ?? 0, Math.round(cap / 2 + (Math.random() * cap) / 2));
}

/** `retry` with its defaults; `false` keeps the backoff, which subscribe()/watch() resumes still use. */
function retryPolicy(options: ClientOptions): Required<RetryOptions> {
  return {
    maxAttempts: options.retry === false ? 1 : (options.retry?.maxAttempts ?? 4),
    initialBackoffMs: (options.retry || undefined)?.initialBackoffMs ?? 100,
    maxBackoffMs: (options.retry || undefined)?.maxBackoffMs ?? 2000,
  };
}

/**
 * Where a subscription resumes after a lost notice, `after` being where its stream began and
 * `latest` that stream's `started.latestSequence`. An `after` beyond the latest is a number the
 * server does not know (a reset or replaced store): it reports RESTART and replays all it retains,
 * so the stream stands after the notice's last missed sequence (the oldest retained less one; 0 when
 * it retains from 1 or nothing). Resuming from the unknown number instead would bring the same
 * notice after every dropped connection until an event the filter lets in arrived. Any other
 * notice moves the resume point on to its last missed sequence, never back.
 */
export function resumeAfterLoss(after: bigint | undefined, latest: bigint, lost: EventsLost): bigint {
  if (after !== undefined && after > latest && lost.reason === LossReason.RESTART) return lost.lastMissedSequence;
  return after === undefined || lost.lastMissedSequence > after ? lost.lastMissedSequence : after;
}

/** Node's longest timer (~24.8 days): connect's transports would fire a longer one after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a call's time is up, from its time in milliseconds: Infinity (no deadline) past what a timer
 * holds. A call's own `timeoutMs` of 0 or less is a deadline already passed: DEADLINE_EXCEEDED, nothing
 * sent, on every transport (grpc-js would otherwise read it as none, Connect's as passed); NaN or a
 * non-number is InvalidArgumentError.
 */
function deadlineOf(timeMs: number): number {
  // NaN would be no deadline at all on grpc-js (and retries without end): refused like a NaN option.
  if (typeof timeMs !== "number" || timeMs !== timeMs) throw invalidOption(`timeoutMs must be a number of milliseconds, not ${typeof timeMs === "number" ? "NaN" : typeof timeMs}`);
  if (timeMs <= 0) throw toScriptEngineError(new ConnectError("the operation timed out", Code.DeadlineExceeded));
  return timeMs > MAX_TIMER_MS ? Infinity : Date.now() + timeMs;
}

/** A request the client could not encode: the caller's mistake, and no request was made. */
const notEncodable = (message: string, cause?: unknown) =>
  new InvalidArgumentError(new ConnectError(`the request cannot be encoded: ${message}`, Code.InvalidArgument, undefined, undefined, cause));

/** Why `request` cannot be encoded in binary or JSON, if it cannot. */
function encodingFailure(schema: DescMessage, request: unknown): string | undefined {
  for (const encode of [toBinary, toJsonString]) {
    try {
      encode(schema, create(schema, request as MessageInitShape<DescMessage>));
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }
  return undefined;
}

/**
 * A unary request the client could not encode (a uint32 field of -1 or 1.5, a Duration past what JSON
 * writes) fails before the request is made (gRPC-Web and grpc-http2 send the headers, then reset the
 * call), but every transport reports it as INTERNAL (connect-es's "serialize binary: …", the JSON
 * encoder's own message). Encoding the request again tells it from a server's INTERNAL: it fails with
 * the message the error quotes. Only failed calls pay for this.
 */
function unencodable(err: ScriptEngineError, schema: DescMessage, request: unknown): ScriptEngineError {
  if (!(err instanceof InternalError) || err.details.length > 0) return err;
  const message = encodingFailure(schema, request);
  return message && err.rawMessage.includes(message) ? notEncodable(message, err) : err;
}

/**
 * A server-streaming call's one request, checked before the call starts: the HTTP transports send
 * their headers before they encode the body. One message per stream, so the check costs nothing.
 */
async function checkedRequest<I extends DescMessage>(schema: I, input: AsyncIterable<MessageInitShape<I>>): Promise<AsyncIterable<MessageInitShape<I>>> {
  const requests: MessageInitShape<I>[] = [];
  for await (const request of input) {
    const message = encodingFailure(schema, request);
    if (message) throw notEncodable(message);
    requests.push(request);
    break;
  }
  return (async function* () {
    yield* requests;
  })();
}

/** What a transport is given for a deadline: undefined for none. */
const remainingMs = (deadline: number) => (deadline === Infinity ? undefined : Math.max(1, deadline - Date.now()));

/**
 * Wraps a transport: headers and token, default deadlines, typed errors, and retries of
 * idempotent unary calls on UNAVAILABLE within the call's overall deadline (of any unary call the
 * server refused before processing it).
 */
export function withDefaults(inner: Transport, options: ClientOptions = {}): Transport {
  checkOptionValues(options);
  const retry = retryPolicy(options);
  const clientHeaders = checkedHeaders(options.headers);
  // A call's own headers are checked as the client's were (checkOptionValues): what one transport
  // cannot send is refused on all, before anything is sent.
  const headersFor = (init: HeadersInit | undefined) => {
    const h = new Headers(clientHeaders);
    checkedHeaders(init).forEach((v, k) => h.set(k, v));
    // An x-api-key (like an authorization) names the principal the call runs as: the token beside
    // it would be a second credential, which the server refuses when they differ.
    if (options.token && !h.has("authorization") && !h.has("x-api-key")) h.set("authorization", `Bearer ${options.token}`);
    return h;
  };
  return {
    async unary<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, signal: AbortSignal | undefined, timeoutMs: number | undefined, header: HeadersInit | undefined, input: MessageInitShape<I>, contextValues?: Parameters<Transport["unary"]>[5]): Promise<UnaryResponse<I, O>> {
      const name = methodName(method);
      // A deadline option of 0 sets none, as most gRPC clients read an unset timeout.
      const deadline = deadlineOf(timeoutMs ?? ((LONG_METHODS.has(name) ? (options.executionTimeoutMs ?? 120_000) : (options.defaultTimeoutMs ?? 30_000)) || Infinity));
      const idempotent = IDEMPOTENT_METHODS.has(name);
      const h = headersFor(header);
      for (let attempt = 1; ; attempt++) {
        try {
          return await inner.unary(method, signal, remainingMs(deadline), h, input, contextValues);
        } catch (e) {
          const err = unencodable(toScriptEngineError(e), method.input, input);
          // A call the server refused unprocessed (REFUSED_STREAM) did nothing: any method may be sent again.
          const retryable = err instanceof UnavailableError && (idempotent || isRefusedStream(err));
          if (!retryable || attempt >= retry.maxAttempts || signal?.aborted) throw err;
          const delayMs = backoffMs(attempt, retry, err.retryDelayMs);
          if (Date.now() + delayMs >= deadline) throw err;
          options.onRetry?.({ method: name, attempt, delayMs, error: err });
          await sleep(delayMs, signal);
        }
      }
    },
    async stream<I extends DescMessage, O extends DescMessage>(method: DescMethodStreaming<I, O>, signal: AbortSignal | undefined, timeoutMs: number | undefined, header: HeadersInit | undefined, input: AsyncIterable<MessageInitShape<I>>, contextValues?: Parameters<Transport["stream"]>[5]): Promise<StreamResponse<I, O>> {
      let res: StreamResponse<I, O>;
      const deadline = timeoutMs === undefined ? Infinity : deadlineOf(timeoutMs);
      try {
        const requests = method.methodKind === "server_streaming" ? await checkedRequest(method.input, input) : input;
        res = await inner.stream(method, signal, remainingMs(deadline), headersFor(header), requests, contextValues);
      } catch (e) {
        throw toScriptEngineError(e);
      }
      return mappingStreamErrors(res, toScriptEngineError);
    },
  };
}

/**
 * A stream whose call ends when the reader leaves it early (break, return, a throw): its own signal,
 * aborted as the caller's `signal` is, is aborted by the iterator's return(). createClient's stream
 * iterables have no return(), so a loop left early otherwise left the call open on the server (and on
 * Connect and gRPC-Web, which hold no connection close() could end, the process alive).
 */
function leavable<T>(start: (signal: AbortSignal) => AsyncIterable<T>, signal: AbortSignal | undefined, open: Set<AbortController>): AsyncIterable<T> {
  const call = new AbortController();
  // Held until it ends, so that close() ends a stream its reader left without return() too (on
  // connect and grpc-web, which hold no connection close() could end instead).
  open.add(call);
  const forward = () => call.abort(signal?.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener("abort", forward, { once: true });
  const end = () => {
    signal?.removeEventListener("abort", forward);
    open.delete(call);
    call.abort(new ConnectError("the stream's reader left it", Code.Canceled));
  };
  const messages = start(call.signal)[Symbol.asyncIterator]();
  const iterator: AsyncIterator<T> = {
    next: () =>
      messages.next().then(
        (r) => (r.done && end(), r),
        (e: unknown) => (end(), Promise.reject(e)),
      ),
    return: async (value?: unknown) => {
      end();
      return { done: true, value } as IteratorReturnResult<T>;
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** createClient, its server-streaming methods `leavable` (each held in `open` while it runs). */
function clientOf<S extends DescService>(service: S, transport: Transport, open: Set<AbortController>): Client<S> {
  const client = createClient(service, transport) as Record<string, unknown>;
  for (const method of service.methods) {
    if (method.methodKind !== "server_streaming") continue;
    const call = client[method.localName] as (input: unknown, options?: CallOptions) => AsyncIterable<unknown>;
    client[method.localName] = (input: unknown, options?: CallOptions) => leavable((signal) => call(input, { ...options, signal }), options?.signal, open);
  }
  return client as Client<S>;
}

export interface RunOptions extends CallOptions {
  /** Everything else of the ExecutionContext (security context, timeout, tools, ...). */
  context?: Omit<MessageInitShape<typeof ExecutionContextSchema>, "arguments">;
  /** Language, kind and name of the source. */
  compilation?: MessageInitShape<typeof CompilationContextSchema>;
}

/** A stored script's language and kind were fixed when it was compiled: no `compilation` here. */
export interface ExecuteOptions extends Omit<RunOptions, "compilation"> {
  /** The stored version to run; omitted or 0 means the latest. */
  version?: number;
}

export interface SubscribeOptions {
  /** Event types ("script_executed", ...); empty or omitted means all. */
  eventTypes?: readonly string[];
  /**
   * Start after this sequence (resume); omitted means live events only, from the first stream's
   * `started.latestSequence` on (a reconnect resumes from there).
   */
  afterSequence?: bigint;
  /** Ends the subscription quietly (as close() does). */
  signal?: AbortSignal;
  /**
   * Missed events; when omitted, a loss (missedCount > 0) ends the iteration with EventsLostError.
   * A notice that missed nothing (missedCount 0, e.g. resuming exactly where a cleanly stopped run
   * of the server ended) only reaches this handler. `stream` is the stream the notice came on: the
   * sequence it asked to start after (undefined: live only; a resume may ask after a later one than
   * the last event delivered, the server's `resume_after_sequence`) and its `started.latestSequence`.
   * An `afterSequence` beyond that latest is one the server does not know (a reset or replaced
   * store), which it reports as RESTART though it need not have restarted.
   */
  onLost?: (lost: EventsLost, stream: { afterSequence: bigint | undefined; latestSequence: bigint }) => void;
  /**
   * Each (re)started stream. An error a callback (this, `onLost`) throws ends the iteration as it
   * is, the same object: it is never taken for a dropped connection, whatever it is.
   */
  onStarted?: (started: SubscriptionStarted) => void;
  /**
   * Reconnect after a dropped connection (UNAVAILABLE, or a stream reset: CANCELLED not by `signal` or
   * close()) or after falling behind (RESOURCE_EXHAUSTED `EVENTS_LOST`, `events.on_lag = "disconnect"`);
   * default true.
   */
  resume?: boolean;
  /**
   * Consecutive failed reconnects before giving up (default 10; 0 or less: none. Go's MaxReconnects 0
   * is its default, a negative value none there too: -1 reads alike in every SDK).
   * A stream ended by `EVENTS_LOST` counts unless it delivered an event since the last resume.
   */
  maxReconnects?: number;
}

export interface WatchOptions {
  /** Only registrations of this type; empty or omitted means all. */
  serviceType?: string;
  /** Ends the watch quietly (as close() does). */
  signal?: AbortSignal;
  /**
   * Each (re)started stream, before its snapshot. An error a callback (this, `onSynced`) throws ends
   * the iteration as it is, the same object: it is never taken for a dropped connection.
   */
  onRestart?: () => void;
  /**
   * Each stream's snapshot is complete (the server's `CHANGE_KIND_SYNCED`, which the iterator does not
   * yield): what came since `onRestart` is the current state, what follows are changes. Called at once
   * for a watch nothing matches; never by a server that predates SYNCED.
   */
  onSynced?: () => void;
  /**
   * Re-watch after a dropped connection or a server shutdown (UNAVAILABLE, or a stream reset: CANCELLED
   * not by `signal` or close()) or after falling more than `registry.watch_buffer` changes behind
   * (RESOURCE_EXHAUSTED `EVENTS_LOST`); default true.
   */
  resume?: boolean;
  /**
   * Consecutive failed reconnects before giving up (default 10; 0 or less: none. Go's MaxReconnects 0
   * is its default, a negative value none there too: -1 reads alike in every SDK).
   * A reconnect worked once its stream said SYNCED or got a change; one that ended with neither failed,
   * however long it lasted (a hung server, a proxy with no backend).
   * A stream ended by `EVENTS_LOST` counts unless it delivered a change since the last resume.
   */
  maxReconnects?: number;
}

/** Converts a google.protobuf.Value to plain JSON (undefined when unset). */
export const jsonOf = (v: Value | undefined): JsonValue | undefined => (v === undefined ? undefined : toJson(ValueSchema, v));

function contextWith(context: RunOptions["context"], args: object | undefined) {
  // A copy: create() returns a message given to it as it is, and the caller's must stay unchanged.
  const ctx = create(ExecutionContextSchema, { ...(context as MessageInitShape<typeof ExecutionContextSchema>) });
  ctx.arguments = argumentValues(args as Arguments | undefined);
  return ctx;
}

export class ScriptEngineClient {
  readonly scripts: Client<typeof ScriptService>;
  readonly migrations: Client<typeof MigrationService>;
  readonly events: Client<typeof EventService>;
  readonly registry: Client<typeof RegistryService>;
  readonly tools: Client<typeof ToolService>;
  readonly transport: Transport;
  private readonly closeTransport: (() => void) | undefined;
  /** close() was called: a stream loop then ends quietly, as on its signal. */
  private closed = false;
  /** One per running subscribe()/watch() loop: close() ends them. */
  private readonly stops = new Set<AbortController>();
  /** One per server stream open through scripts/events/registry/...: close() ends them too. */
  private readonly streams = new Set<AbortController>();
  /** The wait between a stream's end and the next (the `retry` backoff, as unary retries). */
  private readonly resumeBackoff: Required<RetryOptions>;

  /** Builds a client over a transport; `close` is called by `close()`. */
  constructor(transport: Transport, options: ClientOptions = {}, close?: () => void) {
    this.transport = withDefaults(transport, options);
    this.resumeBackoff = retryPolicy(options);
    this.closeTransport = close;
    this.scripts = clientOf(ScriptService, this.transport, this.streams);
    this.migrations = clientOf(MigrationService, this.transport, this.streams);
    this.events = clientOf(EventService, this.transport, this.streams);
    this.registry = clientOf(RegistryService, this.transport, this.streams);
    this.tools = clientOf(ToolService, this.transport, this.streams);
  }

  /** The engine's health. */
  async health(options?: CallOptions): Promise<HealthStatus> {
    return (await this.scripts.healthCheck({}, options)).health!;
  }

  /**
   * The server's standard grpc.health.v1 status (of `service`, "" for the whole server): public, so
   * it needs no token, and what probes and load balancers ask. `health()` is the engine's own, with
   * its components, and needs a principal.
   */
  async standardHealth(service = "", options?: CallOptions): Promise<HealthCheckResponse_ServingStatus> {
    return (await createClient(Health, this.transport).check({ service }, options)).status;
  }

  /**
   * Runs ad-hoc source with these arguments and returns the script's value. A script that
   * fails (throws, times out, ...) raises ScriptFailedError carrying the full result.
   */
  async run<A extends ArgumentsOf<A> = Arguments>(source: string, args?: A, options: RunOptions = {}): Promise<JsonValue | undefined> {
    return this.valueOf(await this.runScript(source, args, options));
  }

  /** Like `run`, but returns the full ExecutionResult whatever the outcome. */
  async runScript<A extends ArgumentsOf<A> = Arguments>(source: string, args?: A, options: RunOptions = {}): Promise<ExecutionResult> {
    const { context, compilation, ...call } = options;
    const res = await this.scripts.runScript({ source, compilation, context: contextWith(context, args) }, call);
    return res.result!;
  }

  /** Compiles and stores a script (a new version when `scriptId` exists). */
  async compile(source: string, compilation: MessageInitShape<typeof CompilationContextSchema> = {}, options?: CallOptions): Promise<CompiledScript> {
    return (await this.scripts.compileScript({ source, context: compilation }, options)).script!;
  }

  /** Executes a stored script and returns its value (ScriptFailedError when it fails). */
  async execute<A extends ArgumentsOf<A> = Arguments>(scriptId: string, args?: A, options: ExecuteOptions = {}): Promise<JsonValue | undefined> {
    // Refused, not dropped: a caller from plain JavaScript would think the options applied.
    if ((options as RunOptions).compilation !== undefined) throw invalidOption("execute() runs a stored script, compiled with its language and kind: `compilation` is an option of run() and runScript()");
    const { context, version, ...call } = options;
    const res = await this.scripts.executeScript({ scriptId, version, context: contextWith(context, args) }, call);
    return this.valueOf(res.result!);
  }

  /** Deletes a stored script with every version (needs the scripts:delete permission); returns how many versions there were. */
  async delete(scriptId: string, options?: CallOptions): Promise<number> {
    return (await this.scripts.deleteScript({ scriptId }, options)).versionsDeleted;
  }

  /** Migrates one legacy tool. */
  async migrate(toolName: string, config?: MessageInitShape<typeof MigrationConfigSchema>, options?: CallOptions): Promise<MigrationResult> {
    return (await this.migrations.migrateTool({ toolName, config }, options)).result!;
  }

  /** Rolls a migrated tool back (idempotent). */
  async rollback(toolName: string, config?: MessageInitShape<typeof RollbackConfigSchema>, options?: CallOptions): Promise<RollbackResult> {
    return (await this.migrations.rollbackTool({ toolName, config }, options)).result!;
  }

  /**
   * Events as an async iterator. When the connection drops, the server shuts down (UNAVAILABLE),
   * the stream is reset (CANCELLED, neither by `signal` nor by close()) or the reader fell behind
   * (EVENTS_LOST: what the log no longer holds then comes as a lost notice), it resubscribes after the
   * last sequence it delivered (or, before the first, after the first stream's
   * `started.latestSequence`), or after the stream's `resume_after_sequence` when the server said
   * one, so no retained event is missed or repeated. It ends when the server ends the stream
   * (unsubscribe), `signal` fires or the client is closed; leaving the loop cancels the stream.
   */
  async *subscribe(options: SubscribeOptions = {}): AsyncGenerator<ServiceEvent, void, undefined> {
    let after = options.afterSequence;
    const events = this.events;
    yield* this.resuming(options, async function* (healthy, delivered, signal) {
      const asked = after;
      const stream = events.subscribe({ eventTypes: [...(options.eventTypes ?? [])], afterSequence: asked }, { signal });
      let latest = 0n;
      const resumeAfter = (at: bigint) => {
        if (after === undefined || at > after) after = at;
      };
      for await (const msg of streamFailures(stream, resumeAfter)) {
        switch (msg.message.case) {
          case "started":
            healthy();
            latest = msg.message.value.latestSequence;
            // A live subscription resumes from where it began, not live-only again: what is
            // published while it reconnects is still delivered (or reported lost).
            after ??= msg.message.value.latestSequence;
            options.onStarted?.(msg.message.value);
            break;
          case "event":
            after = msg.message.value.sequence;
            delivered();
            yield msg.message.value;
            break;
          case "lost": {
            const lost = msg.message.value;
            after = resumeAfterLoss(after, latest, lost);
            if (options.onLost) options.onLost(lost, { afterSequence: asked, latestSequence: latest });
            // missed_count 0 is exact: nothing was missed (e.g. resuming where a clean run ended).
            else if (lost.missedCount > 0n) throw new EventsLostError(lost);
            break;
          }
        }
      }
    });
  }

  /**
   * Registration changes as an async iterator. Every stream starts with an EXISTING snapshot of the
   * live registrations, so after a dropped connection, or after falling behind (EVENTS_LOST), it
   * watches again and the new snapshot brings
   * the caller up to date (treat EXISTING as "the current state", replacing what it knew). The
   * server's SYNCED, which ends each snapshot, goes to `onSynced` and is not yielded: the iterator
   * yields registrations only, as before. `signal` or close() ends it quietly; leaving the loop
   * cancels the stream.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<WatchServicesResponse, void, undefined> {
    const registry = this.registry;
    yield* this.resuming(options, async function* (healthy, delivered, signal) {
      options.onRestart?.();
      // Only what the server sent shows that the stream works (it sends SYNCED at once, even to an
      // idle watch): a stream that lasted long but brought nothing, from a hung server or a proxy
      // with no backend, is a failed reconnect.
      for await (const change of streamFailures(registry.watchServices({ serviceType: options.serviceType ?? "" }, { signal }))) {
        healthy();
        // The stream works, but SYNCED is no change: it does not keep a stream that fell behind
        // from counting as a failed reconnect.
        if (change.kind === ChangeKind.SYNCED) {
          options.onSynced?.();
          continue;
        }
        delivered();
        yield change;
      }
    });
  }

  /**
   * Runs one stream after another: `stream` is one stream's life. A dropped connection, a server
   * shutdown (UNAVAILABLE), a reset stream (CANCELLED, not by the signal or close()) or a reader
   * that fell behind (RESOURCE_EXHAUSTED EVENTS_LOST) is followed by a backoff (never shorter than
   * RetryInfo) and a new stream; a clean end, the signal or close() (both quietly), or any other
   * error of the call ends it. What `stream` throws otherwise (EventsLostError, the caller's callbacks'
   * errors) ends it unchanged. `healthy` resets the count of consecutive failed reconnects; `stream` calls
   * `delivered` before it yields an item. A stream that ends EVENTS_LOST before delivering anything
   * counts as one more failed reconnect (its `started` alone does not reset the count), so a reader
   * that gets nothing between two such ends gives up after maxReconnects, while one that keeps
   * receiving goes on (its losses reported as lost notices). Each stream gets a signal of its own,
   * aborted when the caller's fires, on close() or when the stream ends for any reason:
   * Connect's stream iterators have no `return()`, so aborting is the only way to cancel the call
   * when the reader leaves early (break, return, throw), which otherwise stays open on the server
   * and keeps the connection busy.
   */
  private async *resuming<T>(
    options: { signal?: AbortSignal; resume?: boolean; maxReconnects?: number },
    stream: (healthy: () => void, delivered: () => void, signal: AbortSignal) => AsyncIterable<T>,
  ): AsyncGenerator<T, void, undefined> {
    let failures = 0;
    const maxReconnects = options.maxReconnects ?? 10;
    // Fires on the caller's signal or close(): either ends the loop quietly, on every transport.
    const stop = new AbortController();
    const onSignal = () => stop.abort(options.signal?.reason);
    if (options.signal?.aborted || this.closed) onSignal();
    else options.signal?.addEventListener("abort", onSignal, { once: true });
    this.stops.add(stop);
    try {
      while (!stop.signal.aborted) {
        const own = new AbortController();
        const forward = () => own.abort(stop.signal.reason);
        stop.signal.addEventListener("abort", forward, { once: true });
        const before = failures;
        let delivered = false;
        try {
          yield* stream(() => (failures = 0), () => (delivered = true), own.signal);
          return;
        } catch (e) {
          // Only the call's own end may mean a dropped connection: an EventsLostError, or what the
          // caller's callbacks threw, goes on as it is (one that is an UnavailableError included).
          if (!(e instanceof StreamFailure)) throw e;
          const err = e.error;
          if (stop.signal.aborted) return;
          // CANCELLED that neither the caller nor close() asked for is a reset stream: a server that
          // force-closes its connections at shutdown (past its grace, its ending not read yet by a
          // lagging reader) resets the stream, which reads as CANCELLED; it is a dropped connection.
          const fellBehind = err instanceof ResourceExhaustedError && err.reason === "EVENTS_LOST";
          const dropped = err instanceof UnavailableError || err instanceof CancelledError || fellBehind;
          // Fell behind with nothing delivered: its `started` did not make the reconnect a success.
          if (fellBehind && !delivered) failures = before;
          if (options.resume === false || !dropped || ++failures > maxReconnects) throw err;
          await sleep(backoffMs(failures, this.resumeBackoff, err.retryDelayMs), stop.signal).catch(() => {});
        } finally {
          stop.signal.removeEventListener("abort", forward);
          own.abort();
        }
      }
    } finally {
      options.signal?.removeEventListener("abort", onSignal);
      this.stops.delete(stop);
    }
  }

  /**
   * Ends the subscribe()/watch() loops quietly (as their signal would), ends the server streams
   * still open through `events`, `registry`, ... (their next read fails CancelledError), and closes
   * the underlying connections (grpc-js, grpc-http2): unary calls in flight and later ones fail CancelledError.
   * Connect and gRPC-Web (HTTP/1.1) hold no connection of their own, so their unary calls are not
   * affected.
   */
  close(): void {
    this.closed = true;
    for (const stop of this.stops) stop.abort(new ConnectError("the client was closed", Code.Canceled));
    for (const stream of this.streams) stream.abort(new ConnectError("the client was closed", Code.Canceled));
    this.closeTransport?.();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private valueOf(result: ExecutionResult): JsonValue | undefined {
    if (!result.success) throw new ScriptFailedError(result);
    return jsonOf(result.returnValue);
  }
}

/** How a subscribe()/watch() stream's call ended, told apart from what the loop around it threw. */
class StreamFailure {
  readonly error: ScriptEngineError;
  constructor(error: ScriptEngineError) {
    this.error = error;
  }
}

/**
 * The stream's messages; its call's error becomes a StreamFailure. When it ends UNAVAILABLE with
 * ErrorInfo `resume_after_sequence` (a server shutting down), `resumeAfter` is told it before the
 * error goes on: every event the subscription's filter lets in up to there was sent, so the run's
 * later events of other types (its own shutdown's among them) are not reported missed after a restart.
 */
async function* streamFailures<T>(stream: AsyncIterable<T>, resumeAfter?: (sequence: bigint) => void): AsyncGenerator<T, void, undefined> {
  try {
    yield* stream;
  } catch (e) {
    const err = toScriptEngineError(e);
    const at = err instanceof UnavailableError ? err.errorMetadata.resume_after_sequence : undefined;
    if (resumeAfter && at !== undefined && /^\d+$/.test(at)) resumeAfter(BigInt(at));
    throw new StreamFailure(err);
  }
}

export type { ExecutionContext };
/** The grpc.health.v1 serving status (SERVING, NOT_SERVING, ...), as `standardHealth()` gives it. */
export { HealthCheckResponse_ServingStatus as ServingStatus };

