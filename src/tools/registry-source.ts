// How a tool's source becomes an engine script, and what can be learned from its text.
//
// A tool file is an ES module exporting `name`, `description`, `inputSchema`, optional
// `outputSchema`, `version`, `tags` (and optionally `id`) plus a `call(args, ctx)` function, either as
// named exports or as a default-exported object; or it default-exports the call function itself.
// The engine runs modules through their default export, so the tool's own default export is made a
// local (tools/tool-exports.ts, in place: positions stay) and a footer adds a default export that
// either describes the tool (env SCRIPTENGINE_TOOL_MODE=describe) or calls it.
import type { Level } from "../config/types.ts";
import { parseModule, syntaxNodes, type AnyNode } from "../engine/module-script.ts";
import { parseToolSource, toolExports, unusedName } from "./tool-exports.ts";

export { parseToolSource };

export const DESCRIBE_ENV = { SCRIPTENGINE_TOOL_MODE: "describe" } as const;

/** What the footer reads from a tool: its default export and these named exports, nothing else. */
const EXPORTED = ["default", "id", "name", "description", "inputSchema", "outputSchema", "version", "tags", "call"] as const;

// `__tool_exports()` returns the tool's real exports (a module-level binding that is not exported
// is no metadata). A default-exported object's own fields win over named exports. The footer's
// names share the module's scope: `$` is a suffix that keeps them apart from the tool's own. Nor
// does describing read a global a tool may declare its own of (JSON): the engine serialises results.
// The call is made from a microtask, as the tool's call bound to its args, then given ctx (the value
// the promise holds): not from __tool_main, nor awaited there (nor by the engine's apply, a frame of
// the prelude), so the footer, past the tool's source, shows in no stack the tool's own code sees.
const FOOTER_NAMES = ["__tool_exports", "__tool_describe", "__tool_main"];
const FOOTER = ($: string) => `
;function __tool_describe${$}() {
  const e = __tool_exports${$}();
  const d = e.default;
  const o = d !== null && typeof d === "object" ? d : {};
  const v = (k) => (o[k] !== undefined ? o[k] : e[k]);
  return {
    id: v("id"),
    name: v("name"),
    description: v("description"),
    inputSchema: v("inputSchema"),
    outputSchema: v("outputSchema"),
    version: v("version"),
    tags: v("tags"),
    call: typeof o.call === "function" ? o.call.bind(o) : typeof e.call === "function" ? e.call : typeof d === "function" ? d : undefined,
  };
}
export default async function __tool_main${$}(args, ctx) {
  const t = __tool_describe${$}();
  if (ctx && ctx.env && ctx.env.SCRIPTENGINE_TOOL_MODE === "describe") {
    const { call: fn, ...meta } = t;
    return { ...meta, hasCall: typeof fn === "function" };
  }
  if (typeof t.call !== "function") throw new TypeError("the tool exports no call function");
  return (async () => ctx)().then(__tool_main${$}.bind.call(t.call, t, args));
}
`;

/**
 * Bytes a tool's engine module may have beyond its source: the footer and the list of its exports
 * (locals of up to ~2 KiB in all; the compiles check refuses more, moduleOverflow). The engine's
 * source limit has this much room over max_source_size, which legacy sources and scripts are held
 * to before they reach it.
 */
export const TOOL_MODULE_ROOM = 4096;

/**
 * The engine script for a tool source (JavaScript or TypeScript): the source with its default
 * export rebound in place, then the footer. A source that does not parse is left as it is: the
 * engine reports its syntax error at its own line and column. `program` is the source's tree from
 * parseToolSource (null: it does not parse), for a caller that reads the tree too (the migration):
 * acorn's cost grows with the square of the names one scope declares, so a source is parsed once.
 */
export function toolModuleSource(source: string, program?: AnyNode | null): string {
  const hit = recent.get(source);
  if (hit !== undefined) {
    recent.delete(source);
    recent.set(source, hit);
    return hit;
  }
  const found = program === undefined ? toolExports(source) : toolExports(source, program);
  const fields = EXPORTED.flatMap((k) => {
    const local = found?.exports.get(k);
    return local === undefined ? [] : [`${JSON.stringify(k)}: ${local}`];
  });
  const names = found?.names ?? new Set<string>();
  const $ = unusedName((s) => FOOTER_NAMES.some((n) => names.has(n + s)), "", (i) => `_${i}`);
  const module = `${found?.code ?? source}\n;function __tool_exports${$}() { return { ${fields.join(", ")} }; }${FOOTER($)}`;
  remember(source, module);
  return module;
}

