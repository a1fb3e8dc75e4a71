// What a tool module exports, read from its syntax tree (parsed as the engine parses modules,
// engine/module-script.ts), and its source with the default export made a local the tool footer
// can reach. Only the export syntax is edited, in place: comments and literals are never touched,
// and every line and column stays where it was in the tool's own source.
import { boundNames, overwrite, parseModule, syntaxNodes, type AnyNode } from "../engine/module-script.ts";
import { stripTypes } from "../engine/source.ts";

/**
 * The local an anonymous default (`export default {…}`, `export default function () {}`) is bound
 * to: `__tool`, or `__t000`, `__t001`... when the source names that already. Six characters:
 * `let __tool=` then fits wherever `export default` stood, even split over lines as `export` /
 * `default` (see place).
 */
const DEFAULT_LOCAL = "__tool";
const otherDefaultLocal = (i: number) => `__t${i.toString(36).padStart(3, "0")}`;

export interface ToolExports {
  /** The source, its default export rebound and every position kept. */
  code: string;
  /** Exported name -> the local binding holding it; `default` included. */
  exports: Map<string, string>;
  /** Every identifier the source has (declared, read or a property name): names added must be none of them. */
  names: Set<string>;
}

/** `first`, or the first of `other(0)`, `other(1)`... that is not `used`. */
export function unusedName(used: (name: string) => boolean, first: string, other: (i: number) => string): string {
  let name = first;
  for (let i = 0; used(name); i++) name = other(i);
  return name;
}

/**
 * The tool's exports and rebound source, or undefined when the source does not parse: it is then
 * left as it is, for the engine to report its syntax error where it is. TypeScript is parsed with
 * its types stripped (they become spaces: same offsets), and edited in its own text.
 */
export function toolExports(source: string, program: AnyNode | null = parseToolSource(source)): ToolExports | undefined {
  if (!program) return undefined;
  const chars = source.split(""); // UTF-16 units, as acorn's offsets count them
  const counts = identifierCounts(program);
  const names = new Set(counts.keys());
  const defaultLocal = unusedName((n) => names.has(n), DEFAULT_LOCAL, otherDefaultLocal);
  const exports = new Map<string, string>();
  const declared = new Map<string, string>();
  let exportsAny = false;
  for (const node of program.body as AnyNode[]) {
    if (node.type.startsWith("Export")) exportsAny = true;
    else declare(node, declared);
    if (node.type === "ExportNamedDeclaration" && !node.source) {
      if (node.declaration) declare(node.declaration as AnyNode, exports);
      const specifiers = node.specifiers as AnyNode[];
      specifiers.forEach((s, i) => {
        const ex = s.exported as AnyNode;
        const name = (ex.type === "Identifier" ? ex.name : ex.value) as string;
        exports.set(name, (s.local as AnyNode).name as string);
        // `{ a, call as default }`: the specifier leaves the list (with a comma), bound by the footer.
        if (name === "default") blankSpecifier(chars, source, specifiers, i);
      });
    } else if (node.type === "ExportDefaultDeclaration") {
      const decl = node.declaration as AnyNode;
      if ((decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") && decl.id) {
        // Still a declaration, so its name stays bound in the module (hoisted, for a function).
        overwrite(chars, node.start, decl.start);
        exports.set("default", (decl.id as AnyNode).name as string);
      } else {
        if (!place(chars, node.start, decl.start, ["let", defaultLocal, "="])) return undefined;
        // An anonymous function or class declaration ended its statement; as an initializer it must
        // be ended, or a next line starting with `(` or `[` would continue it.
        if (decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") endStatement(chars, decl.end);
        exports.set("default", defaultLocal);
      }
    }
  }
  if (!exportsAny) {
    const cjs = commonJsExport(program, counts);
    if (cjs) {
      if (!place(chars, cjs.start, cjs.value.start, ["let", defaultLocal, "="])) return undefined;
      return { code: chars.join(""), exports: new Map([["default", defaultLocal]]), names };
    }
  }
  // A script-style tool (no export at all: `var name = …; function call() {}`) has nothing but its
  // top-level declarations to be read from.
  return { code: chars.join(""), exports: exportsAny ? exports : declared, names };
}

/**
 * A CommonJS tool's one export, `module.exports = <value>;` at its top level, read as `export default
 * <value>` is: the statement is rebound in place (`module.exports =` is longer than `let __tool =`).
 * Only where the file has no import or export and names `module` and `exports` nowhere else (no
 * `exports.x = …`, no `module.exports.x = …`, no `module` of its own): any other CommonJS form is
 * left as written, so that it fails loading as it would have ("module is not defined").
 */
function commonJsExport(program: AnyNode, counts: Map<string, number>): { start: number; value: AnyNode } | undefined {
  let found: { start: number; value: AnyNode } | undefined;
  for (const node of program.body as AnyNode[]) {
    if (node.type.startsWith("Import")) return undefined;
    const e = node.type === "ExpressionStatement" ? (node.expression as AnyNode) : undefined;
    if (!e || e.type !== "AssignmentExpression" || e.operator !== "=") continue;
    const left = e.left as AnyNode;
    if (left.type !== "MemberExpression" || left.computed || left.optional) continue;
    const object = left.object as AnyNode, property = left.property as AnyNode;
    if (object.type !== "Identifier" || object.name !== "module" || property.type !== "Identifier" || property.name !== "exports") continue;
    if (found) return undefined; // assigned twice: which one holds depends on the code between
    found = { start: node.start as number, value: e.right as AnyNode };
  }
  return found && counts.get("module") === 1 && counts.get("exports") === 1 ? found : undefined;
}

/** How often each name occurs as an Identifier in a syntax tree. */
function identifierCounts(program: AnyNode): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of syntaxNodes(program)) if (n.type === "Identifier") counts.set(n.name as string, (counts.get(n.name as string) ?? 0) + 1);
  return counts;
}

