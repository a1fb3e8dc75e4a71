// The named validation checks of a migration, run against the engine:
//   source_readable  the source could be read (inside the root, a file, not empty, not too big)
//   compiles         the engine compiles the tool's module, whose footer fits TOOL_MODULE_ROOM
//   metadata_valid   the module loads and names a valid tool: name, description, version, tags
//                    (within TOOL_META_LIMITS), call
//   input_schema_valid  inputSchema (and outputSchema) are JSON Schemas ajv compiles
//   forbidden_apis   no host API the engine lacks (require, process, fetch, eval, Node.js and browser
//                    globals: engine-globals.ts), no call of another registered tool, and host tools
//                    (http, fs) only when the tool's security level grants them; code only, not
//                    comments or the text of literals (code-text.ts)
//   smoke_run        the tool runs once with the given or a generated input; host tools answer with a
//                    stub; its result must match outputSchema (enforced on every call); a WARNING,
//                    not run, when no generated input matches the schema
//   original_unchanged  (validation of a migrated tool only) its legacy source still has the migrated hash
// A check is SKIPPED when the ValidationConfig disables it or a check it depends on failed.
import { create } from "@bufbuild/protobuf";
import { ValidationCheckSchema, ValidationIssueSchema, ValidationStatus, type ValidationCheck, type ValidationIssue } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { Severity } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { CompileError, EngineError, MAX_VALUE_DEPTH, cpuBudgetMs, valueNestsDeeper, type Engine, type ExecutionError, type ExecutionLimits, type JsonObject } from "../engine/index.ts";
import type { Config, Level } from "../config/types.ts";
import { durationOf } from "../api/duration.ts";
import { serviceError } from "../errors.ts";
import { DESCRIBE_ENV, HOST_TOOL_LEVELS, forbiddenApis, hostToolUse, moduleOverflow, parseToolSource, toolModuleSource, type DescribedTool } from "../tools/registry-source.ts";
import { OUT_OF_STACK, toolLimits, type SchemaValidator, type ToolRegistry } from "../tools/registry.ts";
import type { LegacyTool } from "./legacy.ts";
import { codeOnly } from "./code-text.ts";
import { engineGlobalsFindings } from "./engine-globals.ts";
import { typeStripperStarted } from "../engine/source.ts";
import { generatedInput } from "./smoke-input.ts";
import { lineCount } from "./source-lines.ts";
import { toolMetaProblems } from "./tool-meta.ts";

export const CHECKS = ["source_readable", "compiles", "metadata_valid", "input_schema_valid", "forbidden_apis", "smoke_run"] as const;
export const VALIDATE_CHECKS = [...CHECKS, "original_unchanged"] as const;
export type CheckName = (typeof VALIDATE_CHECKS)[number];

const DEPENDS: Record<CheckName, CheckName[]> = {
  source_readable: [],
  compiles: ["source_readable"],
  metadata_valid: ["compiles"],
  input_schema_valid: ["metadata_valid"],
  forbidden_apis: ["source_readable"],
  smoke_run: ["metadata_valid", "input_schema_valid", "forbidden_apis"],
  original_unchanged: [],
};

export interface ValidationOptions {
  checks: string[];
  skipChecks: string[];
  strict: boolean;
  smokeArguments?: JsonObject;
  smokeTimeoutMs: number;
  /**
   * Whose runs the describe and smoke runs are, for the engine's per-caller concurrency (like the
   * caller's own scripts at that level); unset for the server's own. A function, so it is never
   * stored with a migration's config.
   */
  caller?: (level: Level) => { key: string; limit: number };
}

export function checkValidationOptions(o: ValidationOptions, allowed: readonly string[], field: string): void {
  for (const name of [...o.checks, ...o.skipChecks]) {
    if (!allowed.includes(name)) {
      throw serviceError("VALIDATION_ERROR", `unknown check "${name}" (checks: ${allowed.join(", ")})`, { field });
    }
  }
  if (!(o.smokeTimeoutMs > 0)) throw serviceError("VALIDATION_ERROR", "smoke_run_timeout must be positive", { field: `${field}.smoke_run_timeout` });
}

export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/**
 * A tool name given in a request: a name no tool could have is the caller's error, refused before
 * anything is recorded (it would be echoed in every result and stored with the migration).
 */
