// ToolService: the tools scripts can call. The built-in host tools (http, fs) come first, then
// the registered tools from the store, by name; a tag filter applies to both.
import { create, type JsonObject as PbJsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ToolSchema, ToolService, type Tool } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { checkToolName } from "../migration/checks.ts";
import { serviceError } from "../errors.ts";
import { decodePageToken, encodePageToken, pageSizeOf, pageWithin } from "../store/database.ts";
import type { StoredTool, ToolRepository } from "../store/tools.ts";
import { BUILTIN_TOOLS } from "../tools/registry.ts";
import { LEVEL_TO_PROTO } from "./config-message.ts";

export interface ToolServiceDeps {
  tools: ToolRepository;
}

/** ListTools' page token: the last name returned, whether the built-ins are done, and the tag filter it was issued for. */
interface ToolsPageToken {
  after: string;
  builtins: boolean;
  tag?: string;
}

const struct = (o: Record<string, unknown> | null) => (o ? (o as PbJsonObject) : undefined);

// What a listed tool takes in a binary response (gRPC, gRPC-Web; Connect JSON is smaller), for
// the page's byte budget: strings in UTF-8 and schemas as google.protobuf.Struct, whose every
// value is a message of its own (a number in a list takes 11 bytes, 5.5 times its `0,` in JSON).
const varintBytes = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
/** A length-delimited field of `n` bytes (tag, length, content). */
const lenField = (n: number) => 1 + varintBytes(n) + n;
const textField = (s: string) => (s ? lenField(Buffer.byteLength(s)) : 0);

/** A google.protobuf.Value's encoded size: kind tag, and a double, bool or null, or a length and content. */
function valueBytes(v: unknown): number {
  if (typeof v === "number") return 9;
  if (typeof v === "string") return lenField(Buffer.byteLength(v));
  if (v !== null && typeof v === "object") return lenField(Array.isArray(v) ? listBytes(v) : structBytes(v as Record<string, unknown>));
  return 2;
}
const listBytes = (a: unknown[]) => a.reduce((n: number, v) => n + lenField(valueBytes(v)), 0);
/** A Struct: one map entry (key and Value fields) per property. */
const structBytes = (o: Record<string, unknown>) => Object.entries(o).reduce((n, [k, v]) => n + lenField(textField(k) + lenField(valueBytes(v))), 0);

/** A listed tool's encoded size in the response, within a few bytes (enums, timestamps and framing as 64). */
const toolBytes = (t: StoredTool) =>
  [t.toolId, t.name, t.description, t.version, t.sourceHash, t.migrationId].reduce((n, s) => n + textField(s), 64) +
  t.tags.reduce((n, tag) => n + lenField(Buffer.byteLength(tag)), 0) +
  (t.inputSchema ? lenField(structBytes(t.inputSchema)) : 0) +
  (t.outputSchema ? lenField(structBytes(t.outputSchema)) : 0);

export function toolMessage(t: StoredTool): Tool {
  return create(ToolSchema, {
    toolId: t.toolId,
    name: t.name,
    description: t.description,
    inputSchema: struct(t.inputSchema),
    outputSchema: struct(t.outputSchema),
    version: t.version,
    tags: t.tags,
    securityLevel: LEVEL_TO_PROTO[t.securityLevel],
    builtin: false,
    sourceHash: t.sourceHash,
    createdAt: timestampFromMs(t.createdAtMs),
    updatedAt: timestampFromMs(t.updatedAtMs),
    migrationId: t.migrationId,
  });
}

const BUILTINS: Tool[] = BUILTIN_TOOLS.map((b) =>
  create(ToolSchema, {
    toolId: `builtin:${b.name}`,
    name: b.name,
    description: b.description,
    inputSchema: struct(b.inputSchema),
    version: "builtin",
    tags: b.tags,
    securityLevel: LEVEL_TO_PROTO[b.level],
    builtin: true,
  }),
);

export function toolService(deps: ToolServiceDeps): Partial<ServiceImpl<typeof ToolService>> {
  const { tools } = deps;
  return {
    listTools(req) {
      // Page token: the last name returned; built-ins ("fs", "http") sort before every registered tool page.
      // It is bound to the tag filter, as DiscoverServices' is to service_type: the same position
      // under another filter would skip or mix in tools without a word.
      const token = req.pageToken ? decodePageToken<ToolsPageToken>(req.pageToken) : { after: "", builtins: false, tag: req.tag };
      if (!token || typeof token.after !== "string") throw serviceError("VALIDATION_ERROR", "page_token is not valid", { field: "page_token" });
      // A token without a tag is an older server's: it recorded none.
      if (token.tag !== undefined && token.tag !== req.tag) {
        throw serviceError("VALIDATION_ERROR", "page_token was issued for another tag: list again from the first page", { field: "page_token" });
      }
      const size = pageSizeOf(req.pageSize);
      const out: Tool[] = [];
      let builtinsDone = token.builtins;
      if (!builtinsDone) {
        for (const b of BUILTINS) if (b.name > token.after && (!req.tag || b.tags.includes(req.tag))) out.push(b);
        if (out.length > size) {
          const page = out.slice(0, size);
          return { tools: page, nextPageToken: encodePageToken({ after: page[page.length - 1].name, builtins: false, tag: req.tag }) };
        }
        builtinsDone = true;
      }
      const after = token.builtins ? token.after : "";
      const { page, more } = pageWithin(tools.list(after, req.tag, size - out.length + 1), size - out.length, toolBytes);
      const registered = page.map(toolMessage);
      out.push(...registered);
      const last = registered.length ? registered[registered.length - 1].name : after;
      return { tools: out, nextPageToken: more ? encodePageToken({ after: last, builtins: true, tag: req.tag }) : "" };
    },

    getTool(req) {
      if (!req.name) throw serviceError("VALIDATION_ERROR", "name is required", { field: "name" });
      checkToolName(req.name, "name");
      const builtin = BUILTINS.find((b) => b.name === req.name);
      if (builtin) return { tool: builtin };
      const t = tools.get(req.name);
      if (!t) throw serviceError("TOOL_NOT_FOUND", `no tool named ${req.name}`, { metadata: { tool: req.name } });
      return { tool: toolMessage(t) };
    },
  };
}
