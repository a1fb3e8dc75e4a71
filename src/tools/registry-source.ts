// How a tool's source becomes an engine script, and what can be learned from its text.
//
// A tool file is an ES module exporting `name`, `description`, `inputSchema`, optional
// `outputSchema`, `version`, `tags` (and optionally `id`) plus a `call(args, ctx)` function, either as
// named exports or as a default-exported object; or it default-exports the call function itself.
// The engine runs modules through their default export, so the tool's own default export is made a
// local (tools/tool-exports.ts, in place: positions stay) and a footer adds a default export that
// either describes the tool (env SCRIPTENGINE_TOOL_MODE=describe) or calls it.
import type { Level } from "../config/types.ts";
import { toolExports, unusedName } from "./tool-exports.ts";

export const DESCRIBE_ENV = { SCRIPTENGINE_TOOL_MODE: "describe" } as const;

/** What the footer reads from a tool: its default export and these named exports, nothing else. */
const EXPORTED = ["default", "id", "name", "description", "inputSchema", "outputSchema", "version", "tags", "call"] as const;

// `__tool_exports()` returns the tool's real exports (a module-level binding that is not exported
// is no metadata). A default-exported object's own fields win over named exports. The footer's
// names share the module's scope: `$` is a suffix that keeps them apart from the tool's own. Nor
// does describing read a global a tool may declare its own of (JSON): the engine serialises results.
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
  return await t.call(args, ctx);
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
 * engine reports its syntax error at its own line and column.
 */
export function toolModuleSource(source: string): string {
  const hit = recent.get(source);
  if (hit !== undefined) {
    recent.delete(source);
    recent.set(source, hit);
    return hit;
  }
  const found = toolExports(source);
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
export function moduleOverflow(source: string): string | undefined {
  const grown = Buffer.byteLength(toolModuleSource(source)) - Buffer.byteLength(source);
  if (grown <= TOOL_MODULE_ROOM) return undefined;
  const byLocal = new Map<string, string[]>();
  for (const [k, local] of toolExports(source)?.exports ?? []) {
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
 * Host tools the source calls: `ctx.tools.http(...)`, `ctx.tools?.fs`, `ctx.tools["fs"]`,
 * `tools.call("http", ...)`. The migration checks give it code only (migration/code-text.ts), so a
 * comment or a message naming a tool is no use of it.
 */
export function hostToolsUsed(source: string): string[] {
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
