// Where a tool's metadata and call come from: a default-exported object's own fields, then the
// module's named exports. A module-level binding that is not exported (a local `inputSchema` the
// object spreads, a helper function named `call`) is no part of the tool.
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { legacyServer } from "./helpers.ts";

const c = legacyServer();

const migrate = c.migrateFile;
const run = (name: string, args: object) =>
  c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.${name}(${JSON.stringify(args)})`, context: { availableTools: [name] } }).then((r) => r.result!);

describe("a default-exported object built from module-level names", () => {
  it("registers the object's schema, tags and call, not the locals of the same names", async () => {
    const r = await migrate("shadow.js", `const inputSchema = { type: "object", properties: { q: { type: "string" } } };
const tags = ["base"];
function call(method, params) { return { helper: true, method, params }; }
export default {
  name: "shadow",
  description: "default-exported object tool",
  version: "2.0.0",
  inputSchema: { ...inputSchema, required: ["q"] },
  tags: [...tags, "search"],
  async call(args) { return call("search", args); },
};
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    const t = (await c.tools.getTool({ name: "shadow" })).tool!;
    expect(t.inputSchema).toMatchObject({ required: ["q"] });
    expect(t.tags).toEqual(["base", "search"]);
    const ok = await run("shadow", { q: "x" });
    expect(ok.success, ok.error?.message).toBe(true);
    expect(toJson(ValueSchema, ok.returnValue!)).toEqual({ helper: true, method: "search", params: { q: "x" } });
    const missing = await run("shadow", {});
    expect(missing.success).toBe(false);
    expect(missing.error?.message).toContain("INVALID_ARGUMENT");
  });

  it("its fields win over named exports, which fill in what it lacks", async () => {
    const r = await migrate("both.js", `export const description = "from the named export";
export const version = "3.1.0";
export async function call() { return "named"; }
export default { name: "both", description: "from the object", async call() { return "object"; } };
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    const t = (await c.tools.getTool({ name: "both" })).tool!;
    expect(t.description).toBe("from the object");
    expect(t.version).toBe("3.1.0");
    expect(toJson(ValueSchema, (await run("both", {})).returnValue!)).toBe("object");
  });

  it("a tool with no exports at all is still read from its top-level declarations", async () => {
    const r = await migrate("classic.js", `"use strict";
var name = "classic";
var description = "script-style tool";
function call(args) { return { classic: true }; }
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(toJson(ValueSchema, (await run("classic", {})).returnValue!)).toEqual({ classic: true });
  });
});