/** Adds the names a top-level declaration binds. */
function declare(node: AnyNode, into: Map<string, string>): void {
  if (node.type === "VariableDeclaration") {
    const names: string[] = [];
    for (const d of node.declarations as AnyNode[]) boundNames(d.id as AnyNode, names);
    for (const n of names) into.set(n, n);
  } else if ((node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") && node.id) {
    const name = (node.id as AnyNode).name as string;
    into.set(name, name);
  }
}

/**
 * The tree toolExports reads (given it by a caller that parsed the source already), or null when
 * the source does not parse: as a module, else with its types stripped (TypeScript).
 */
export function parseToolSource(source: string): AnyNode | null {
  try {
    return parseModule(source);
  } catch {
    // TypeScript, or a syntax error: both are told by stripping the types.
  }
  let stripped: string;
  try {
    stripped = stripTypes(source);
  } catch {
    return null;
  }
  if (stripped.length !== source.length) return null; // offsets would not map back
  try {
    return parseModule(stripped);
  } catch {
    return null;
  }
}

const isLineBreak = (c: string) => c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029";
const isWord = (c: string | undefined) => c !== undefined && /[\w$]/.test(c);

/**
 * Writes `tokens` over [start, end) as spaces would (line breaks stay, so lines and the columns
 * after the region do too), never splitting a token over a line break, and with a space between
 * two words. False when they do not fit.
 */
function place(chars: string[], start: number, end: number, tokens: string[]): boolean {
  const out: string[] = chars.slice(start, end).map((c) => (isLineBreak(c) ? c : " "));
  let at = 0;
  let prev: string | undefined;
  for (const token of tokens) {
    for (;;) {
      const from = isWord(prev) && isWord(token[0]) && at > 0 && !isLineBreak(out[at - 1]) ? at + 1 : at;
      let run = 0;
      while (from + run < out.length && run < token.length && !isLineBreak(out[from + run])) run++;
      if (run === token.length) {
        for (let i = 0; i < token.length; i++) out[from + i] = token[i];
        at = from + token.length;
        break;
      }
      if (from + run >= out.length) return false;
      at = from + run + 1; // past the line break
      prev = undefined;
    }
    prev = token;
  }
  for (let i = 0; i < out.length; i++) chars[start + i] = out[i];
  return true;
}

/** Ends the statement at `end`: over a space after it, else inserted (the rest of that line moves by one). */
function endStatement(chars: string[], end: number): void {
  const next = chars[end];
  if (next === ";") return;
  if (next === " " || next === "\t") chars[end] = ";";
  else chars[end - 1] += ";";
}

/** Blanks specifier `i` of an export list, with the comma after it (or, when last, before it). */
function blankSpecifier(chars: string[], source: string, specifiers: AnyNode[], i: number): void {
  const s = specifiers[i];
  const comma = commaAfter(source, s.end);
  if (comma !== undefined) overwrite(chars, s.start, comma + 1);
  else if (i > 0) overwrite(chars, specifiers[i - 1].end, s.end);
  else overwrite(chars, s.start, s.end);
}

/** The offset of the comma after a specifier, skipping spaces and comments; undefined at the list's `}`. */
function commaAfter(source: string, from: number): number | undefined {
  for (let i = from; i < source.length; ) {
    const c = source[i];
    if (c === ",") return i;
    if (c === "}") return undefined;
    if (source.startsWith("//", i)) {
      while (i < source.length && !isLineBreak(source[i])) i++;
    } else if (source.startsWith("/*", i)) {
      const close = source.indexOf("*/", i + 2);
      i = close < 0 ? source.length : close + 2;
    } else i++;
  }
  return undefined;
}
