// What forbidden_apis finds in a tool's syntax tree, beyond the plain patterns of
// tools/registry-source.ts (FORBIDDEN):
// - globals of Node.js or the browser the engine's isolates do not have (Buffer, TextEncoder, URL,
//   crypto...), read as a bare name (`Buffer.from(s)`, `const { env } = process`), where the source
//   declares no binding of that name (told by name, not scope). A bare read of a missing global is a
//   ReferenceError: an error. Only behind `typeof` (feature detection) it is none; read both ways, or
//   as a property of the global object (`globalThis.crypto`, undefined rather than a throw), a warning.
// - other registered tools a tool calls (`ctx.tools.word_count(...)`, `tools.call("word_count", ...)`,
//   `const { word_count } = ctx.tools`): a tool's ctx.tools holds the host tools only (registered
//   tools do not call each other, tools/registry.ts), so such a call always fails.
import { boundNames, syntaxNodes, type AnyNode } from "../engine/module-script.ts";
import { keyName, literalText } from "../tools/registry-source.ts";
import { lineAt } from "./source-lines.ts";

/**
 * Globals the engine's isolates lack, each checked by a script reading `typeof globalThis[name]`
 * ("undefined" for every one), with what to do instead. Left to FORBIDDEN: require, fetch,
 * XMLHttpRequest, WebSocket, setInterval, __dirname, __filename; `module` and `exports` are read as
 * CommonJS (tools/tool-exports.ts).
 */
const LACKING: Record<string, string> = {
  process: "",
  Buffer: "work on strings or Uint8Array",
  global: "use globalThis",
  setImmediate: "use setTimeout(fn, 0)",
  clearImmediate: "use setTimeout and clearTimeout",
  clearInterval: "there is no setInterval either: use setTimeout and clearTimeout",
  TextEncoder: "",
  TextDecoder: "",
  TextEncoderStream: "",
  TextDecoderStream: "",
  URL: "parse the URL with string methods or a regular expression",
  URLSearchParams: "build the query with encodeURIComponent",
  crypto: "",
  atob: "",
  btoa: "",
  structuredClone: "JSON.parse(JSON.stringify(value)) copies JSON data",
  performance: "use Date.now()",
  AbortController: "",
  AbortSignal: "",
  Blob: "",
  File: "",
  FormData: "",
  Headers: "use ctx.tools.http",
  Request: "use ctx.tools.http",
  Response: "use ctx.tools.http",
  ReadableStream: "",
  WritableStream: "",
  TransformStream: "",
  CompressionStream: "",
  DecompressionStream: "",
  Event: "",
  EventTarget: "",
  DOMException: "",
  MessageChannel: "",
  BroadcastChannel: "",
  Worker: "",
  WebAssembly: "",
  SharedArrayBuffer: "",
  window: "use globalThis",
  self: "use globalThis",
  document: "",
  navigator: "",
  location: "",
  localStorage: "",
  sessionStorage: "",
};

/** The globals LACKING names (a test checks that the engine still lacks each). */
export const ENGINE_LACKS: readonly string[] = Object.keys(LACKING);

/** Names that are the global object: `globalThis.Buffer` reads the missing global as a property. */
const GLOBAL_OBJECTS = new Set(["globalThis", "global", "window", "self"]);

/** The host tools and the tools object's own `call`: what a tool may reach through ctx.tools. */
const HOST_TOOL_NAMES = new Set(["http", "fs", "call"]);

/**
 * Members of the containers an object named `tools` may be when it is not the engine's (a tool's
 * own list or map of them: `args.tools.map(...)`, `this.tools.get(k)`): calling one is no tool call.
 */
const CONTAINER_MEMBERS = new Set(
  [Object.prototype, Array.prototype, Map.prototype, Set.prototype, Function.prototype, String.prototype, Promise.prototype].flatMap((p) => Object.getOwnPropertyNames(p)),
);