/** An export's local is listed as the cause of an overflow from this length on. */
const LONG_LOCAL = 64;

/**
 * Why a tool's module outgrows TOOL_MODULE_ROOM, or undefined. Its footer names the local each
 * export is read from, and a local may be any identifier: the engine would refuse a source within
 * max_source_size, saying only "source exceeds N bytes".
 */
export function moduleOverflow(source: string, program?: AnyNode | null): string | undefined {
  const grown = Buffer.byteLength(toolModuleSource(source, program)) - Buffer.byteLength(source);
  if (grown <= TOOL_MODULE_ROOM) return undefined;
  const byLocal = new Map<string, string[]>();
  for (const [k, local] of (program === undefined ? toolExports(source) : toolExports(source, program))?.exports ?? []) {
    if ((EXPORTED as readonly string[]).includes(k) && local.length >= LONG_LOCAL) byLocal.set(local, [...(byLocal.get(local) ?? []), k]);
  }
  const named = [...byLocal].map(([local, keys]) => `${keys.join(", ")} from a ${local.length}-character local`).join("; ");
  return `the module the engine runs adds ${grown} bytes to the source, over the ${TOOL_MODULE_ROOM} it may: its footer reads each export from its local binding, by name${named ? `: ${named}` : ""}`;
}

// Every call of a tool builds its module again, and parsing costs about as much as a small call:
// the latest ones are kept, up to RECENT_CHARS of text. An entry holds its source (the key) and its
// module, which is the source again plus ~1,100 characters of exports and footer, so both are
// charged, and ENTRY_CHARS for the entry itself: counting the source alone let 4 Mi characters of
// 20-character sources hold 164 MB. (A character is a byte, or two past Latin-1.)
const RECENT_CHARS = 4 * 1024 * 1024;
const ENTRY_CHARS = 64;
const recent = new Map<string, string>();
let recentChars = 0;

const charged = (source: string, module: string) => source.length + module.length + ENTRY_CHARS;

function remember(source: string, module: string): void {
  const cost = charged(source, module);
  if (cost > RECENT_CHARS / 4) return;
  recent.set(source, module);
  recentChars += cost;
  for (const [s, m] of recent) {
    if (recentChars <= RECENT_CHARS) break;
    recent.delete(s);
    recentChars -= charged(s, m);
  }
}

export function languageOf(path: string): "javascript" | "typescript" {
  return /\.(ts|mts|cts)$/i.test(path) ? "typescript" : "javascript";
}

/** What a tool says about itself, from its code's exports or a manifest entry (unchecked). */
export interface ToolMeta {
  id?: unknown;
  name?: unknown;
  description?: unknown;
  inputSchema?: unknown;
  outputSchema?: unknown;
  version?: unknown;
  tags?: unknown;
}

/** What a tool's describe run returns. */
export interface DescribedTool extends ToolMeta {
  hasCall?: boolean;
}

/**
 * Host tools the source uses: they are what its runs are granted (api/limits.ts), and no more.
 * The migration checks give it code only (migration/code-text.ts), so a comment or a message naming
 * a tool is no use of it. A host tool is found where the source names it, as
 * - a property of the tools object: `ctx.tools.http(...)`, `ctx.tools?.fs`, `ctx.tools["fs"]`,
 *   `tools.http`, `this.#tools.http` (any object read as `.tools`, `.$tools` or `.#tools`, and a
 *   variable named `tools` or `$tools`, are the tools object);
 * - a destructured property: `const { http, fs: files } = ctx.tools`, `const { tools: { http } } = ctx`,
 *   `async function call(args, { tools: { http } })`;
 * - through a variable or a property assigned the tools object (`const t = ctx.tools; t.http(...)`,
 *   `this.t = ctx.tools; this.t.http(...)`, a class field `#t = ctx.tools`, `{ t: ctx.tools }`; a
 *   rest, `const { call, ...more } = ctx.tools`, is one too), however long the chain of them, or the
 *   argument of its `call`: `tools.call("http", ...)`, `const { call } = ctx.tools; call("http", ...)`,
 *   `const call = ctx.tools.call; call("http", ...)`.
 * Variables and properties are told by name, not scope or object: a `t.http` where another `t` is
 * meant, or an `o.t.http` where `this.t` holds the tools object, grants http too. A tool reached by a
 * name computed at run time (`ctx.tools[name]`, `Object.values(ctx.tools)`) is not found: its line
 * is in `dynamic`. `program` is the source's tree when the caller has it (parseToolSource; null:
 * the source does not parse), else the source is parsed here.
 */
