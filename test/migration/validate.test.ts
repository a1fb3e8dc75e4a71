// ValidateMigration through the real server: a live tool re-checked against the engine and its
// original; auto_fix re-migrates from a changed original and fills a missing schema, and says
// what it could not repair.
import { unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { Severity } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { failure } from "../helpers/errors.ts";
import { config, legacyServer } from "./helpers.ts";

const c = legacyServer();

const write = (file: string, body: string) => writeFileSync(join(c.root, file), body);
const src = (version: string, body = "return { v: " + JSON.stringify(version) + " };") => `export const name = "versioned";
export const description = "a tool that changes";
export const version = ${JSON.stringify(version)};
export const inputSchema = { type: "object", properties: {} };
export async function call() { ${body} }
`;
const validate = (toolName: string, autoFix = false) => c.migration.validateMigration({ toolName, autoFix }).then((r) => r.result!);
const checkOf = (r: { checks: { name: string; status: ValidationStatus }[] }, name: string) => r.checks.find((x) => x.name === name)!;

describe("ValidateMigration", () => {
  it("passes for an unchanged tool and includes original_unchanged", async () => {
    write("versioned.js", src("1.0.0"));
    await c.migration.migrateTool({ toolName: "versioned", config: config() });
    const r = await validate("versioned");
    expect(r.status).toBe(ValidationStatus.PASSED);
    expect(r.checks.map((x) => x.name)).toEqual(["source_readable", "compiles", "metadata_valid", "input_schema_valid", "forbidden_apis", "smoke_run", "original_unchanged"]);
    expect(checkOf(r, "original_unchanged").status).toBe(ValidationStatus.PASSED);
    expect(r.autoFixResults).toBeUndefined();
    expect((await failure(validate("missing"))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("detects a changed original; auto_fix re-migrates from it and keeps the tool id", async () => {
    const before = (await c.tools.getTool({ name: "versioned" })).tool!;
    write("versioned.js", src("1.1.0"));
    const r = await validate("versioned");
    expect(r.status).toBe(ValidationStatus.WARNING);
    const issue = r.issues.find((i) => i.check === "original_unchanged")!;
    expect(issue).toMatchObject({ severity: Severity.WARNING, fixable: true });
    expect(issue.message).toContain("changed since migration");

    const fixed = await validate("versioned", true);
    expect(fixed.autoFixResults?.success).toBe(true);
    expect(fixed.autoFixResults?.applied.join()).toContain("re-migrated versioned from its changed original");
    expect(fixed.status).toBe(ValidationStatus.PASSED);
    const after = (await c.tools.getTool({ name: "versioned" })).tool!;
    expect(after).toMatchObject({ toolId: before.toolId, version: "1.1.0" });
    expect(after.migrationId).not.toBe(before.migrationId);
    // The fix is a migration like any other: rolling it back restores 1.0.0.
    await c.migration.rollbackTool({ toolName: "versioned" });
    expect((await c.tools.getTool({ name: "versioned" })).tool).toMatchObject({ toolId: before.toolId, version: "1.0.0" });
  });

  it("reports what it could not fix: a broken original, then a vanished one", async () => {
    write("versioned.js", src("1.2.0", "return {"));
    const r = await validate("versioned", true);
    expect(r.autoFixResults?.success).toBe(false);
    expect(r.autoFixResults?.applied).toEqual([]);
    const unresolved = r.autoFixResults!.unresolved;
    expect(unresolved.some((i) => i.severity === Severity.ERROR && i.message.includes("re-migration from the changed original failed"))).toBe(true);
    expect((await c.tools.getTool({ name: "versioned" })).tool?.version).toBe("1.0.0");

    unlinkSync(join(c.root, "versioned.js"));
    const gone = await validate("versioned");
    const issue = gone.issues.find((i) => i.check === "original_unchanged")!;
    expect(issue).toMatchObject({ fixable: false });
    expect(issue.message).toContain("cannot be read any more");
  });

  it("auto_fix fills a missing input schema inferred from the source", async () => {
    write("schemaless.js", `export const name = "schemaless";\nexport const description = "d";\nexport const version = "1";\nexport async function call(args) { return String(args.city ?? "") + (args.zip ?? ""); }\n`);
    await c.migration.migrateTool({ toolName: "schemaless", config: config() });
    expect((await c.tools.getTool({ name: "schemaless" })).tool?.inputSchema).toBeUndefined();
    const r = await validate("schemaless");
    expect(r.issues.find((i) => i.check === "input_schema_valid")).toMatchObject({ fixable: true, severity: Severity.WARNING });
    const fixed = await validate("schemaless", true);
    expect(fixed.autoFixResults?.applied.join()).toContain("filled the missing inputSchema");
    expect(fixed.autoFixResults?.success).toBe(true);
    expect(checkOf(fixed, "input_schema_valid").status).toBe(ValidationStatus.PASSED);
    expect((await c.tools.getTool({ name: "schemaless" })).tool?.inputSchema).toMatchObject({ type: "object", properties: { city: {}, zip: {} } });
  });

  it("a manifest entry whose description or schema changed (its code the same) is a changed original", async () => {
    const manifest = (description: string, required: string[]) =>
      JSON.stringify({ tools: [{ name: "letters", description, version: "1.0.0", inputSchema: { type: "object", properties: { text: { type: "string" } }, required }, source: "export async function call({ text }) { return String(text).length; }" }] });
    write("letters.json", manifest("counts letters", ["text"]));
    await c.migration.migrateTool({ toolName: "letters", config: config({ manifest: "letters.json" }) });
    expect(checkOf(await validate("letters"), "original_unchanged").status).toBe(ValidationStatus.PASSED);
    // The same content with its keys in another order is no change.
    const reordered = JSON.parse(manifest("counts letters", ["text"]));
    reordered.tools[0] = Object.fromEntries(Object.entries(reordered.tools[0]).reverse());
    write("letters.json", JSON.stringify(reordered));
    expect(checkOf(await validate("letters"), "original_unchanged").status).toBe(ValidationStatus.PASSED);

    write("letters.json", manifest("counts the characters of a text", ["text"]));
    const r = await validate("letters");
    expect(r.issues.find((i) => i.check === "original_unchanged")).toMatchObject({ fixable: true });
    const fixed = await validate("letters", true);
    expect(fixed.autoFixResults?.success).toBe(true);
    expect((await c.tools.getTool({ name: "letters" })).tool?.description).toBe("counts the characters of a text");
  });

  it("honours checks/skip_checks and rejects unknown names", async () => {
    const r = (await c.migration.validateMigration({ toolName: "schemaless", validation: { skipChecks: ["smoke_run", "original_unchanged"] } })).result!;
    expect(checkOf(r, "smoke_run").status).toBe(ValidationStatus.SKIPPED);
    expect(checkOf(r, "original_unchanged").status).toBe(ValidationStatus.SKIPPED);
    expect((await failure(c.migration.validateMigration({ toolName: "schemaless", validation: { checks: ["nope"] } }))).code).toBe("InvalidArgument");
  });
});