export function checkToolName(name: string, field: string): void {
  if (!NAME_RE.test(name)) throw serviceError("VALIDATION_ERROR", `${field} must be 1-64 letters, digits, _ or -, starting with a letter or _`, { field });
}
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const RESERVED = new Set(["http", "fs", "call"]);
/** Names every object already has (`toString`, `__proto__`, ...): as a key of `ctx.tools` or of a
 * lookup table they would find the inherited member instead of the tool. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The tool as the checks found it. */
export interface CheckedTool {
  name: string;
  legacyId: string;
  description: string;
  /** The tool's, or 1.0.0 assumed when it exports none; a placeholder until the module loaded (`loaded`). */
  version: string;
  /** The module loaded and described itself (metadata_valid ran): its fields are its own, not placeholders. */
  loaded: boolean;
  tags: string[];
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  hostTools: string[];
  hasCall: boolean;
}

export interface CheckReport {
  checks: ValidationCheck[];
  issues: ValidationIssue[];
  /** Error lines (check: message) that stop a migration. */
  errors: string[];
  warnings: string[];
  status: ValidationStatus;
  tool: CheckedTool;
  /** Whether the tool can be registered at all (readable, compiles, named, has call). */
  registrable: boolean;
}

interface Finding {
  severity: "error" | "warning";
  message: string;
  fixable?: boolean;
  suggestion?: string;
}

export interface CheckInput {
  legacy: LegacyTool;
  /** The name asked for (empty: whatever the tool says). */
  expectedName: string;
  /** expectedName is the request's tool_name (not guessed from a file's name): a tool that names itself nothing takes it. */
  nameGiven?: boolean;
  level: Level;
  options: ValidationOptions;
  /** Extra checks (original_unchanged), computed by the caller. */
  extra?: Partial<Record<CheckName, () => Finding[]>>;
  enabledNames?: readonly CheckName[];
  /** The caller's: aborted, the engine stops the describe and smoke runs (CANCELLED). */
  signal?: AbortSignal;
}

export interface CheckDeps {
  config: Config;
  engine: Engine;
  registry: ToolRegistry;
  schemas: SchemaValidator;
}

/**
 * A bound on a schema's text. What its compile costs is bounded by structure (MAX_SCHEMA_NODES):
 * 32 KiB of JSON held 1,200 properties, whose compile took 0.5-2 s.
 */
export const MAX_SCHEMA_BYTES = 32 * 1024;

/**
 * A tool's schemas are compiled by ajv on the server's event loop, at migration and when the
 * server starts (never on a call), in time and generated code about linear in their keywords,
 * property names and list entries (schemaNodes): 0.05-0.15 ms each on a busy 2-core machine, so
 * 50-150 ms at this bound, and the validator's first run (V8 compiling the generated code) up to
 * as much again. That code also nests one level per property, and V8 cannot compile it past
 * ~1,450 levels (a RangeError on every check): this bound keeps well below.
 */
export const MAX_SCHEMA_NODES = 1000;

/** Keywords whose value is a map of names to schemas (or, for dependencies, to lists of names). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"]);
/** Keywords whose value is a schema or a list of schemas. */
const SUBSCHEMAS = new Set([
  "additionalProperties", "items", "additionalItems", "prefixItems", "contains", "propertyNames", "not", "if", "then", "else",
  "allOf", "anyOf", "oneOf", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
]);

/** Keywords whose value is a list ajv compiles entry by entry (up to loopEnum, loopRequired). */
const LISTS = new Set(["enum", "required", "type"]);

/**
 * What ajv compiles of a schema: its keywords, the names of its maps (properties...) and the
 * entries of its lists (enum, required, type, allOf...), through every subschema. Data (const,
 * default, examples, unknown keywords) counts as its keyword only: ajv compiles none of it into code.
 */
export function schemaNodes(schema: unknown): number {
  if (schema === null || typeof schema !== "object") return 1;
  if (Array.isArray(schema)) return schema.reduce((n: number, s) => n + schemaNodes(s), 0);
  let n = 0;
  for (const [key, value] of Object.entries(schema)) {
    n += 1;
    if (SCHEMA_MAPS.has(key) && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const sub of Object.values(value)) n += 1 + (Array.isArray(sub) ? sub.length : schemaNodes(sub));
    } else if (SUBSCHEMAS.has(key)) {
      n += schemaNodes(value);
    } else if (LISTS.has(key) && Array.isArray(value)) {
      n += value.length;
    }
  }
  return n;
}