export function hostToolUse(source: string, program?: AnyNode | null): { names: string[]; dynamic: number[] } {
  if (program === undefined) {
    try {
      program = parseModule(source);
    } catch {
      program = null;
    }
  }
  // Does not parse (the compiles check says so): the plain forms, by text.
  if (program === null) return { names: hostToolsByText(source), dynamic: [] };
  const nodes = syntaxNodes(program);
  // What holds the tools object, and what its call function, by key: `v:<name>` a variable,
  // `m:<name>` a property of any object (`#name` for a private one).
  const tools = new Set<string>();
  const calls = new Set<string>();
  const patterns = new Set<AnyNode>(); // object patterns destructuring the tools object
  const unwrap = (n: AnyNode): AnyNode => {
    for (;;) {
      if (n.type === "ParenthesizedExpression" || n.type === "ChainExpression") n = n.expression as AnyNode;
      else if (n.type === "LogicalExpression" && n.operator !== "&&") n = n.left as AnyNode; // ctx.tools ?? {}
      else return n;
    }
  };
  const keyOf = (e: AnyNode): string | undefined => {
    const n = unwrap(e);
    if (n.type === "Identifier") return `v:${n.name as string}`;
    if (n.type !== "MemberExpression") return undefined;
    const k = keyName(n.property as AnyNode, n.computed as boolean);
    return k === undefined ? undefined : `m:${k}`;
  };
  const isTools = (e: AnyNode | null | undefined): boolean => {
    if (!e) return false;
    const k = keyOf(e);
    return k !== undefined && (TOOLS_NAME.test(k) || tools.has(k));
  };
  const isCall = (e: AnyNode): boolean => {
    const n = unwrap(e);
    if (n.type === "MemberExpression" && keyName(n.property as AnyNode, n.computed as boolean) === "call" && isTools(n.object as AnyNode)) return true;
    const k = keyOf(n);
    return k !== undefined && calls.has(k);
  };
  const queue: string[] = []; // keys newly known to hold the tools object or its call
  const grow = (set: Set<string>, key: string | undefined) => {
    if (key === undefined || set.has(key)) return;
    set.add(key);
    queue.push(key);
  };
  // A target bound to the tools object (or its call): a pattern's rest and its `call` are too.
  const bind = (target: AnyNode | string, call: boolean): void => {
    if (typeof target === "string") return grow(call ? calls : tools, target);
    if (target.type === "AssignmentPattern") return bind(target.left as AnyNode, call);
    if (target.type === "Identifier" || target.type === "MemberExpression") return grow(call ? calls : tools, keyOf(target));
    if (call || target.type !== "ObjectPattern" || patterns.has(target)) return;
    patterns.add(target);
    for (const p of target.properties as AnyNode[]) {
      if (p.type === "RestElement") bind(p.argument as AnyNode, false);
      else if (keyName(p.key as AnyNode, p.computed as boolean) === "call") bind(p.value as AnyNode, true);
    }
  };
  // Every place a value is bound (`target = source`), looked at again when what its source reads
  // (`t`, or `t` of `t.call`) is found to hold the tools object: a worklist, so that a chain of any
  // length resolves, each place looked at a few times at most.
  const sites: { target: AnyNode | string; source: AnyNode }[] = [];
  const bySource = new Map<string, number[]>();
  const site = (target: AnyNode | string | undefined, source: AnyNode | null | undefined) => {
    if (target === undefined || !source) return;
    const i = sites.push({ target, source }) - 1;
    const n = unwrap(source);
    for (const k of new Set([keyOf(n), n.type === "MemberExpression" ? keyOf(n.object as AnyNode) : undefined])) {
      if (k === undefined) continue;
      const at = bySource.get(k);
      if (at) at.push(i);
      else bySource.set(k, [i]);
    }
  };
  const propertyKey = (p: AnyNode) => {
    const k = keyName(p.key as AnyNode, p.computed as boolean);
    return k === undefined ? undefined : `m:${k}`;
  };
  for (const n of nodes) {
    if (n.type === "VariableDeclarator") site(n.id as AnyNode, n.init as AnyNode);
    else if (n.type === "AssignmentExpression" && ASSIGN.has(n.operator as string)) site(n.left as AnyNode, n.right as AnyNode);
    else if (n.type === "AssignmentPattern") site(n.left as AnyNode, n.right as AnyNode); // ({ http } = ctx.tools) as a default
    else if (n.type === "PropertyDefinition") site(propertyKey(n), n.value as AnyNode); // class field
    else if (n.type === "ObjectExpression") {
      for (const p of n.properties as AnyNode[]) if (p.type === "Property" && p.kind === "init") site(propertyKey(p), p.value as AnyNode);
    } else if (n.type === "ObjectPattern") {
      for (const p of n.properties as AnyNode[]) {
        if (p.type === "Property" && TOOLS_NAME.test(propertyKey(p) ?? "")) bind(p.value as AnyNode, false);
      }
    }
  }
  const look = (i: number) => {
    const { target, source } = sites[i];
    if (isTools(source)) bind(target, false);
    else if (isCall(source)) bind(target, true);
  };
  for (let i = 0; i < sites.length; i++) look(i);
  for (let k = queue.pop(); k !== undefined; k = queue.pop()) for (const i of bySource.get(k) ?? []) look(i);

  const found = new Set<string>();
  const dynamic = new Set<number>();
  const lines = lineStarts(source);
  const add = (name: string | undefined, at: AnyNode) => {
    if (name === undefined) dynamic.add(lineAt(lines, at.start));
    else if (Object.hasOwn(HOST_TOOL_LEVELS, name)) found.add(name);
  };
  for (const n of nodes) {
    if (n.type === "MemberExpression" && isTools(n.object as AnyNode)) add(keyName(n.property as AnyNode, n.computed as boolean), n);
    else if (n.type === "CallExpression" || n.type === "NewExpression") {
      const args = n.arguments as AnyNode[];
      if (isCall(n.callee as AnyNode) && args.length > 0) add(literalText(args[0]), n);
      for (const a of args) if (isTools(a.type === "SpreadElement" ? (a.argument as AnyNode) : a)) dynamic.add(lineAt(lines, a.start)); // handed on: Object.keys(ctx.tools), f(ctx.tools)
    } else if ((n.type === "SpreadElement" || n.type === "ForInStatement" || n.type === "ForOfStatement") && isTools((n.argument ?? n.right) as AnyNode)) dynamic.add(lineAt(lines, n.start));
  }
  for (const p of patterns) {
    for (const prop of p.properties as AnyNode[]) if (prop.type === "Property") add(keyName(prop.key as AnyNode, prop.computed as boolean), prop);
  }
  return { names: [...found].sort(), dynamic: [...dynamic].sort((a, b) => a - b) };
}