/** A name of the tools object, as hostToolUse reads it: `tools`, `$tools`, `#tools`, `x$tools`. */
const TOOLS_NAME = /^(?:|.*[$#])tools$/;

export interface GlobalsFinding {
  severity: "error" | "warning";
  message: string;
  suggestion?: string;
  line: number;
}

const unwrap = (n: AnyNode): AnyNode => {
  while (n.type === "ParenthesizedExpression" || n.type === "ChainExpression") n = n.expression as AnyNode;
  return n;
};

/** A member's name as written (`.x`, `["x"]`, `` [`x`] ``, `#x`), or undefined when computed. */
const memberName = (n: AnyNode) => keyName(n.property as AnyNode, Boolean(n.computed));
/** A property's key as written, or undefined when computed. */
const propertyName = (p: AnyNode) => keyName(p.key as AnyNode, Boolean(p.computed));

/** Whether the expression is the tools object by its name: `tools`, `ctx.tools`, `this.#tools`. */
function isToolsObject(e: AnyNode | null | undefined): boolean {
  if (!e) return false;
  const n = unwrap(e);
  if (n.type === "Identifier") return TOOLS_NAME.test(n.name as string);
  if (n.type === "MemberExpression") {
    const k = memberName(n);
    return k !== undefined && TOOLS_NAME.test(k);
  }
  return false;
}

/** The names a module binds anywhere (variables, functions, classes, parameters, catch, imports). */
function declaredNames(nodes: AnyNode[]): Set<string> {
  const names: string[] = [];
  for (const n of nodes) {
    switch (n.type) {
      case "VariableDeclarator":
        boundNames(n.id as AnyNode, names);
        break;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (n.id) boundNames(n.id as AnyNode, names);
        for (const p of n.params as AnyNode[]) boundNames(p, names);
        break;
      case "ClassDeclaration":
      case "ClassExpression":
        if (n.id) boundNames(n.id as AnyNode, names);
        break;
      case "CatchClause":
        boundNames(n.param as AnyNode | null, names);
        break;
      case "ImportSpecifier":
      case "ImportDefaultSpecifier":
      case "ImportNamespaceSpecifier":
        boundNames(n.local as AnyNode, names);
        break;
    }
  }
  return new Set(names);
}

/** Whether the identifier at `key` of `parent` is a name read as a value (not a key, label or member name). */
function isReference(parent: AnyNode | undefined, key: string): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case "MemberExpression":
      return key !== "property" || Boolean(parent.computed);
    case "Property":
    case "PropertyDefinition":
    case "MethodDefinition":
      return key !== "key" || Boolean(parent.computed);
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
    case "MetaProperty":
    case "ExportSpecifier":
    case "ImportSpecifier":
    case "ImportDefaultSpecifier":
    case "ImportNamespaceSpecifier":
      return false;
    default:
      return true;
  }
}

/**
 * The globals the engine lacks that a tool reads, and the other tools it calls, in `program` (the
 * tool's tree, parseToolSource); lines are counted in `source`. Nothing for a source that does not
 * parse (null): the compiles check reports it.
 */
