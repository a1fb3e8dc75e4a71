// run FILE, compile FILE, exec SCRIPT_ID, delete SCRIPT_ID.
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { Option, type Command } from "commander";
import {
  CompiledScriptSchema,
  argumentValues,
  ExecutionErrorKind,
  ExecutionResultSchema,
  ScriptLanguage,
  SecurityLevel,
  Severity,
  TimeoutError,
  jsonOf,
  type ExecutionResult,
  type ScriptEngineClient,
} from "../../../clients/ts/src/index.ts";
import { action, optionsOf, withClient } from "../action.ts";
import { answerWaitMs, resolveConnection } from "../connection.ts";
import { CliError, EXIT, waitText } from "../exit.ts";
import { MAX_TIMER_MS, durationMs, exactIntegers, readSource, unsignedArg } from "../input.ts";
import { err, errLines, fmtBytes, fmtDuration, json, out, pairs, printableLines, table } from "../output.ts";
import { checkProfilePath, saveProfile } from "../profile.ts";
import { MAX_VALUE_DEPTH, jsonTextNestsDeeper, valueNestsDeeper } from "../../engine/json-depth.ts";

interface ExecOptions {
  args?: string;
  level?: "safe" | "production" | "development";
  timeout?: string;
  profile?: string;
  tool?: string[];
  env?: string[];
}

/** The client waits this much longer than --timeout, so the server's TIMEOUT answer arrives first. */
const DEADLINE_MARGIN_MS = 10_000;

/**
 * The longest deadline every transport can send: gRPC's grpc-timeout holds 8 digits, and the
 * HTTP transports write it in milliseconds (a server refuses more: about 27.8 hours).
 */
const MAX_DEADLINE_MS = 99_999_999;

/**
 * The client's deadline for an execution. Without --timeout it is the longest one a transport can
 * send, so the server's own limits (default_execution_timeout, up to its caps) decide: the server
 * takes a caller's deadline as a wall limit, and the SDK's default one (120 s) cut longer runs short.
 */
const executionDeadlineMs = (timeoutMs: number | undefined) => Math.min(timeoutMs ? timeoutMs + DEADLINE_MARGIN_MS : MAX_DEADLINE_MS, MAX_DEADLINE_MS);

/** What the execution's deadline is, for the message when it passes unanswered (see exit.ts). */
const deadlineSetBy = (timeoutMs: number | undefined) => (timeoutMs ? "--timeout and 10 s more for the server's answer" : "the longest deadline a call can carry");

/**
 * Runs an execution call while checking that the server answers at all. Its deadline is long (the
 * server's limits decide, or --timeout), and grpc-js and Connect have no liveness check before a
 * connection's first answer: a server that took the connection but never answered (frozen, a wedged
 * proxy) held `run` for hours. While the call is pending, every SE_ANSWER_WAIT_MS (15 s) the public
 * grpc.health.v1 check goes out; any answer, an error too, is a sign of life, and one left unanswered
 * for that long ends the command as not serving (exit 3).
 */
async function whileAnswering<T>(client: ScriptEngineClient, address: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const waitMs = answerWaitMs();
  const callStop = new AbortController();
  const watchStop = new AbortController();
  let silent: CliError | undefined;
  const watch = async () => {
    while (!watchStop.signal.aborted) {
      await new Promise<void>((r) => {
        const stop = () => (clearTimeout(t), r());
        const t = setTimeout(() => (watchStop.signal.removeEventListener("abort", stop), r()), waitMs);
        watchStop.signal.addEventListener("abort", stop, { once: true });
      });
      if (watchStop.signal.aborted) return;
      try {
        await client.standardHealth("", { timeoutMs: waitMs, signal: watchStop.signal });
      } catch (e) {
        if (watchStop.signal.aborted || !(e instanceof TimeoutError) || e.reason) continue;
        silent = new CliError(`DEADLINE_EXCEEDED: no answer from ${address}: a health check went unanswered for ${waitText(waitMs)} while the call was pending (SE_ANSWER_WAIT_MS sets the wait, ms)`, EXIT.UNAVAILABLE);
        callStop.abort();
        return;
      }
    }
  };
  const watching = watch();
  try {
    return await call(callStop.signal);
  } catch (e) {
    throw silent ?? e;
  } finally {
    watchStop.abort();
    await watching;
  }
}

