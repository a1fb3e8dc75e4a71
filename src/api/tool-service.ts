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

const struct = (o: Record<string, unknown> | null) => (o ? (o as PbJsonObject) : undefined);

/** Roughly what a listed tool takes in a response: its description and schemas, and the rest. */
const toolBytes = (t: StoredTool) =>
  t.description.length + JSON.stringify(t.inputSchema ?? null).length + JSON.stringify(t.outputSchema ?? null).length + 256;

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
      const token = req.pageToken ? decodePageToken<{ after: string; builtins: boolean }>(req.pageToken) : { after: "", builtins: false };
      if (!token || typeof token.after !== "string") throw serviceError("VALIDATION_ERROR", "page_token is not valid", { field: "page_token" });
      const size = pageSizeOf(req.pageSize);
      const out: Tool[] = [];
      let builtinsDone = token.builtins;
      if (!builtinsDone) {
        for (const b of BUILTINS) if (b.name > token.after && (!req.tag || b.tags.includes(req.tag))) out.push(b);
        if (out.length > size) {
          const page = out.slice(0, size);
          return { tools: page, nextPageToken: encodePageToken({ after: page[page.length - 1].name, builtins: false }) };
        }
        builtinsDone = true;
      }
      const after = token.builtins ? token.after : "";
      const { page, more } = pageWithin(tools.list(after, req.tag, size - out.length + 1), size - out.length, toolBytes);
      const registered = page.map(toolMessage);
      out.push(...registered);
      const last = registered.length ? registered[registered.length - 1].name : after;
      return { tools: out, nextPageToken: more ? encodePageToken({ after: last, builtins: true }) : "" };
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