export function engineGlobalsFindings(source: string, program: AnyNode | null): GlobalsFinding[] {
  if (!program) return [];
  const nodes = syntaxNodes(program);
  const declared = declaredNames(nodes);
  // Per missing global: where it is first read bare, first read behind typeof, first read as a property of the global object.
  const bare = new Map<string, number>();
  const guarded = new Set<string>();
  const viaGlobal = new Map<string, number>();
  const toolCalls = new Map<string, number>();
  // Names a typeof reads (parenthesized too: `typeof(process)`), and globals the tool sets itself (a polyfill).
  const typeofArgs = new Set<AnyNode>();
  const polyfilled = new Set<string>();
  const missing = (name: string) => Object.hasOwn(LACKING, name) && !declared.has(name);
  // A tools object the tool declares itself (`const tools = { upper }`) is its own, not ctx.tools.
  const ownBound = boundOutsideParameters(nodes);
  const ownTools = (e: AnyNode) => { const n = unwrap(e); return n.type === "Identifier" && ownBound.has(n.name as string); };
  const otherTool = (name: string | undefined, at: AnyNode) => {
    if (name !== undefined && !HOST_TOOL_NAMES.has(name) && !CONTAINER_MEMBERS.has(name) && !toolCalls.has(name)) toolCalls.set(name, at.start);
  };
  // Identifiers with their parent and the key they sit under, walked with a stack.
  const stack: { node: AnyNode; parent?: AnyNode; key: string }[] = [{ node: program, key: "" }];
  while (stack.length) {
    const { node, parent, key } = stack.pop()!;
    if (node.type === "UnaryExpression" && node.operator === "typeof") {
      typeofArgs.add(unwrap(node.argument as AnyNode));
    } else if (node.type === "Identifier") {
      const name = node.name as string;
      if (missing(name) && isReference(parent, key)) {
        if (typeofArgs.has(node)) guarded.add(name);
        else if (!bare.has(name)) bare.set(name, node.start);
      }
    } else if (node.type === "MemberExpression") {
      const object = unwrap(node.object as AnyNode);
      const prop = memberName(node);
      if (object.type === "Identifier" && GLOBAL_OBJECTS.has(object.name as string) && !declared.has(object.name as string) && prop !== undefined && Object.hasOwn(LACKING, prop)) {
        if (parent?.type === "AssignmentExpression" && key === "left") polyfilled.add(prop); // globalThis.btoa = ...
        else if (!viaGlobal.has(prop)) viaGlobal.set(prop, node.start);
      }
    } else if (node.type === "CallExpression") {
      const callee = unwrap(node.callee as AnyNode);
      if (callee.type === "MemberExpression" && isToolsObject(callee.object as AnyNode) && !ownTools(callee.object as AnyNode)) {
        const name = memberName(callee);
        const args = node.arguments as AnyNode[];
        if (name === "call") otherTool(args.length > 0 ? literalText(args[0]) : undefined, node);
        else otherTool(name, node);
      }
    } else if ((node.type === "VariableDeclarator" || node.type === "AssignmentExpression" || node.type === "AssignmentPattern") && isToolsObject((node.init ?? node.right) as AnyNode)) {
      // const { word_count } = ctx.tools
      const target = unwrap((node.id ?? node.left) as AnyNode);
      if (target.type === "ObjectPattern") for (const p of target.properties as AnyNode[]) if (p.type === "Property") otherTool(propertyName(p), p);
    } else if (node.type === "ObjectPattern") {
      // { tools: { word_count } }, in a parameter or a destructuring of ctx
      for (const p of node.properties as AnyNode[]) {
        if (p.type !== "Property" || !TOOLS_NAME.test(propertyName(p) ?? "")) continue;
        let inner = p.value as AnyNode;
        if (inner.type === "AssignmentPattern") inner = inner.left as AnyNode;
        if (inner.type === "ObjectPattern") for (const q of inner.properties as AnyNode[]) if (q.type === "Property") otherTool(propertyName(q), q);
      }
    }
    for (const k in node) {
      if (k === "loc") continue;
      const v = node[k];
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) if (v[i] && typeof v[i].type === "string") stack.push({ node: v[i] as AnyNode, parent: node, key: k });
      } else if (v && typeof v === "object" && typeof (v as AnyNode).type === "string") stack.push({ node: v as AnyNode, parent: node, key: k });
    }
  }

  const out: GlobalsFinding[] = [];
  const hint = (name: string) => (LACKING[name] ? { suggestion: LACKING[name] } : {});
  for (const name of Object.keys(LACKING)) {
    if (polyfilled.has(name)) continue;
    const at = bare.get(name);
    if (at !== undefined) {
      const message = guarded.has(name)
        ? `\`${name}\` is not available in the engine: the tool tests typeof ${name}, so only its code for a missing ${name} runs`
        : `\`${name}\` is not available in the engine`;
      out.push({ severity: guarded.has(name) ? "warning" : "error", message, line: lineAt(source, at), ...hint(name) });
    } else if (viaGlobal.has(name)) {
      out.push({ severity: "warning", message: `\`${name}\` is not available in the engine (read from the global object, it is undefined)`, line: lineAt(source, viaGlobal.get(name)!), ...hint(name) });
    }
  }
  // A warning: told by the name `tools` alone, it may be an object of the tool's own (`args.tools`).
  for (const [name, at] of toolCalls) {
    out.push({
      severity: "warning",
      message: `the tool seems to call the tool ${name}, but a tool's ctx.tools holds only the host tools (http, fs): registered tools do not call each other, so ctx.tools.${name} is not a function there`,
      suggestion: `call ${name} from the script that calls this tool, or bring its code into this tool`,
      line: lineAt(source, at),
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** The names bound other than as a function's parameter (a `tools` parameter is the one ctx.tools gives). */
function boundOutsideParameters(nodes: AnyNode[]): Set<string> {
  const bound: string[] = [];
  for (const n of nodes) {
    if (n.type === "VariableDeclarator") boundNames(n.id as AnyNode, bound);
    else if ((n.type === "FunctionDeclaration" || n.type === "ClassDeclaration") && n.id) boundNames(n.id as AnyNode, bound);
    else if (n.type === "ImportSpecifier" || n.type === "ImportDefaultSpecifier" || n.type === "ImportNamespaceSpecifier") boundNames(n.local as AnyNode, bound);
  }
  return new Set(bound);
}