const LEVELS = { safe: SecurityLevel.SAFE, production: SecurityLevel.PRODUCTION, development: SecurityLevel.DEVELOPMENT } as const;

const NOT_AN_OBJECT = "--args must be a JSON object, e.g. '{\"name\":\"Ada\"}'";

/**
 * An argument nested deeper than the server takes is refused saying so: 5000 levels overflowed the
 * reviver's recursion ("--args is not JSON: Maximum call stack size exceeded") and 33 were "what
 * JSON cannot hold". JSON.parse alone does not recurse, and the check below stops at the bound.
 */
function checkDepth(text: string): void {
  if (!jsonTextNestsDeeper(text, MAX_VALUE_DEPTH + 1)) return; // the arguments object is one level
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--args is not JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CliError(NOT_AN_OBJECT);
  const name = Object.keys(v).find((k) => valueNestsDeeper((v as Record<string, unknown>)[k], MAX_VALUE_DEPTH));
  if (name !== undefined) throw new CliError(`--args ${JSON.stringify(name)} nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects, the most the server takes`);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NOT_DECODED = new RegExp(`\uFFFD|${LONE_SURROGATE.source}`);

/**
 * Node decodes the command line lossily: bytes that are not UTF-8 become U+FFFD, and a JSON "\ud800"
 * escape parses to a lone surrogate that the wire turns into U+FFFD. Either silently changed what
 * the script got; refused, naming the offset, as for script files and stdin.
 */
function checkDecoded(text: string, flag: string): void {
  const at = text.search(NOT_DECODED);
  if (at < 0) return;
  throw text[at] === "\uFFFD"
    ? new CliError(`${flag} is not valid UTF-8 at offset ${at} (or holds U+FFFD): give text in UTF-8`)
    : new CliError(`${flag} holds a lone surrogate (U+${text.charCodeAt(at).toString(16).toUpperCase()}) at offset ${at}, which is no character: the script would get U+FFFD`);
}

/** Lone surrogates in the parsed --args (a JSON "\ud800" escape), as checkDecoded. */
function loneSurrogate(v: unknown): string | undefined {
  if (typeof v === "string") return v.isWellFormed() ? undefined : LONE_SURROGATE.exec(v)![0];
  if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      const found = loneSurrogate(k) ?? loneSurrogate(x);
      if (found) return found;
    }
  }
  return undefined;
}