/**
 * Why a compiled schema cannot check anything, or undefined. Its first run may throw a RangeError
 * (V8 compiles ajv's code at that call): then every call of the tool would.
 */
function unusable(schemas: SchemaValidator, schema: object): string | undefined {
  return schemas.firstRun(schemas.compile(schema)) instanceof RangeError ? OUT_OF_STACK : undefined;
}

/**
 * Why a schema is too big to compile on the event loop (said after its name: "is ..." or "has ..."),
 * with the numbers for an error's metadata; undefined when it is not.
 */
export function oversized(schema: unknown): { why: string; metadata: Record<string, number> } | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > MAX_SCHEMA_BYTES) return { why: `is ${bytes} bytes of JSON, over the ${MAX_SCHEMA_BYTES}-byte limit`, metadata: { bytes, limit: MAX_SCHEMA_BYTES } };
  const nodes = schemaNodes(schema);
  if (nodes > MAX_SCHEMA_NODES) {
    return { why: `has ${nodes} keywords, property names and list entries, over the limit of ${MAX_SCHEMA_NODES} (its validator is compiled on the server's event loop)`, metadata: { nodes, limit: MAX_SCHEMA_NODES } };
  }
  return undefined;
}

/**
 * A describe or smoke run's error: `Name: message`, and where the legacy source threw it (the
 * engine's first script frame; the module's footer, past the source's lines, is not the tool's).
 */
function runError(e: ExecutionError | undefined, source: string): string {
  if (!e) return "unknown error";
  const at = e.line > 0 && e.line <= lineCount(source) ? ` (line ${e.line}, column ${e.column})` : "";
  return `${e.name}: ${e.message}${at}`;
}

/**
 * The limit a smoke run that timed out hit (the engine says which): its wall time, smoke_run_timeout
 * within the tool level's and the configuration's cap, or its CPU budget, the level's share of that.
 */
function smokeTimeout(e: ExecutionError, limits: ExecutionLimits): string {
  if (e.limit !== "cpu_time") return `the smoke run timed out after ${limits.wallTimeoutMs} ms`;
  const share = limits.cpuShare === undefined ? "" : ` (${limits.cpuShare}% of its ${limits.wallTimeoutMs} ms)`;
  return `the smoke run used up its CPU time limit of ${cpuBudgetMs(limits)} ms${share}`;
}

const hostStub = async (name: string): Promise<unknown> => {
  if (name === "http") return { status: 200, headers: { "content-type": "application/json" }, body: "{}", smokeRun: true };
  if (name === "fs") return { content: "", entries: [], smokeRun: true };
  throw new Error(`no tool named ${name} in a smoke run`);
};

/**
 * The engine could not do what a check asked: every EngineError but INVALID_ARGUMENT, that is
 * ENGINE_STOPPED (Stop, shutdown), WORKER_CRASHED (a worker lost under the check and not pinned on
 * it: a tool breaching its own limits is an outcome, not an EngineError), QUEUE_FULL and
 * RESOURCE_EXCEEDED (the engine is full), TIMEOUT (a compile that waited behind busy workers) and
 * CANCELLED. None says anything about the tool, so the run ends with the engine's own error (its
 * gRPC code, retryable) rather than a finding. INVALID_ARGUMENT is about the job, so it is one.
 */
export function engineUnavailable(err: unknown): err is EngineError {
  return err instanceof EngineError && err.reason !== "INVALID_ARGUMENT";
}

/**
 * What the checks read from a tool's source: its engine module (and whether it outgrows its room),
 * its code only, and the host tools it uses. The source is parsed once, for all of them (acorn's
 * cost grows with the square of the names one scope declares: parsing it again was another stall of
 * the event loop), and its tree is not held past here.
 */
export function readSource(source: string, language: "javascript" | "typescript") {
  const tree = parseToolSource(source);
  const code = codeOnly(source, language);
  return { wrapped: toolModuleSource(source, tree), overflow: moduleOverflow(source, tree), code, hostUse: hostToolUse(code, tree), globals: engineGlobalsFindings(source, tree) };
}

