// The tool registry: registered (script) tools as the engine runs them. Tools live in the store
// (store/tools.ts); this is how a script's `ctx.tools.<name>(args)` reaches one: arguments are
// validated against the tool's input schema (ajv) before its script runs, the script runs in the
// engine at the tighter of the calling execution's level and the tool's own, and a declared
// output schema is checked on the way out.
import { Ajv, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import Ajv04 from "ajv-draft-04";
import { createRequire } from "node:module";
import { LRUCache } from "lru-cache";
import type { Config, Level } from "../config/types.ts";
import { MAX_VALUE_DEPTH, cpuBudgetMs, cpuShareOfDeadline, valueNestsDeeper, type Engine, type ExecutionLimits, type ExecutionOutcome, type JsonObject, type JsonValue, type ToolCallback } from "../engine/index.ts";
import { LEVEL_RANK } from "../auth/principal.ts";
import { LEVELS } from "../api/limits.ts";
import type { StoredTool, ToolRepository } from "../store/tools.ts";
import { addToolRefusals, countRefusals, toolBridge, type CallerLimits, type NetworkBudget, type Refusals, type ToolCaller } from "./bridge.ts";
import { hostToolOptions } from "./host-tool-options.ts";
import { ToolError } from "./tool-error.ts";
import { linearRegExp } from "./linear-regexp.ts";
import { useLinearUniqueItems } from "./unique-items.ts";
import { VALIDATION_BUDGET_MS, ValidationBudget, ValidationTooCostly } from "./validation-budget.ts";
import { schemaErrorLine } from "./schema-errors.ts";
import { HOST_TOOL_LEVELS, toolModuleSource } from "./registry-source.ts";
import { storedSourceOver } from "../store/source-limit.ts";

export const BUILTIN_TOOLS = [
  {
    name: "fs",
    description:
      "Reads a file or lists a directory inside the request's working_directory (Development level only). " +
      'A listing cut short (10,000 entries, or half of max_tool_payload_bytes) ends with { name: "", type: "truncated" }.',
    inputSchema: {
      type: "object",
      properties: { op: { type: "string", enum: ["read", "list"], default: "read" }, path: { type: "string" } },
      required: ["path"],
    },
    level: "development" as Level,
    tags: ["builtin", "io"],
  },
  {
    name: "http",
    description:
      "HTTP(S) requests: Production level to the configured allow-list, Development level anywhere. Answers { status, headers, body, truncated }; headers[\"set-cookie\"] is an array, one entry per header. " +
      "The arguments may also be a URL string alone: a GET of it.",
    inputSchema: {
      type: "object",
      properties: {
        url: { type: "string" },
        method: { type: "string", description: "GET (the default), HEAD, POST, PUT, PATCH or DELETE, in any case." },
        headers: { type: "object", additionalProperties: { type: ["string", "number", "boolean", "null"] } },
        body: {
          type: ["string", "number", "boolean", "object", "array", "null"],
          description: "A string is sent as is; any other value as JSON, with content-type application/json unless headers set one; null is no body. GET and HEAD take none.",
        },
      },
      required: ["url"],
    },
    level: "production" as Level,
    tags: ["builtin", "network"],
  },
];

/** Compiled schemas kept by their text, besides each registered tool's own. */
export const MAX_SCHEMA_CACHE = 500;
/**
 * And at most this much of their text: compiled code costs ~16 times its schema's text (a schema at
 * the 1,000-node bound, ~32 KiB, compiles to ~525 KB), so 500 of those alone would hold ~260 MB.
 */
export const MAX_SCHEMA_CACHE_CHARS = 2 * 1024 * 1024;
/** ajv options that keep generated code linear in the schema (see SchemaValidator). */
const LINEAR_CODE = { inlineRefs: 8, loopEnum: 16, loopRequired: 16 } as const;
/**
 * `multipleOf` allows for floating-point rounding: a value whose quotient by the divisor is within
 * 1e-6 of an integer is a multiple (19.99 / 0.01 is 1998.9999999999998, which ajv's default check,
 * quotient === parseInt(quotient), refused). ajv's multipleOfPrecision is that tolerance's number of
 * decimal places. Known limit: the tolerance is absolute, and a quotient's rounding error grows with
 * it, so past about 1e10 steps (100,000,000 in steps of 0.01) a true multiple may be refused.
 */
export const MULTIPLE_OF_PRECISION = 6;
/** Options every compile shares. */
const COMMON = { validateFormats: false, multipleOfPrecision: MULTIPLE_OF_PRECISION, ...LINEAR_CODE } as const satisfies Options;

/**
 * The JSON Schema dialects a schema may declare in `$schema` (a root `$schema` naming none of these
 * is refused); a schema without one is draft-07. Keyed by the dialect's URI without its scheme and
 * any trailing "#": "http://json-schema.org/draft-07/schema#" and "https://…/schema" alike. Legacy
 * tools often declare draft-04 (ajv-draft-04: `id`, boolean exclusiveMaximum) or draft-06 (ajv's
 * draft-07 rules, which draft-06 schemas mean the same under, checked against draft-06's meta-schema).
 */
const DIALECTS: Record<string, { Ajv: new (opts: Options) => Ajv; meta?: { $id: string } }> = {
  "//json-schema.org/draft-04/schema": { Ajv: Ajv04 as unknown as new (opts: Options) => Ajv },
  "//json-schema.org/draft-06/schema": { Ajv, meta: createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-06.json") as { $id: string } },
  "//json-schema.org/draft-07/schema": { Ajv },
  // The unversioned URI ("the latest draft" when such tools were written): read as draft-07, as before dialects were told apart.
  "//json-schema.org/schema": { Ajv },
  "//json-schema.org/draft/2019-09/schema": { Ajv: Ajv2019 },
  "//json-schema.org/draft/2020-12/schema": { Ajv: Ajv2020 },
};
const DRAFT_07 = DIALECTS["//json-schema.org/draft-07/schema"];
export const SUPPORTED_DIALECTS =
  "draft-04 (http://json-schema.org/draft-04/schema#), draft-06 (http://json-schema.org/draft-06/schema#), draft-07 (http://json-schema.org/draft-07/schema#, the default; also the unversioned http://json-schema.org/schema#), 2019-09 (https://json-schema.org/draft/2019-09/schema) and 2020-12 (https://json-schema.org/draft/2020-12/schema)";
type Dialect = (typeof DIALECTS)[string];

/** The dialect `schema` declares; throws, naming the supported ones, for any other. */
function dialectOf(schema: object): Dialect {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return DRAFT_07;
  const key = typeof declared === "string" ? declared.replace(/^https?:/, "").replace(/#$/, "") : undefined;
  const d = key === undefined ? undefined : Object.hasOwn(DIALECTS, key) ? DIALECTS[key] : undefined;
  if (d) return d;
  let shown = JSON.stringify(declared) ?? String(declared);
  if (shown.length > 120) shown = `${shown.slice(0, 120)}…`;
  throw new Error(`$schema ${shown} is not a JSON Schema dialect this server checks: it checks ${SUPPORTED_DIALECTS}`);
}
/**
 * Why a check threw a RangeError: V8 ran out of stack, in a validator calling itself without
 * reaching into the value, or compiling generated code nested too deeply (a very wide schema).
 */
export const OUT_OF_STACK = "the check ran out of stack (a $ref that recurses without end, or a schema too large to check)";
/** Event-loop time one check of a value against a schema may take (validation-budget.ts). */
export { VALIDATION_BUDGET_MS };

/**
 * Validators for JSON Schemas (the dialect the root `$schema` names, draft-07 when none: see
 * DIALECTS; unknown keywords are ignored; `pattern` as ECMA-262 translated to RE2, see linear-regexp.ts;
 * `uniqueItems` in linear time, see unique-items.ts; `multipleOf` with MULTIPLE_OF_PRECISION).
 */
export class SchemaValidator {
  // Values are checked on the event loop, and arguments come from untrusted scripts, so checks
  // are bounded: patterns run on RE2 (linear time), ajv stops at the first error (collecting all
  // of them walks every failing branch of a recursive anyOf, in time and memory exponential in
  // the nesting), and each check has a time budget for what stays exponential (a oneOf whose
  // branches share a recursive property).
  // Compiles run on the event loop too, so the generated code grows with the schema, not faster:
  // ajv inlines a referenced schema at every $ref (a 15 KiB schema whose 300 properties each
  // reference one 200-property definition took 75 s) and spells out an enum or required list at
  // each use; past a few keywords these become one function per definition and loops.
  // An Ajv instance keeps every function it compiles, and the schema behind it, as long as it
  // lives (removeSchema forgets the schema, not the code): one shared instance grew by every schema
  // ever compiled, past the cache's bound. So each compile has its own instance, which goes with
  // its validator, and one long-lived instance only checks schemas against the meta-schema (which
  // it compiles once; an instance of its own per compile would cost ~10 ms each). Nor does a
  // schema's $id outlive its compile: it no longer keeps another schema with that $id (the tool's
  // changed schema, another tool's) from compiling. (ajv must register the schema in its instance,
  // addUsedSchema: without, it cannot resolve a `$ref: "#"` in a schema with no $id.)
  readonly #budget = new ValidationBudget();
  /** By dialect: its meta-schema checker, made at its first use. */
  readonly #metas = new Map<Dialect, Ajv>();
  readonly #cache = new LRUCache<string, ValidateFunction>({
    max: MAX_SCHEMA_CACHE, maxSize: MAX_SCHEMA_CACHE_CHARS, sizeCalculation: (_fn, key) => Math.max(1, key.length),
  });

  readonly #budgetMs: number;

  constructor(budgetMs = VALIDATION_BUDGET_MS) {
    this.#budgetMs = budgetMs;
  }

  /** The meta-schema checker of dialect `d` (its own meta-schema is its default). */
  #meta(d: Dialect): Ajv {
    let ajv = this.#metas.get(d);
    if (!ajv) {
      ajv = new d.Ajv({ ...COMMON, strict: false, code: { regExp: linearRegExp }, ...(d.meta && { defaultMeta: d.meta.$id }) });
      if (d.meta) ajv.addMetaSchema(d.meta);
      // uniqueItems in linear time too (ajv's compares every pair of items).
      useLinearUniqueItems(ajv);
      this.#metas.set(d, ajv);
    }
    return ajv;
  }

  /** A compiler of dialect `d` for one schema, already checked against the meta-schema. */
  #compiler(d: Dialect): Ajv {
    const ajv = new d.Ajv({ ...COMMON, strict: false, validateSchema: false, code: { regExp: linearRegExp, process: this.#budget.instrument } });
    this.#budget.attach(ajv);
    useLinearUniqueItems(ajv);
    return ajv;
  }

  /** Compiles (only) in strict mode, for its complaints about a schema, never to check a value. */
  #strictCompiler(d: Dialect): Ajv {
    const ajv = new d.Ajv({ ...COMMON, allErrors: true, strict: true, validateSchema: false, code: { regExp: linearRegExp } });
    useLinearUniqueItems(ajv);
    return ajv;
  }

  /** The schema without its root `$schema`, and the dialect that names (the compiler's class applies it). */
  #clean(schema: object): { clean: object; dialect: Dialect } {
    const dialect = dialectOf(schema);
    const { $schema: _named, ...clean } = schema as Record<string, unknown>;
    return { clean, dialect };
  }

  /** Compiles a schema; throws with ajv's message when it is not a valid schema (or of a dialect not supported). */
  compile(schema: object, key = JSON.stringify(schema)): ValidateFunction {
    let fn = this.#cache.get(key);
    if (!fn) {
      const { clean, dialect } = this.#clean(schema);
      this.#meta(dialect).validateSchema(clean, true); // throws "schema is invalid: ...", as ajv's compile does
      fn = this.#compiler(dialect).compile(clean);
      this.#cache.set(key, fn);
    }
    return fn;
  }

  /**
   * Runs a compiled validator once, on {}: V8 compiles the generated code only at its first call
   * (up to as long again as ajv's compile). What that call threw, if anything.
   */
  firstRun(fn: ValidateFunction): Error | undefined {
    try {
      this.#budget.within(this.#budgetMs, () => fn({}));
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Problems strict mode finds in a schema that still compiles (unknown keywords and the like). */
  strictWarnings(schema: object): string[] {
    try {
      const { clean, dialect } = this.#clean(schema);
      this.#strictCompiler(dialect).compile(clean);
      return [];
    } catch (err) {
      return [String((err as Error).message)];
    }
  }

  /**
   * Error lines for `value` against `schema` (the first violation ajv finds); empty when valid.
   * A check that runs out of its time budget, or recurses without end, is a violation too.
   */
  errors(schema: object, value: unknown): string[] {
    return this.check(this.compile(schema), value);
  }

  /** errors() with a validator compile() made. */
  check(fn: ValidateFunction, value: unknown): string[] {
    try {
      if (this.#budget.within(this.#budgetMs, () => fn(value))) return [];
    } catch (err) {
      const why = err instanceof ValidationTooCostly ? err.message : err instanceof RangeError ? OUT_OF_STACK : String((err as Error).message);
      return [`(root) could not be checked: ${why}`];
    }
    return (fn.errors ?? []).map(schemaErrorLine);
  }
}

/** A source's lines, counted as a smoke run's error counts them (migration/checks.ts runError). */
function lineCount(source: string): number {
  let n = 1;
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * A tool run's breach of its limits as the tool's, not "the script's" (the worker words every run's
 * so); a wall-clock timeout at `deadline` (the call's tool timeout, its operation_timeout, or the time
 * its calling script left it), when that set its limit of `wallMs`, names it. Other messages are as they are.
 */
function toolBreachMessage(message: string, wallMs: number, deadline?: string): string {
  const wall = /^the script exceeded its wall-clock limit of (\d+) ms/.exec(message);
  if (wall && deadline && Number(wall[1]) === wallMs) {
    const named = deadline.startsWith("the call's") ? `${deadline} (operation_timeout)` : deadline;
    return `the tool exceeded ${named}${message.slice(wall[0].length)}`;
  }
  return message.replace(/^the script exceeded its /, "the tool exceeded its ");
}

/** Numbers this process's tool runs (their execution ids). */
let toolRunSeq = 0;

const tighter = (a: Level, b: Level): Level => (LEVEL_RANK[a] <= LEVEL_RANK[b] ? a : b);

/**
 * Limits for running a tool at `level`: the level table capped by the configuration and `timeoutMs`,
 * and by the memory and CPU share granted to the execution calling it (`caller`: a request's
 * resource_limits tighten those, and a tool must not be a way around them). Its result is a tool
 * call's payload: held to max_tool_payload_bytes, not to a script's max_return_bytes.
 */
export function toolLimits(config: Config, level: Level, timeoutMs: number, hostTools: string[], caller?: CallerLimits): ExecutionLimits {
  const t = LEVELS[level];
  const rl = config.resourceLimits;
  const min = (...v: (number | undefined)[]) => Math.min(...v.filter((x): x is number => x !== undefined && Number.isFinite(x)));
  const cpu = min(t.cpuShare, rl.maxCpuPercentage, caller?.cpuShare);
  return {
    memoryBytes: min(t.memoryBytes, rl.maxMemoryBytes, caller?.memoryBytes),
    wallTimeoutMs: min(t.timeoutMs, rl.maxExecutionTimeMs, timeoutMs),
    cpuShare: cpu >= 100 ? undefined : cpu,
    maxOutputBytes: config.execution.maxOutputBytes,
    maxReturnBytes: config.execution.maxToolPayloadBytes,
    maxToolPayloadBytes: config.execution.maxToolPayloadBytes,
    tools: hostTools.filter((h) => HOST_TOOL_LEVELS[h]?.includes(level)),
    toolTimeoutMs: rl.operationTimeoutMs,
    maxToolCalls: 1000,
  };
}

export const isPure = (t: Pick<StoredTool, "securityLevel" | "hostTools">) => t.securityLevel === "safe" && t.hostTools.length === 0;

export interface ToolRegistryDeps {
  config: Config;
  engine: Engine;
  tools: ToolRepository;
  schemas: SchemaValidator;
}

/** A registered tool's compiled schemas, and the schema text each was compiled from. */
interface ToolValidators {
  inputKey: string;
  outputKey: string;
  input?: ValidateFunction;
  output?: ValidateFunction;
}

export class ToolRegistry {
  readonly #d: ToolRegistryDeps;
  // By tool name, out of reach of the schema cache's eviction: a call never compiles the schemas
  // of a tool compiled at start (compileSchemas) or at its migration (the checks compile it).
  readonly #validators = new Map<string, ToolValidators>();

  constructor(deps: ToolRegistryDeps) {
    this.#d = deps;
  }

  /** `sweep` off: at start, when every tool is registered (and counting them each time would be quadratic). */
  #validatorsOf(tool: Pick<StoredTool, "name" | "inputSchema" | "outputSchema">, sweep = true): ToolValidators {
    const inputKey = tool.inputSchema ? JSON.stringify(tool.inputSchema) : "";
    const outputKey = tool.outputSchema ? JSON.stringify(tool.outputSchema) : "";
    let v = this.#validators.get(tool.name);
    if (v?.inputKey !== inputKey || v.outputKey !== outputKey) {
      v = this.#compile(tool, inputKey, outputKey);
      if (sweep) this.#keep(tool.name, v);
      else this.#validators.set(tool.name, v);
    }
    return v;
  }

  /**
   * Makes `v` the validators of the registered tool `name`. More tools with validators than
   * registered tools means some were removed (a rollback of their first migration): theirs go,
   * so what is kept is bounded by the registered tools.
   */
  #keep(name: string, v: ToolValidators): void {
    this.#validators.set(name, v);
    if (this.#validators.size <= this.#d.tools.count()) return;
    for (const other of this.#validators.keys()) if (other !== name && !this.#d.tools.has(other)) this.#validators.delete(other);
  }

  #compile(tool: Pick<StoredTool, "inputSchema" | "outputSchema">, inputKey: string, outputKey: string): ToolValidators {
    const { schemas } = this.#d;
    return { inputKey, outputKey, input: tool.inputSchema ? schemas.compile(tool.inputSchema, inputKey) : undefined, output: tool.outputSchema ? schemas.compile(tool.outputSchema, outputKey) : undefined };
  }

  /**
   * compileSchemas for one tool about to be registered (one a rollback restores): compiles its
   * schemas and runs each validator once, throwing what ajv throws, or the RangeError of a
   * validator that runs out of stack. `use()`, once the tool is registered, makes them the
   * validators its calls check with, so its first call compiles nothing.
   */
  prepareSchemas(tool: Pick<StoredTool, "name" | "inputSchema" | "outputSchema">): { schemas: number; use: () => void } {
    const v = this.#compile(tool, tool.inputSchema ? JSON.stringify(tool.inputSchema) : "", tool.outputSchema ? JSON.stringify(tool.outputSchema) : "");
    const fns = [v.input, v.output].filter((fn) => fn !== undefined);
    for (const fn of fns) {
      const err = this.#d.schemas.firstRun(fn);
      if (err instanceof RangeError) throw err;
    }
    return { schemas: fns.length, use: () => this.#keep(tool.name, v) };
  }

  /**
   * Compiles every registered tool's schemas and runs each validator once (V8's own compile), so
   * that no call does it on the event loop; for the server's start, before it serves. A schema that
   * does not compile is left to fail its calls as it always did.
   */
  compileSchemas(): { tools: number; schemas: number; ms: number; failed: { tool: string; error: string }[] } {
    const t0 = performance.now();
    let tools = 0;
    let schemas = 0;
    const failed: { tool: string; error: string }[] = [];
    for (let after = "", page: StoredTool[]; (page = this.#d.tools.list(after, "", 100)).length; after = page[page.length - 1].name) {
      for (const t of page) {
        tools++;
        try {
          const v = this.#validatorsOf(t, false);
          for (const fn of [v.input, v.output]) if (fn) (schemas++, this.#d.schemas.firstRun(fn));
        } catch (err) {
          // Not a schema this server compiles (stored before a check refused it, or by a server that
          // read it otherwise: a pattern RE2 took that ECMA-262 does not): each call says why, and the
          // operator hears it now.
          failed.push({ tool: t.name, error: String((err as Error)?.message ?? err) });
        }
      }
    }
    return { tools, schemas, ms: Math.round(performance.now() - t0), failed };
  }

  /** For grantFor: registered script tools, whether each is pure (Safe, no host tools), and the host tools it uses. */
  describe = (name: string): { pure: boolean; hostTools: string[] } | undefined => {
    const t = this.#d.tools.get(name);
    return t ? { pure: isPure(t), hostTools: [...t.hostTools] } : undefined;
  };

  /** The bridge's runner for `ctx.tools.<name>(args)`. */
  run = async (name: string, args: JsonValue | undefined, signal: AbortSignal, caller?: ToolCaller): Promise<JsonValue | undefined> => {
    const tool = this.#d.tools.get(name);
    if (!tool) {
      this.#validators.delete(name);
      throw new ToolError(`no tool named ${name}`);
    }
    // The grant was checked against the tool as it was when the script started; it may have been
    // migrated anew since (now using http, say): the caller's rights hold at every call.
    const denied = caller?.hostTools && tool.hostTools.find((h) => !caller.hostTools!.includes(h));
    if (denied) throw new ToolError(`the ${name} tool uses ${denied}, which this caller may not use`, "security_violation");
    const over = storedSourceOver(tool, this.#d.config.maxSourceSize);
    if (over) throw new ToolError(over.message);
    // No argument is an empty object (a tool's main(args) may read args.x); null is the script's null.
    const input = args === undefined ? {} : args;
    // As deep as a return value may be: a schema's recursion goes no deeper than the value does.
    if (valueNestsDeeper(input, MAX_VALUE_DEPTH)) throw new ToolError(`INVALID_ARGUMENT: arguments of tool ${name} nest deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects`);
    const validators = this.#validatorsOf(tool);
    if (validators.input) {
      const errs = this.#d.schemas.check(validators.input, input);
      if (errs.length) throw new ToolError(`INVALID_ARGUMENT: arguments of tool ${name} do not match its input schema: ${errs.join("; ")}`);
    }
    const level = caller ? tighter(caller.level, tool.securityLevel) : tool.securityLevel;
    // The tool's own run ends within the caller's call (caller.timeoutMs: the tool timeout, or the
    // caller's remaining wall time less the margin it needs to catch the tool's error), before its
    // caller's deadline passes. Its own limit is the operation timeout's; its CPU share is of the
    // shorter of the two, the time it has (execute).
    const timeoutMs = this.#d.config.resourceLimits.operationTimeoutMs;
    const refused: Refusals = { count: 0, first: "" };
    const outcome = await this.execute(tool, input, level, timeoutMs, signal, caller?.executionId, { network: caller?.network, workingDirectory: caller?.workingDirectory, deadlineMs: caller?.timeoutMs, deadlineByCaller: caller?.byCaller, callerLimits: caller?.limits, refusals: refused });
    caller?.reportIo?.(outcome.usage.networkIoBytes, outcome.usage.fileIoBytes);
    // Calls refused to the tool for security are its caller's escape attempts, caught by the tool or not.
    if (caller?.refusals) addToolRefusals(caller.refusals, name, refused, outcome.refusedToolCalls, outcome.error?.kind === "security_violation");
    if (!outcome.success) {
      const e = outcome.error;
      // The run's return cap is the tool cap (toolLimits): told as the call's result, naming its key, as
      // a result the host refuses is (engine/pool.ts handleTool), not as a script's return value.
      const over = e?.kind === "output_limit" ? /^the return value exceeds (\d+) bytes of JSON$/.exec(e.message) : null;
      if (over) throw new ToolError(`result exceeds ${over[1]} bytes of JSON (execution.max_tool_payload_bytes)`);
      // The bridge says which tool failed; this says how, and where in the tool's source it threw, as
      // a smoke run says it (the module's footer, past the source's lines, is not the tool's).
      const at = e && e.line > 0 && e.line <= lineCount(tool.source) ? ` (line ${e.line}, column ${e.column})` : "";
      // A thrown value that is not an Error has no name ("Uncaught"): told by its value alone, as a script's own is.
      const what = e && (e.name === "Uncaught" ? e.message : `${e.name}: ${e.message}`);
      throw new ToolError(e ? `${what}${at}` : "unknown error", e?.kind === "security_violation" ? "security_violation" : "tool_error");
    }
    if (validators.output) {
      // Returning nothing is checked as null: a declared output is a promise to return one.
      const errs = this.#d.schemas.check(validators.output, outcome.returnValue ?? null);
      if (errs.length) throw new ToolError(`tool ${name} returned a value that does not match its output schema: ${errs.join("; ")}`);
    }
    return outcome.returnValue;
  };

  /**
   * Runs a tool's script once. Host tools the source uses are granted when `level` grants them;
   * `hostTools` replaces the real host tools (smoke runs never reach the network or the disk); the fs
   * tool reads in `workingDirectory`, its calling script's.
   * `caller` counts the run against that caller's concurrent executions (a migration's describe
   * and smoke runs); a tool called from a script has none: its script already holds the slot.
   * `deadlineMs`, the time its calling script's call may take, may cut the wall limit, and so its CPU
   * budget (the level's share of the time the tool has, as for an execution's deadline): a stop by that
   * budget then says it was a share of what its caller left it, or of the call's tool timeout (the
   * request's operation_timeout) when that, not the caller's time, set the deadline (deadlineByCaller false).
   * `refusals` counts the host tool calls its bridge refuses for security (caught by the tool or not).
   * `callerLimits`, its calling script's granted memory and CPU share, cap the run's own (toolLimits).
   */
  execute(
    tool: Pick<StoredTool, "name" | "source" | "language" | "hostTools">,
    args: JsonValue,
    level: Level,
    timeoutMs: number,
    signal?: AbortSignal,
    parentExecutionId?: string,
    options: { env?: Record<string, string>; hostTools?: ToolCallback; network?: NetworkBudget; workingDirectory?: string; caller?: { key: string; limit: number }; deadlineMs?: number; deadlineByCaller?: boolean; callerLimits?: CallerLimits; refusals?: Refusals } = {},
  ): Promise<ExecutionOutcome> {
    const { config, engine } = this.#d;
    const own = toolLimits(config, level, timeoutMs, tool.hostTools, options.callerLimits);
    const deadlineMs = options.deadlineMs ?? Infinity;
    const limits = deadlineMs < own.wallTimeoutMs ? { ...own, wallTimeoutMs: deadlineMs } : own;
    const outcome = engine.execute(
      {
        source: toolModuleSource(tool.source),
        language: tool.language,
        kind: "module",
        filename: `${tool.name}.${tool.language === "typescript" ? "ts" : "js"}`,
        arguments: args,
        env: options.env ?? {},
        limits,
        // Numbered: parallel calls of one tool, in the same millisecond too, are told apart (logs, blame, traces).
        executionId: parentExecutionId ? `${parentExecutionId}/tool:${tool.name}:${(++toolRunSeq).toString(36)}` : undefined,
        parentExecutionId,
        scriptId: `tool:${tool.name}`,
        notCounted: true,
        caller: options.caller,
        onToolCall:
          options.hostTools ??
          countRefusals(
            toolBridge({
              level,
              workingDirectory: options.workingDirectory,
              fsRoots: config.tools.fsRoots,
              ...hostToolOptions(config),
              network: options.network ?? config.resourceLimits.maxNetworkRequests,
              // A tool calls host tools only; registered tools do not call each other (no recursion).
            }),
            options.refusals ?? { count: 0, first: "" },
          ),
      },
      signal,
    );
    // The request's tool timeout (its operation_timeout) or the caller's remaining time set the deadline
    // when it is no longer than the tool's own limit.
    const byDeadline = deadlineMs <= own.wallTimeoutMs;
    const left = options.deadlineByCaller === false ? `the call's ${limits.wallTimeoutMs} ms tool timeout` : `the ${limits.wallTimeoutMs} ms its calling script left it`;
    // Told as a share of its caller's time only when that time made its budget smaller.
    const shareOfDeadline = cpuBudgetMs(limits) < cpuBudgetMs(own);
    return outcome.then((o) => {
      if (!o.error) return o;
      let message = o.error.limit === "cpu_time" && shareOfDeadline ? cpuShareOfDeadline(o.error.message, limits, "the tool", left) : o.error.message;
      if (o.error.kind === "timeout" || o.error.kind === "memory_limit") message = toolBreachMessage(message, limits.wallTimeoutMs, byDeadline ? left : undefined);
      return message === o.error.message ? o : { ...o, error: { ...o.error, message } };
    });
  }
}
