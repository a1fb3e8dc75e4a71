// auto_fix fills a missing inputSchema with one inferred from the source's `args.<name>` reads,
// which are as many as the source has: an inferred schema is held to the bounds a declared one is
// (input_schema_valid), or every call and start would compile it on the event loop.
import { describe, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { legacyServer } from "./helpers.ts";

const c = legacyServer();

/** A tool with no inputSchema whose call reads `n` arguments. */
const reading = (name: string, n: number) =>
  `export const name = "${name}";\nexport const description = "x";\nexport async function call(args) {\n  return [${Array.from({ length: n }, (_, i) => `args.p${i}`).join(", ")}].length;\n}\n`;

describe("auto_fix and an inferred inputSchema", () => {
  it("fills one within the bounds", async () => {
    expect((await c.migrateFile("few.js", reading("few", 3))).status).toBe(MigrationState.COMPLETED);
    const r = (await c.migration.validateMigration({ toolName: "few", autoFix: true })).result!;
    expect(r.autoFixResults!.applied.join("\n")).toContain("properties: p0, p1, p2");
    expect((await c.tools.getTool({ name: "few" })).tool!.inputSchema).toMatchObject({ properties: { p0: {}, p1: {}, p2: {} } });
  });

  it("leaves out one over them, saying why", async () => {
    expect((await c.migrateFile("wide.js", reading("wide", 1200))).status).toBe(MigrationState.COMPLETED);
    const r = (await c.migration.validateMigration({ toolName: "wide", autoFix: true })).result!;
    expect(r.autoFixResults!.applied).toEqual([]);
    expect(r.autoFixResults!.unresolved.map((i) => i.message).join("\n")).toMatch(/the inputSchema inferred from the source has \d+ keywords.*so it was not filled in/);
    expect((await c.tools.getTool({ name: "wide" })).tool!.inputSchema).toBeUndefined();
  });
});