/** Runs the checks. Never throws for a bad tool: everything is reported; the engine's own failures are thrown. */
export async function runChecks(deps: CheckDeps, input: CheckInput): Promise<CheckReport> {
  const { legacy, level, options } = input;
  const all = input.enabledNames ?? CHECKS;
  const enabled = (c: CheckName) => all.includes(c) && (options.checks.length === 0 || options.checks.includes(c)) && !options.skipChecks.includes(c);
  const results = new Map<CheckName, { findings: Finding[]; ms: number; skipped?: string }>();
  const failed = (c: CheckName) => {
    const r = results.get(c);
    return !r || r.skipped !== undefined || r.findings.some((f) => f.severity === "error");
  };
  const tool: CheckedTool = { name: input.expectedName, legacyId: "", description: "", version: "1.0.0", loaded: false, tags: [], inputSchema: null, outputSchema: null, hostTools: [], hasCall: false };
  const blocking: string[] = [];
  const source = legacy.source ?? "";
  // TypeScript is stripped on this thread, the server's: the stripper's own thread loads without holding it.
  if (legacy.language === "typescript") await typeStripperStarted();
  const { wrapped, overflow, code, hostUse, globals } = readSource(source, legacy.language);
  let described: DescribedTool | undefined;

  const run = async (c: CheckName, fn: () => Promise<Finding[]> | Finding[]) => {
    const dep = DEPENDS[c].find((d) => failed(d));
    const t0 = performance.now();
    if (dep) {
      results.set(c, { findings: [], ms: 0, skipped: `skipped: ${dep} did not pass` });
      return;
    }
    const findings = await fn();
    results.set(c, { findings, ms: performance.now() - t0 });
  };

  // source_readable (a legacy file over max_source_size is a readError; a live tool's source was
  // stored under the limit of its migration, which may have been lowered since)
  const size = Buffer.byteLength(source);
  const unreadable = legacy.readError ?? (size > deps.config.maxSourceSize ? `the source is ${size} bytes, over max_source_size (${deps.config.maxSourceSize})` : undefined);
  await run("source_readable", () => (unreadable ? [{ severity: "error", message: unreadable }] : []));
  if (unreadable) blocking.push(unreadable);

  // compiles
  await run("compiles", async () => {
    if (overflow) {
      blocking.push(`does not compile: ${overflow}`);
      return [{ severity: "error", message: `does not compile: ${overflow}`, suggestion: "export the tool's fields under shorter local names" }];
    }
    try {
      const r = await deps.engine.compile(wrapped, { language: legacy.language, kind: "module", filename: legacy.ref.path });
      return r.diagnostics.filter((d) => d.severity === "error").map((d) => ({ severity: "error" as const, message: `line ${d.line}: ${d.message}` }));
    } catch (err) {
      if (engineUnavailable(err)) throw err;
      const where = err instanceof CompileError && err.line ? (err.line > lineCount(source) ? " (at the end of the source: is a block left open?)" : ` (line ${err.line}, column ${err.column})`) : "";
      const msg = err instanceof CompileError ? `${err.message}${where}` : String((err as Error).message ?? err);
      blocking.push(`does not compile: ${msg}`);
      return [{ severity: "error", message: `does not compile: ${msg}`, suggestion: "fix the syntax error in the legacy source" }];
    }
  });

  // metadata_valid (loading the module in the engine, at Safe level, no host tools)
  await run("metadata_valid", async () => {
    const out = await deps.registry.execute({ name: "describe", source, language: legacy.language, hostTools: [] }, {}, "safe", 5000, input.signal, undefined, {
      env: { ...DESCRIBE_ENV },
      caller: options.caller?.("safe"),
      hostTools: async () => {
        throw new Error("host tools are not available while a tool module loads");
      },
    });
    if (!out.success || !out.returnValue || typeof out.returnValue !== "object") {
      // The describe run returns the tool's exports; over the engine's return cap, that is its metadata.
      const why = out.error?.kind === "output_limit" ? `the tool's metadata (name, description, version, tags, schemas) is too large: ${out.error.message}` : out.error ? runError(out.error, source) : "it returned nothing";
      blocking.push(`the module failed to load: ${why}`);
      // CommonJS is read in one form only (tools/tool-exports.ts): say which, where another failed.
      const commonJs = /\b(?:module|exports) is not defined\b/.test(why)
        ? { suggestion: "a CommonJS tool is read from one `module.exports = { ... }` at its top level; for `exports.x = ...` or `module.exports.x = ...`, write ES exports (`export const x = ...`)" }
        : {};
      return [{ severity: "error", message: `the module failed to load: ${why}`, ...commonJs }];
    }
    described = { ...(out.returnValue as DescribedTool) };
    tool.loaded = true;
    for (const [k, v] of Object.entries(legacy.manifest ?? {})) if (v !== undefined) (described as Record<string, unknown>)[k] = v;
    const f: Finding[] = [];
    const d = described;
    // A tool that names itself nothing (a file default-exporting its call function, say) takes
    // the tool_name it is migrated under; a name guessed from its file's name does not name it.
    const unnamed = d.name === undefined || d.name === null;
    if (unnamed && input.nameGiven && input.expectedName) d.name = input.expectedName;
    if (typeof d.name !== "string" || !NAME_RE.test(d.name)) {
      const suggestion = unnamed
        ? "name the tool (export const name = \"my_tool\", or a name field of module.exports), or migrate the file with tool_name set (and config.source.file_path)"
        : "export const name = \"my_tool\"";
      f.push({ severity: "error", message: `name must be 1-64 letters, digits, _ or - starting with a letter or _ (got ${JSON.stringify(d.name ?? null)})`, suggestion });
    } else if (RESERVED.has(d.name)) {
      f.push({ severity: "error", message: `the name ${d.name} is reserved for a built-in tool` });
    } else if (INHERITED.has(d.name)) {
      f.push({ severity: "error", message: `the name ${d.name} is a property every JavaScript object has, so ctx.tools.${d.name} could not be the tool`, suggestion: "rename the tool" });
    } else if (input.expectedName && d.name !== input.expectedName) {
      f.push({ severity: "error", message: `the source names the tool ${d.name}, not ${input.expectedName}`, suggestion: "leave tool_name empty or use the tool's own name" });
    } else {
      tool.name = d.name;
    }
    if (typeof d.description !== "string" || !d.description.trim()) f.push({ severity: "warning", message: "the tool has no description", suggestion: "export const description = \"...\"" });
    else tool.description = d.description;
    if (d.version === undefined) f.push({ severity: "warning", message: "the tool has no version; 1.0.0 is assumed" });
    else if (typeof d.version !== "string" && typeof d.version !== "number") f.push({ severity: "error", message: "version must be a string" });
    else tool.version = String(d.version);
    if (d.tags !== undefined && (!Array.isArray(d.tags) || d.tags.some((t) => typeof t !== "string"))) f.push({ severity: "error", message: "tags must be an array of strings" });
    else tool.tags = (d.tags as string[] | undefined) ?? [];
    for (const message of toolMetaProblems(tool)) f.push({ severity: "error", message });
    if (d.id !== undefined) {
      if (typeof d.id === "string" && ID_RE.test(d.id)) tool.legacyId = d.id;
      else f.push({ severity: "warning", message: `the legacy id ${JSON.stringify(d.id)} is not a valid tool id and is ignored` });
    }
    tool.hasCall = d.hasCall === true;
    if (!tool.hasCall) f.push({ severity: "error", message: "the tool exports no call function", suggestion: "export async function call(args, ctx) { ... } (or export default it)" });
    for (const e of f.filter((x) => x.severity === "error")) blocking.push(e.message);
    return f;
  });
  if (!tool.name && typeof described?.name === "string" && NAME_RE.test(described.name)) tool.name = described.name;

  // input_schema_valid
  await run("input_schema_valid", () => {
    const f: Finding[] = [];
    const d = described ?? {};
    let tooBig: ReturnType<typeof oversized>;
    if (d.inputSchema === undefined || d.inputSchema === null) {
      f.push({ severity: "warning", message: "the tool has no inputSchema: its arguments are not validated", fixable: true, suggestion: "declare inputSchema, or let auto_fix infer one from the source" });
    } else if (typeof d.inputSchema !== "object" || Array.isArray(d.inputSchema)) {
      f.push({ severity: "error", message: "inputSchema must be a JSON Schema object" });
    } else if (valueNestsDeeper(d.inputSchema, MAX_VALUE_DEPTH)) {
      f.push({ severity: "error", message: `inputSchema nests deeper than ${MAX_VALUE_DEPTH} levels (it could not be listed through the API)` });
    } else if ((tooBig = oversized(d.inputSchema))) {
      f.push({ severity: "error", message: `inputSchema ${tooBig.why}` });
    } else {
      try {
        // Run once too: V8 compiles the generated code at its first call, paid here, not by a call.
        const why = unusable(deps.schemas, d.inputSchema);
        if (why) {
          f.push({ severity: "error", message: `inputSchema cannot be used: ${why}` });
        } else {
          tool.inputSchema = d.inputSchema as Record<string, unknown>;
          const type = (d.inputSchema as { type?: unknown }).type;
          if (type !== undefined && type !== "object") f.push({ severity: "warning", message: `inputSchema has type ${JSON.stringify(type)}; MCP tools take an object` });
          for (const w of deps.schemas.strictWarnings(d.inputSchema)) f.push({ severity: "warning", message: `inputSchema: ${w}` });
        }
      } catch (err) {
        f.push({ severity: "error", message: `inputSchema is not a valid JSON Schema: ${(err as Error).message}` });
      }
    }
    if (d.outputSchema !== undefined && d.outputSchema !== null) {
      try {
        if (typeof d.outputSchema !== "object" || Array.isArray(d.outputSchema)) throw new Error("not an object");
        if (valueNestsDeeper(d.outputSchema, MAX_VALUE_DEPTH)) throw new Error(`it nests deeper than ${MAX_VALUE_DEPTH} levels`);
        if ((tooBig = oversized(d.outputSchema))) throw new Error(`it ${tooBig.why}`);
        const why = unusable(deps.schemas, d.outputSchema);
        if (why) f.push({ severity: "error", message: `outputSchema cannot be used: ${why}` });
        else tool.outputSchema = d.outputSchema as Record<string, unknown>;
      } catch (err) {
        f.push({ severity: "error", message: `outputSchema is not a valid JSON Schema: ${(err as Error).message}` });
      }
    }
    return f;
  });

  // forbidden_apis
  // Code only (readSource): a comment saying "never use eval()" is not a use of it.
  tool.hostTools = hostUse.names;
  await run("forbidden_apis", () => {
    const plain = forbiddenApis(code);
    const f: Finding[] = plain.map((x) => ({ severity: x.severity, message: `line ${x.line}: ${x.message}` }));
    // Globals the engine lacks and calls of other tools, from the tree; `process` once, where both find it.
    for (const g of globals) {
      if (!plain.some((x) => x.message === g.message)) f.push({ severity: g.severity, message: `line ${g.line}: ${g.message}`, ...(g.suggestion ? { suggestion: g.suggestion } : {}) });
    }
    // A host tool named only at run time is not granted: said here, not first at a call that fails.
    for (const line of hostUse.dynamic) {
      f.push({ severity: "warning", message: `line ${line}: the tools object is used in a way the check cannot follow (indexed by a computed name, or passed on): a host tool reached only that way is not granted; name it in the code`, suggestion: "write ctx.tools.http or ctx.tools.fs where the tool calls one" });
    }
    for (const h of tool.hostTools) {
      if (!HOST_TOOL_LEVELS[h]?.includes(level)) {
        f.push({ severity: "error", message: `the tool calls the ${h} host tool, which level ${level} does not grant`, suggestion: `migrate it at level ${HOST_TOOL_LEVELS[h][0]} or higher` });
      }
    }
    return f;
  });

  // smoke_run (only when enabled: it runs the tool)
  if (enabled("smoke_run")) {
    await run("smoke_run", async () => {
      let args = options.smokeArguments;
      // A failure on an input the caller did not give may be the input's: the finding says what to pass.
      let suggestion: string | undefined;
      if (args !== undefined) {
        // The caller's own input: not matching the schema is the caller's (or the schema's) error.
        const errs = tool.inputSchema ? deps.schemas.errors(tool.inputSchema, args) : [];
        if (errs.length) return [{ severity: "error", message: `the given smoke_run_arguments do not match inputSchema: ${errs.join("; ")}` }];
      } else {
        // A generated input that does not match says nothing about the tool: it is not run.
        const g = generatedInput(deps.schemas, tool.inputSchema);
        if (!g.ok) {
          return [{ severity: "warning", message: `not run: could not generate an input that matches inputSchema (${g.why}); pass smoke_run_arguments`, suggestion: "set validation.smoke_run_arguments to a valid input" }];
        }
        args = g.args;
        suggestion = tool.inputSchema
          ? "it ran with an input generated from inputSchema: if the tool needs another, set validation.smoke_run_arguments to an input it takes"
          : "it ran with {}, as the tool declares no inputSchema: set validation.smoke_run_arguments to an input the tool takes (or declare inputSchema)";
      }
      const out = await deps.registry.execute({ name: tool.name || "tool", source, language: legacy.language, hostTools: tool.hostTools }, args, level, options.smokeTimeoutMs, input.signal, undefined, {
        hostTools: hostStub,
        caller: options.caller?.(level),
      });
      if (!out.success) {
        const e = out.error;
        if (e?.kind === "timeout") return [{ severity: "error", message: smokeTimeout(e, toolLimits(deps.config, level, options.smokeTimeoutMs, tool.hostTools)) }];
        return [{ severity: "error", message: `the smoke run failed: ${runError(e, source)}`, ...(suggestion ? { suggestion } : {}) }];
      }
      if (tool.outputSchema) {
        // Enforced on every call (nothing returned is checked as null): a result that breaks it is a call that fails.
        const errs = deps.schemas.errors(tool.outputSchema, out.returnValue ?? null);
        if (errs.length) {
          return [{ severity: "error", message: `the smoke run's result does not match outputSchema, so the tool's calls would fail: ${errs.join("; ")}`, suggestion: "return what outputSchema declares, or correct outputSchema" }];
        }
      }
      return [];
    });
  }

  for (const [name, fn] of Object.entries(input.extra ?? {}) as [CheckName, () => Finding[]][]) {
    if (enabled(name)) await run(name, fn);
  }

  // Report, in the documented order.
  const checks: ValidationCheck[] = [];
  const issues: ValidationIssue[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  let overall = ValidationStatus.PASSED;
  for (const name of all) {
    const r = results.get(name);
    if (!enabled(name) || !r) {
      checks.push(create(ValidationCheckSchema, { name, status: ValidationStatus.SKIPPED, message: "disabled by the validation config", duration: durationOf(0) }));
      continue;
    }
    if (r.skipped) {
      checks.push(create(ValidationCheckSchema, { name, status: ValidationStatus.SKIPPED, message: r.skipped, duration: durationOf(0) }));
      continue;
    }
    const hasError = r.findings.some((f) => f.severity === "error");
    const hasWarning = r.findings.some((f) => f.severity === "warning");
    const status = hasError || (options.strict && hasWarning) ? ValidationStatus.FAILED : hasWarning ? ValidationStatus.WARNING : ValidationStatus.PASSED;
    if (status === ValidationStatus.FAILED) overall = ValidationStatus.FAILED;
    else if (status === ValidationStatus.WARNING && overall === ValidationStatus.PASSED) overall = ValidationStatus.WARNING;
    checks.push(
      create(ValidationCheckSchema, {
        name,
        status,
        message: r.findings.length ? r.findings.map((f) => f.message).join("; ") : "passed",
        duration: durationOf(r.ms),
      }),
    );
    for (const f of r.findings) {
      const severity = f.severity === "error" || options.strict ? Severity.ERROR : Severity.WARNING;
      issues.push(create(ValidationIssueSchema, { check: name, severity, message: f.message, fixable: f.fixable ?? false, suggestion: f.suggestion ?? "" }));
      (severity === Severity.ERROR ? errors : warnings).push(`${name}: ${f.message}`);
    }
  }
  // Whatever stops registration is an error even when its check was disabled.
  for (const b of blocking) if (!errors.some((e) => e.endsWith(b))) errors.push(`cannot register: ${b}`);
  if (blocking.length) overall = ValidationStatus.FAILED;
  if (!tool.name) {
    overall = ValidationStatus.FAILED;
    if (!errors.length) errors.push("cannot register: the tool has no valid name");
  }
  return { checks, issues, errors, warnings, status: overall, tool, registrable: blocking.length === 0 && Boolean(tool.name) && tool.hasCall };
}
