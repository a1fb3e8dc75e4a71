// A ListTools page_token is bound to the tag filter it was issued for, as DiscoverServices' is to
// service_type. It held only the position: a token from a `tag: "odd"` listing, sent without the
// tag, silently skipped the built-ins and mixed untagged tools into the rest of the listing.
import { DatabaseSync } from "node:sqlite";
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ListToolsRequestSchema, type ListToolsResponse } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { toolService } from "../../src/api/tool-service.ts";
import { ToolRepository, type StoredTool } from "../../src/store/tools.ts";
import { failure } from "../helpers/errors.ts";

const tool = (name: string, tags: string[]): StoredTool => ({
  toolId: `id-${name}`, name, description: "", inputSchema: null, outputSchema: null, version: "1", tags, securityLevel: "safe",
  source: "", language: "javascript", sourceHash: "h", hostTools: [], migrationId: "m", metadata: {}, createdAtMs: 0, updatedAtMs: 0,
});

function service() {
  const tools = new ToolRepository(new DatabaseSync(":memory:"));
  for (const [name, tags] of [["a", ["odd"]], ["b", []], ["c", ["odd"]], ["d", []], ["e", ["odd"]]] as const) tools.put(tool(name, [...tags]));
  const svc = toolService({ tools });
  return (tag: string, pageSize: number, pageToken = "") =>
    Promise.resolve().then(() => svc.listTools!(create(ListToolsRequestSchema, { tag, pageSize, pageToken }), {} as never) as ListToolsResponse);
}

it("a page token is refused under another tag, or none, naming page_token", async () => {
  const list = service();
  const first = await list("odd", 1);
  expect(first.tools.map((t) => t.name)).toEqual(["a"]);
  for (const tag of ["", "other"]) {
    const f = await failure(list(tag, 10, first.nextPageToken));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "page_token"]);
    expect(f.err.rawMessage).toContain("another tag");
    expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
  }
});

it("pages under the same tag, built-ins first, go on as before", async () => {
  const list = service();
  const names: string[] = [];
  let token = "";
  do {
    const page = await list("", 2, token);
    names.push(...page.tools.map((t) => t.name));
    token = page.nextPageToken;
  } while (token !== "");
  expect(names).toEqual(["fs", "http", "a", "b", "c", "d", "e"]);
  const odd: string[] = [];
  do {
    const page = await list("odd", 2, token);
    odd.push(...page.tools.map((t) => t.name));
    token = page.nextPageToken;
  } while (token !== "");
  expect(odd).toEqual(["a", "c", "e"]);
});