function parseArgs(text: string | undefined): Record<string, JsonValue> {
  if (text === undefined) return {};
  checkDecoded(text, "--args");
  checkDepth(text);
  let v: unknown;
  try {
    v = JSON.parse(text, exactIntegers("--args"));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`--args is not JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new CliError(NOT_AN_OBJECT);
  const lone = loneSurrogate(v);
  if (lone) throw new CliError(`--args holds a lone surrogate (\\u${lone.charCodeAt(0).toString(16)}), which is no character: the script would get U+FFFD`);
  return v as Record<string, JsonValue>;
}

function executionContext(o: ExecOptions) {
  if (o.profile !== undefined) checkProfilePath(o.profile); // '' too: a usage error, not "no profile"
  const environment: Record<string, string> = {};
  for (const kv of o.env ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new CliError(`--env expects NAME=VALUE, got ${JSON.stringify(kv)}`);
    const name = kv.slice(0, i);
    // As for --metadata: a name given twice is a usage error, not a silent overwrite.
    if (Object.hasOwn(environment, name)) throw new CliError(`--env ${name} given twice`);
    checkDecoded(kv, `--env ${name}`);
    environment[name] = kv.slice(i + 1);
  }
  // An empty --timeout ran with the server's default, silently (`--timeout "$T"` with T unset).
  if (o.timeout === "") throw new CliError("--timeout is empty: give a duration such as 5s, or leave the flag out");
  // The client's deadline (timeout + margin) must fit a timer too.
  const timeoutMs = o.timeout !== undefined ? durationMs(o.timeout, "--timeout", MAX_TIMER_MS - DEADLINE_MARGIN_MS) : undefined;
  return {
    timeoutMs,
    context: {
      securityContext: o.level ? { securityLevel: LEVELS[o.level] } : undefined,
      timeout: timeoutMs ? durationFromMs(timeoutMs) : undefined,
      collectCpuProfile: o.profile !== undefined,
      availableTools: o.tool ?? [],
      environment,
    },
  };
}

const execOptions = (c: Command, target: string) =>
  c
    // Commander's variadic options take every word up to the next option, the target included.
    .addHelpText("after", `\n--tool and --env take several values: put them after the ${target}, e.g. ${c.name()} ${target} --tool http --env A=1`)
    .option("--args <json>", "arguments as a JSON object", undefined)
    .addOption(new Option("--level <level>", "security level").choices(["safe", "production", "development"]))
    .option("--timeout <duration>", "execution timeout, e.g. 5s or 500ms (default: the server's default_execution_timeout, within its limits)")
    .option("--profile <file>", "save a CPU profile (.cpuprofile, opens in Chrome DevTools); needs the profile permission")
    .option("--tool <name...>", "tools the script may call (http, fs, registered tools)")
    .option("--env <NAME=VALUE...>", "environment variables for the script");

/** Prints a result, then saves its profile; returns the exit code (1 when the script failed). */
function report(result: ExecutionResult, o: ExecOptions & { json?: boolean }): number {
  if (o.json) {
    const doc = toJson(ExecutionResultSchema, result) as Record<string, unknown>;
    delete doc.cpuProfile; // written to --profile; too large for a terminal
    out(json(doc));
  } else {
    if (result.stdout) out(printableLines(result.stdout));
    if (result.stderr) errLines(result.stderr);
    const value = jsonOf(result.returnValue);
    if (result.success && value !== undefined) out(printableLines(typeof value === "string" ? value : JSON.stringify(value, null, 2)));
  }
  const profileFailure = o.profile !== undefined ? saveProfile(o.profile, result.cpuProfile) : undefined;
  if (!o.json) {
    const meta = (k: string) => jsonOf(result.metadata[k]);
    const usage = result.resourceUsage;
    err(
      `${result.success ? "ok" : "failed"} in ${fmtDuration(result.executionTime)} · level ${meta("security_level") ?? "-"} · ` +
        `${meta("cache_hit") ? "cache hit" : "cache miss"} · ${fmtBytes(usage?.memoryBytes ?? 0n)} · execution ${result.executionId}` +
        (o.profile && !profileFailure ? ` · profile ${o.profile}` : ""),
    );
  }
  let code: number = EXIT.OK;
  if (!result.success) {
    const e = result.error;
    const kind = e ? (ExecutionErrorKind[e.kind] ?? "ERROR") : "ERROR";
    const where = e && e.line ? ` (line ${e.line}:${e.column})` : "";
    err(`scriptengine: script failed (${kind}): ${e ? `${e.name || "Error"}: ${e.message}` : "no detail"}${where}`);
    const said = (c: { name: string; message: string; line: number; column: number }) => `${c.name ? `${c.name}: ` : ""}${c.message}${c.line ? ` (line ${c.line}:${c.column})` : ""}`;
    for (const c of e?.causes ?? []) err(`  caused by: ${said(c)}`);
    for (const c of e?.errors ?? []) err(`  one of its errors: ${said(c)}`);
    code = EXIT.FAILED;
  }
  if (profileFailure) {
    err(`scriptengine: ${profileFailure.line}`);
    if (code === EXIT.OK) code = profileFailure.exitCode;
  }
  return code;
}

export function scriptCommands(program: Command): void {
  execOptions(
    program
      .command("run")
      .description("run a script file once (not stored); `-` reads stdin. A .ts file is TypeScript")
      .argument("<file>", "script file"),
    "<file>",
  ).action(
    action(async (file: string, _o: ExecOptions, cmd: Command) => {
      const o = optionsOf<ExecOptions>(cmd);
      const { source, name, typescript } = readSource(file);
      const { context, timeoutMs } = executionContext(o);
      const args = parseArgs(o.args);
      const address = resolveConnection(o).address;
      const result = await withClient(
        o,
        (c) => whileAnswering(c, address, (signal) => c.runScript(source, args, { signal, context, compilation: { name, language: typescript ? ScriptLanguage.TYPESCRIPT : ScriptLanguage.JAVASCRIPT } })),
        { executionTimeoutMs: executionDeadlineMs(timeoutMs), waitSetBy: deadlineSetBy(timeoutMs) },
      );
      return report(result, o);
    }),
  );

  execOptions(program.command("exec").description("execute a stored script").argument("<script-id>", "id given at compile"), "<script-id>")
    // Versions start at 1; the API's 0 ("the latest") from a miscomputed $V ran the newest, silently.
    .option("--script-version <n>", "a specific version, from 1 (default: the latest)", (v) => {
      const n = Number(unsignedArg(v, "--script-version", 0xffff_ffffn));
      if (n === 0) throw new CliError("--script-version must be at least 1 (versions start at 1; leave it out for the latest)");
      return n;
    })
    .action(
      action(async (scriptId: string, _o: ExecOptions, cmd: Command) => {
        const o = optionsOf<ExecOptions & { scriptVersion?: number }>(cmd);
        const { context, timeoutMs } = executionContext(o);
        const args = argumentValues(parseArgs(o.args));
        const address = resolveConnection(o).address;
        const res = await withClient(
          o,
          (c) => whileAnswering(c, address, async (signal) => (await c.scripts.executeScript({ scriptId, version: o.scriptVersion ?? 0, context: { ...context, arguments: args } }, { signal })).result!),
          { executionTimeoutMs: executionDeadlineMs(timeoutMs), waitSetBy: deadlineSetBy(timeoutMs) },
        );
        return report(res, o);
      }),
    );

  program
    .command("compile")
    .description("compile and store a script (a new version when the id exists)")
    .argument("<file>", "script file; `-` reads stdin")
    .option("--id <script-id>", "script id (default: generated)")
    .option("--name <name>", "display name (default: the file name)")
    .option("--validate-only", "check it compiles; store nothing")
    .action(
      action(async (file: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<{ id?: string; name?: string; validateOnly?: boolean }>(cmd);
        // An empty --id stored the script under a generated id, not the one meant (`--id "$ID"`, ID unset).
        if (o.id === "") throw new CliError("--id is empty: give a script id, or leave the flag out for a generated one");
        const { source, name, typescript } = readSource(file);
        const script = await withClient(o, (c) =>
          c.compile(source, { scriptId: o.id, name: o.name ?? name, language: typescript ? ScriptLanguage.TYPESCRIPT : ScriptLanguage.JAVASCRIPT, validateOnly: o.validateOnly }),
        );
        if (o.json) {
          out(json(toJson(CompiledScriptSchema, script)));
          return;
        }
        out(
          pairs([
            // Validated only, the id (generated unless --id) names its ScriptCompiled event, no stored script.
            ["script", o.validateOnly ? `${script.scriptId} (not stored)` : script.scriptId],
            ["version", script.version || "- (validate only)"],
            ["kind", script.kind === 1 ? "module" : "expression"],
            ["source", `${fmtBytes(script.sourceSize)} sha256 ${script.sourceHash.slice(0, 16)}…`],
            ["compile", `${fmtDuration(script.compileTime)}${script.cacheHit ? " (cache hit)" : ""}`],
          ]),
        );
        if (script.diagnostics.length > 0) {
          out("");
          out(table(["SEVERITY", "LINE", "MESSAGE"], script.diagnostics.map((d) => [Severity[d.severity] ?? "-", `${d.line}:${d.column}`, d.message])));
        }
      }),
    );

  program
    .command("delete")
    .description("delete a stored script with every version (needs the scripts:delete permission)")
    .argument("<script-id>", "id given at compile")
    .action(
      action(async (scriptId: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<{ json?: boolean }>(cmd);
        const res = await withClient(o, (c) => c.scripts.deleteScript({ scriptId }));
        if (o.json) out(json({ scriptId, versionsDeleted: res.versionsDeleted }));
        else out(`deleted ${scriptId} (${res.versionsDeleted} version${res.versionsDeleted === 1 ? "" : "s"})`);
      }),
    );
}