/** A key (`v:` a variable, `m:` a property) that names the tools object itself: `tools`, `$tools`, `#tools`, as the text version found them. */
const TOOLS_NAME = /^[vm]:(?:|.*[$#])tools$/;

/** Assignments that may store their right side. */
const ASSIGN = new Set(["=", "||=", "??=", "&&="]);

/** The host tools hostToolUse finds. */
export function hostToolsUsed(source: string): string[] {
  return hostToolUse(source).names;
}

/**
 * A property key or member name as written (`.http`, `["http"]`, `` [`http`] ``), `#name` for a
 * private one, or undefined when computed.
 */
export function keyName(key: AnyNode, computed: boolean): string | undefined {
  if (!computed) {
    if (key.type === "Identifier") return key.name as string;
    if (key.type === "PrivateIdentifier") return `#${key.name as string}`;
    return key.type === "Literal" ? String(key.value) : undefined;
  }
  return literalText(key);
}

/** A string literal's text (a template without substitutions too), through parentheses; else undefined. */
export function literalText(n: AnyNode): string | undefined {
  if (n.type === "ParenthesizedExpression") return literalText(n.expression as AnyNode);
  if (n.type === "Literal" && typeof n.value === "string") return n.value;
  if (n.type === "TemplateLiteral" && (n.expressions as AnyNode[]).length === 0) return ((n.quasis as AnyNode[])[0].value as { cooked?: string }).cooked ?? undefined;
  return undefined;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The plain forms, by text, for a source that does not parse. */
function hostToolsByText(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\btools\s*(?:\?\.|\.)\s*(http|fs)\b/g)) found.add(m[1]);
  for (const m of source.matchAll(/\btools\s*(?:\?\.\s*)?\[\s*(["'`])(http|fs)\1\s*\]/g)) found.add(m[2]);
  for (const m of source.matchAll(/\btools\s*\.\s*call\s*\(\s*["'`](http|fs)["'`]/g)) found.add(m[1]);
  return [...found].sort();
}

/** Levels that grant each host tool (same table as api/limits.ts HOST_TOOLS). */
export const HOST_TOOL_LEVELS: Record<string, Level[]> = { http: ["production", "development"], fs: ["development"] };

export interface ApiFinding {
  severity: "error" | "warning";
  message: string;
  line: number;
}

const FORBIDDEN: { re: RegExp; severity: "error" | "warning"; message: string }[] = [
  { re: /\brequire\s*\(/, severity: "error", message: "`require` is not available in the engine" },
  { re: /^[ \t]*import\s*[\w{*'"]/m, severity: "error", message: "static imports are not available in the engine (a tool is one self-contained module)" },
  { re: /\bimport\s*\(/, severity: "error", message: "dynamic import() is not available in the engine" },
  { re: /\bprocess\s*\./, severity: "error", message: "`process` is not available in the engine" },
  { re: /\bchild_process\b/, severity: "error", message: "child processes are not available in the engine" },
  { re: /\beval\s*\(/, severity: "error", message: "`eval` is not allowed in tools" },
  { re: /\bnew\s+Function\s*\(/, severity: "error", message: "the Function constructor is not allowed in tools" },
  { re: /(?<![.\w])fetch\s*\(/, severity: "error", message: "`fetch` is not available in the engine; use ctx.tools.http" },
  { re: /\b(?:XMLHttpRequest|WebSocket)\b/, severity: "error", message: "network objects are not available in the engine; use ctx.tools.http" },
  { re: /\bsetInterval\s*\(/, severity: "warning", message: "`setInterval` is not available in the engine (use setTimeout)" },
  { re: /\b__dirname\b|\b__filename\b/, severity: "warning", message: "`__dirname`/`__filename` do not exist in the engine" },
];

/** Host APIs the engine does not offer, found by scanning the source (comments included). */
export function forbiddenApis(source: string): ApiFinding[] {
  const out: ApiFinding[] = [];
  for (const f of FORBIDDEN) {
    const m = f.re.exec(source);
    if (m) out.push({ severity: f.severity, message: f.message, line: source.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** A JSON Schema inferred from how the source reads `args.<name>` (used to fill a missing schema). */
export function inferInputSchema(source: string): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const m of source.matchAll(/\bargs\s*(?:\?\.|\.)\s*([A-Za-z_$][\w$]*)/g)) props[m[1]] = {};
  // No `\s*` before the class (which has \s itself): overlapping runs made this quadratic.
  for (const m of source.matchAll(/\{([\w$,\s=:'"]+)\}\s*=\s*args\b/g)) {
    for (const part of m[1].split(",")) {
      const key = part.split(/[:=]/)[0].trim();
      if (/^[A-Za-z_$][\w$]*$/.test(key)) props[key] = {};
    }
  }
  return { type: "object", properties: props, additionalProperties: true };
}
