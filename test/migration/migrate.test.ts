// MigrationService and ToolService through the real server: every check passing and failing,
// force and preserve_tool_id, backups and rollback, dry runs, directories, listing, events,
// concurrency, and scripts calling migrated tools through ctx.tools.
import { mkdirSync, copyFileSync, writeFileSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, timestampFromMs, type Value } from "@bufbuild/protobuf/wkt";
import { MigrationState, RollbackAction, ValidationStatus, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ROOT } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { settle, until } from "../helpers/until.ts";
import { check, config, legacyServer, SecurityLevel } from "./helpers.ts";

const c = legacyServer();

const tool = (file: string, body: string) => writeFileSync(join(c.root, file), body);
const meta = (name: string, extra = "") => `export const name = ${JSON.stringify(name)};
export const description = "test tool ${name}";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: { x: { type: "integer", default: 2 } } };
${extra}`;
const json = (v: Value | undefined) => (v ? toJson(ValueSchema, v) : undefined);
const migrate = (toolName: string, cfg = config()) => c.migration.migrateTool({ toolName, config: cfg }).then((r) => r.result!);

describe("MigrateTool: checks", () => {
  it("migrates a tool file: all six checks pass, the tool is registered and listed with the built-ins", async () => {
    const r = await migrate("text_search", config({ metadata: { owner: "search-team" } }));
    expect(r.status).toBe(MigrationState.COMPLETED);
    expect(r.newToolId).toMatch(/^tool-/);
    expect(r.errors).toEqual([]);
    expect(r.validationResults[0].checks.map((x) => [x.name, x.status])).toEqual(
      ["source_readable", "compiles", "metadata_valid", "input_schema_valid", "forbidden_apis", "smoke_run"].map((n) => [n, ValidationStatus.PASSED]),
    );
    expect(r.metadata.source.kind.value).toBe("file:text-search.js");
    expect(r.metadata.owner.kind.value).toBe("search-team");
    expect(Number(r.duration?.nanos ?? 0) + Number(r.duration?.seconds ?? 0n)).toBeGreaterThan(0);

    const got = (await c.tools.getTool({ name: "text_search" })).tool!;
    expect(got).toMatchObject({ toolId: r.newToolId, version: "1.2.0", tags: ["text", "search"], securityLevel: SecurityLevel.SAFE, builtin: false, migrationId: r.migrationId });
    expect(got.inputSchema).toMatchObject({ type: "object", required: ["text", "query"] });
    expect(got.outputSchema).toMatchObject({ required: ["matches", "total"] });
    expect(got.sourceHash).toMatch(/^[0-9a-f]{64}$/);

    const list = await c.tools.listTools({});
    expect(list.tools.filter((t) => t.builtin).map((t) => t.name)).toEqual(["fs", "http"]);
    expect(list.tools.map((t) => t.name)).toContain("text_search");
    expect((await c.tools.getTool({ name: "http" })).tool?.builtin).toBe(true);
    // The fs tool advertises what it does: read and list, nothing that writes.
    const fs = (await c.tools.getTool({ name: "fs" })).tool!;
    expect(fs.inputSchema).toMatchObject({ properties: { op: { enum: ["read", "list"] } }, required: ["path"] });
    expect((await failure(c.tools.getTool({ name: "nope" }))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("TypeScript files, default-exported objects and manifest entries (inline and sourceFile) migrate", async () => {
    for (const [name, level] of [["json_transform", SecurityLevel.SAFE], ["http_fetch", SecurityLevel.PRODUCTION], ["word_count", SecurityLevel.SAFE], ["slugify", SecurityLevel.SAFE]] as const) {
      const r = await migrate(name, config({ level }));
      expect(r.status, `${name}: ${r.errors.join("; ")}`).toBe(MigrationState.COMPLETED);
    }
    const http = (await c.tools.getTool({ name: "http_fetch" })).tool!;
    expect(http.securityLevel).toBe(SecurityLevel.PRODUCTION);
    const unnamed = await failure(migrate("", config({ manifest: "mcp-tools.json", force: true })));
    expect(unnamed).toMatchObject({ code: "InvalidArgument", reason: "VALIDATION_ERROR" }); // a manifest source needs the entry's name
  }, 60_000);

  it("a default export in an export list (export { call as default }) migrates and runs", async () => {
    tool("listed_default.js", `export const name = "listed_default";
export const description = "exports its call function from an export list";
export const inputSchema = { type: "object", properties: { x: { type: "integer" } } };
const scale = 3;
function call(args) { return { y: args.x * scale }; }
export { scale, call as default };
`);
    const r = await migrate("listed_default");
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    const used = await c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.listed_default({ x: 2 })`, context: { availableTools: ["listed_default"] } });
    expect(json(used.result!.returnValue)).toEqual({ y: 6 });
  });

  it("source_readable fails for a missing tool and everything after it is skipped", async () => {
    const r = await migrate("no_such_tool");
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "source_readable")).toMatchObject({ status: ValidationStatus.FAILED });
    expect(check(r, "source_readable").message).toContain("no legacy tool named no_such_tool");
    expect(check(r, "compiles")).toMatchObject({ status: ValidationStatus.SKIPPED });
    expect(check(r, "smoke_run").status).toBe(ValidationStatus.SKIPPED);
    expect((await failure(c.tools.getTool({ name: "no_such_tool" }))).code).toBe("NotFound");
  });

  it("compiles fails for the broken example", async () => {
    const r = await migrate("broken_tool");
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "compiles").status).toBe(ValidationStatus.FAILED);
    expect(r.errors.join()).toContain("does not compile");
  });

  it("metadata_valid fails without a call function, or when the name differs", async () => {
    tool("no-call.js", `export const name = "no_call";\nexport const inputSchema = { type: "object" };\nexport const helper = 1;\n`);
    const r = await migrate("no_call");
    expect(check(r, "metadata_valid")).toMatchObject({ status: ValidationStatus.FAILED });
    expect(check(r, "metadata_valid").message).toContain("no call function");
    tool("renamed.js", meta("other_name", "export function call() { return 1; }"));
    const r2 = await migrate("renamed", config({ file: "renamed.js" }));
    expect(check(r2, "metadata_valid").message).toContain("names the tool other_name");
    expect(r2.status).toBe(MigrationState.FAILED);
  });

  it("two entries of one name in a manifest: neither is migrated, and both say why", async () => {
    const entry = (answer: string) => ({ name: "twice", description: "d", inputSchema: { type: "object" }, source: `export async function call() { return "${answer}"; }` });
    mkdirSync(join(c.root, "dup"));
    writeFileSync(join(c.root, "dup", "twice.json"), JSON.stringify({ tools: [entry("first"), entry("second")] }));
    const results: MigrationResult[] = [];
    for await (const step of c.migration.migrateDirectory({ directory: "dup", config: config() })) results.push(step.result!);
    expect(results.map((r) => r.status)).toEqual([MigrationState.FAILED, MigrationState.FAILED]);
    for (const r of results) expect(check(r, "source_readable").message).toContain("2 tools named twice");
    expect((await failure(c.tools.getTool({ name: "twice" }))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("metadata_valid refuses a name every object already has (toString, __proto__)", async () => {
    for (const name of ["toString", "__proto__"]) {
      tool(`inherited-${name}.js`, meta(name, "export function call() { return 1; }"));
      const r = await migrate(name, config({ file: `inherited-${name}.js` }));
      expect([name, r.status, check(r, "metadata_valid").status]).toEqual([name, MigrationState.FAILED, ValidationStatus.FAILED]);
      expect(check(r, "metadata_valid").message).toContain("property every JavaScript object has");
    }
  });

  it("input_schema_valid fails for a schema ajv rejects, warns for a missing one", async () => {
    tool("bad-schema.js", `export const name = "bad_schema";\nexport const inputSchema = { type: "nonsense" };\nexport function call() { return 1; }\n`);
    const r = await migrate("bad_schema");
    expect(check(r, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(r, "smoke_run").status).toBe(ValidationStatus.SKIPPED);
    tool("no-schema.js", `export const name = "no_schema";\nexport const description = "d";\nexport const version = "1";\nexport function call(args) { return args.a ?? 0; }\n`);
    const r2 = await migrate("no_schema");
    expect(r2.status).toBe(MigrationState.COMPLETED);
    expect(check(r2, "input_schema_valid").status).toBe(ValidationStatus.WARNING);
    expect(r2.validationResults[0].issues.find((i) => i.check === "input_schema_valid")?.fixable).toBe(true);
    expect(r2.warnings.join()).toContain("no inputSchema");
  });

  it("schema patterns run in linear time: a catastrophic one cannot stall the server, one RE2 cannot run is refused", async () => {
    // With a backtracking engine, ^(a+)+$ against 40 a's and a "!" takes hours on the event loop.
    tool("redos.js", `export const name = "redos";
export const description = "a tool whose schema has a nested quantifier";
export const inputSchema = { type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" }, e: { type: "string", pattern: "^\\u00e9+$" } } };
export function call(args) { return args.s.length; }
`);
    const r = await migrate("redos", config({ smokeArgs: { s: "aaa" } }));
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    const source = `export default async (a, ctx) => {
      const out = [await ctx.tools.redos({ s: "aaaa", e: "\u00e9\u00e9" })];
      try { await ctx.tools.redos({ s: "a".repeat(40) + "!" }); out.push("accepted"); } catch (e) { out.push(e.message); }
      return out;
    }`;
    const used = await c.scripts.runScript({ source, context: { availableTools: ["redos"] } }, { timeoutMs: 20_000 });
    const [ok, refused] = json(used.result!.returnValue) as [number, string];
    expect(ok).toBe(4);
    expect(refused).toMatch(/must match pattern/);
    tool("backref.js", `export const name = "backref";
export const description = "a backreference";
export const inputSchema = { type: "object", properties: { s: { type: "string", pattern: "^(a)\\\\1$" } } };
export function call() { return 1; }
`);
    const b = await migrate("backref");
    expect(check(b, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(b, "input_schema_valid").message).toMatch(/linear time/);
  });

  it("a schema nested deeper than a google.protobuf.Value can carry fails the checks", async () => {
    tool("deep-schema.js", `export const name = "deep_schema";
export const description = "a schema nested 40 levels deep";
let s = { type: "string" };
for (let i = 0; i < 40; i++) s = { type: "object", properties: { x: s } };
export const inputSchema = s;
export function call() { return 1; }
`);
    // From code, the tool's own description run returns the schema: too deep to come back.
    const r = await migrate("deep_schema");
    expect(check(r, "metadata_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(r, "metadata_valid").message).toMatch(/deeper than 32 levels/);
    // From a manifest, the schema is read as is and checked.
    let schema: object = { type: "string" };
    for (let i = 0; i < 40; i++) schema = { type: "object", properties: { x: schema } };
    tool("deep-manifest.json", JSON.stringify({ tools: [{ name: "deep_manifest", description: "d", version: "1", inputSchema: schema, source: "export function call() { return 1; }" }] }));
    const m = await migrate("deep_manifest", config({ manifest: "deep-manifest.json" }));
    expect(check(m, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(m, "input_schema_valid").message).toMatch(/deeper than 32 levels/);
    expect((await c.tools.listTools({ pageSize: 1000 })).tools.length).toBeGreaterThan(0); // listing still works
  });

  it("a schema over 32 KiB of JSON fails the checks (ajv compiles schemas on the server's event loop)", async () => {
    tool("big-schema.js", `export const name = "big_schema";
export const description = "a schema with 2000 properties";
const properties = {};
for (let i = 0; i < 2000; i++) properties["p" + i] = { type: "string", pattern: "^[a-z]+$" };
export const inputSchema = { type: "object", properties };
export const outputSchema = { type: "object", properties: { ok: { type: "boolean" } } };
export function call() { return { ok: true }; }
`);
    const r = await migrate("big_schema");
    expect(check(r, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(r, "input_schema_valid").message).toMatch(/inputSchema is \d+ bytes of JSON, over the 32768-byte limit/);
  });

  it("forbidden_apis fails for host APIs and for host tools the level does not grant", async () => {
    const r = await migrate("http_fetch", config({ level: SecurityLevel.SAFE, force: true }));
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "forbidden_apis").message).toContain("http host tool, which level safe does not grant");
    tool("uses-require.js", meta("uses_require", `export function call() { const fs = require("fs"); return process.env.HOME; }`));
    const r2 = await migrate("uses_require");
    expect(check(r2, "forbidden_apis").status).toBe(ValidationStatus.FAILED);
    expect(check(r2, "forbidden_apis").message).toMatch(/require.*process|process.*require/s);
  });

  it("smoke_run fails when the tool throws, uses the given arguments, and honours its timeout", async () => {
    tool("throws.js", meta("throws", `export function call(args) { if (args.x !== 7) throw new Error("x must be 7"); return { ok: true }; }`));
    const r = await migrate("throws");
    expect(check(r, "smoke_run")).toMatchObject({ status: ValidationStatus.FAILED });
    expect(check(r, "smoke_run").message).toContain("x must be 7");
    const ok = await migrate("throws", config({ smokeArgs: { x: 7 } }));
    expect(check(ok, "smoke_run").status).toBe(ValidationStatus.PASSED);
    expect(ok.status).toBe(MigrationState.COMPLETED);
    const bad = await migrate("throws", config({ smokeArgs: { x: "seven" }, force: true }));
    expect(check(bad, "smoke_run").message).toContain("do not match inputSchema");

    tool("sleepy.js", meta("sleepy", `export async function call() { await new Promise((r) => setTimeout(r, 3000)); return 1; }`));
    const slow = await migrate("sleepy", config({ smokeTimeoutMs: 300 }));
    expect(check(slow, "smoke_run").message).toContain("timed out after 300 ms");
  }, 30_000);

  it("checks, skip_checks and strict shape the validation", async () => {
    const skipped = await migrate("throws", config({ skipChecks: ["smoke_run"], force: true }));
    expect(skipped.status).toBe(MigrationState.COMPLETED);
    expect(check(skipped, "smoke_run")).toMatchObject({ status: ValidationStatus.SKIPPED, message: "disabled by the validation config" });
    const only = await migrate("word_count", config({ checks: ["source_readable", "compiles"], force: true }));
    expect(only.validationResults[0].checks.filter((x) => x.status !== ValidationStatus.SKIPPED).map((x) => x.name)).toEqual(["source_readable", "compiles"]);
    // A skipped check cannot hide what stops registration.
    const broken = await migrate("broken_tool", config({ checks: ["source_readable"] }));
    expect(broken.status).toBe(MigrationState.FAILED);
    expect(broken.errors.join()).toContain("cannot register");

    tool("no-desc.js", `export const name = "no_desc";\nexport const version = "1";\nexport const inputSchema = { type: "object" };\nexport function call() { return 1; }\n`);
    const lax = await migrate("no_desc", config({ dryRun: true }));
    expect(check(lax, "metadata_valid").status).toBe(ValidationStatus.WARNING);
    const strict = await migrate("no_desc", config({ strict: true }));
    expect(check(strict, "metadata_valid").status).toBe(ValidationStatus.FAILED);
    expect(strict.status).toBe(MigrationState.FAILED);

    const unknown = await failure(migrate("no_desc", config({ checks: ["spelling"] })));
    expect(unknown).toMatchObject({ code: "InvalidArgument", reason: "VALIDATION_ERROR" });
  }, 30_000);

  it("a tool name no tool could have is INVALID_ARGUMENT before anything is recorded, on every call that takes one", async () => {
    const before = (await c.migration.getMigrationStatus({})).status!.totalMigrations;
    const bad = ["x".repeat(65), "has space", "1starts-with-digit", "ünïcode"];
    for (const name of bad) {
      const f = await failure(migrate(name, config()));
      expect([name, f.code, f.reason, f.metadata.field]).toEqual([name, "InvalidArgument", "VALIDATION_ERROR", "tool_name"]);
      expect(f.err.rawMessage).not.toContain(name);
    }
    expect((await failure(c.migration.validateMigration({ toolName: bad[0] }))).metadata.field).toBe("tool_name");
    expect((await failure(c.migration.rollbackTool({ toolName: bad[0] }))).metadata.field).toBe("tool_name");
    expect((await failure(c.migration.listMigrations({ filter: { toolName: bad[0] } }))).metadata.field).toBe("filter.tool_name");
    expect((await failure(c.tools.getTool({ name: bad[0] }))).metadata.field).toBe("name");
    expect((await c.migration.getMigrationStatus({})).status!.totalMigrations).toBe(before);
  });

  it("paths outside the legacy root are PERMISSION_DENIED", async () => {
    for (const file of ["../../etc/passwd", "/etc/passwd"]) {
      expect((await failure(migrate("", config({ file })))).code).toBe("PermissionDenied");
    }
    const dir = await failure((async () => {
      for await (const _ of c.migration.migrateDirectory({ directory: ".." })) void _;
    })());
    expect(dir.code).toBe("PermissionDenied");
    // A manifest entry whose sourceFile leaves the root: refused naming the manifest's own path, never the server's.
    tool("escaping.json", JSON.stringify({ tools: [{ name: "escaping", description: "d", sourceFile: "../../etc/passwd" }] }));
    const escaping = await failure(migrate("escaping", config({ manifest: "escaping.json" })));
    expect([escaping.code, escaping.err.rawMessage]).toEqual(["PermissionDenied", "../../etc/passwd is outside the legacy tools root"]);
  });
});

describe("force, preserve_tool_id, dry run", () => {
  it("an existing tool is TOOL_EXISTS without force and replaced with it", async () => {
    const first = (await c.tools.getTool({ name: "text_search" })).tool!;
    const exists = await failure(migrate("text_search"));
    expect(exists).toMatchObject({ code: "AlreadyExists", reason: "TOOL_EXISTS" });
    const r = await migrate("text_search", config({ force: true }));
    expect(r.status).toBe(MigrationState.COMPLETED);
    expect(r.newToolId).not.toBe(first.toolId);
    expect(r.metadata.replaced_tool_id.kind.value).toBe(first.toolId);
    expect((await c.tools.getTool({ name: "text_search" })).tool?.toolId).toBe(r.newToolId);
  });

  it("preserve_tool_id keeps the legacy id (exported id, else the name)", async () => {
    tool("keeps-id.js", meta("keeps_id", `export const id = "legacy-42";\nexport function call() { return 1; }`));
    const r = await migrate("keeps_id", config({ preserveToolId: true }));
    expect(r.newToolId).toBe("legacy-42");
    expect((await c.tools.getTool({ name: "keeps_id" })).tool?.toolId).toBe("legacy-42");
    const r2 = await migrate("word_count", config({ preserveToolId: true, force: true }));
    expect(r2.newToolId).toBe("word_count");
  });

  it("a dry run validates and changes nothing", async () => {
    const before = (await c.tools.listTools({ pageSize: 1000 })).tools;
    const statusBefore = (await c.migration.getMigrationStatus({})).status!;
    tool("dry-tool.js", meta("dry_tool", "export function call() { return 1; }"));
    const r = await migrate("dry_tool", config({ dryRun: true }));
    expect(r.status).toBe(MigrationState.DRY_RUN);
    expect(r.validationResults[0].status).toBe(ValidationStatus.PASSED);
    expect((await failure(c.tools.getTool({ name: "dry_tool" }))).reason).toBe("TOOL_NOT_FOUND");
    // A dry run over an existing tool with force leaves it exactly as it was.
    const dryForce = await migrate("text_search", config({ dryRun: true, force: true }));
    expect(dryForce.status).toBe(MigrationState.DRY_RUN);
    expect((await c.tools.listTools({ pageSize: 1000 })).tools).toEqual(before);
    const statusAfter = (await c.migration.getMigrationStatus({})).status!;
    expect(statusAfter.registeredTools).toBe(statusBefore.registeredTools);
    expect(statusAfter.dryRuns).toBe(statusBefore.dryRuns + 2n);
    expect(statusAfter.completed).toBe(statusBefore.completed);
    // Its record carries no backup and no tool, and there is nothing to roll back.
    const listed = (await c.migration.listMigrations({ filter: { toolName: "dry_tool" } })).migrations;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ status: MigrationState.DRY_RUN, hasBackup: false });
    expect((await failure(c.migration.rollbackTool({ toolName: "dry_tool" }))).reason).toBe("MIGRATION_NOT_FOUND");
  });
});

describe("backup and rollback", () => {
  it("round trip: replace, roll back to the previous tool, idempotent, then remove", async () => {
    tool("round-trip.js", meta("round_trip", `export function call() { return "v1"; }`));
    const m1 = await migrate("round_trip");
    const v1 = (await c.tools.getTool({ name: "round_trip" })).tool!;
    tool("round-trip.js", meta("round_trip", `export function call() { return "v2"; }`).replace('"1.0.0"', '"2.0.0"'));
    const m2 = await migrate("round_trip", config({ force: true }));
    expect((await c.tools.getTool({ name: "round_trip" })).tool?.version).toBe("2.0.0");
    const listed = (await c.migration.listMigrations({ filter: { toolName: "round_trip" } })).migrations;
    expect(listed.map((m) => [m.migrationId, m.hasBackup])).toEqual([[m2.migrationId, true], [m1.migrationId, true]]);

    const rb = (await c.migration.rollbackTool({ toolName: "round_trip", config: { reason: "v2 is wrong" } })).result!;
    expect(rb).toMatchObject({ success: true, action: RollbackAction.RESTORED_PREVIOUS, migrationId: m2.migrationId, restoredToolId: v1.toolId, restoredVersion: "1.0.0" });
    expect(rb.messages.join()).toContain("v2 is wrong");
    expect((await c.tools.getTool({ name: "round_trip" })).tool).toEqual(v1);

    const again = (await c.migration.rollbackTool({ toolName: "round_trip" })).result!;
    expect(again.action).toBe(RollbackAction.NOTHING_TO_DO);
    const byId = (await c.migration.rollbackTool({ toolName: "round_trip", config: { migrationId: m2.migrationId } })).result!;
    expect(byId.action).toBe(RollbackAction.NOTHING_TO_DO);
    expect((await c.tools.getTool({ name: "round_trip" })).tool).toEqual(v1);

    const removed = (await c.migration.rollbackTool({ toolName: "round_trip", config: { migrationId: m1.migrationId } })).result!;
    expect(removed).toMatchObject({ action: RollbackAction.REMOVED_TOOL, restoredToolId: "" });
    expect((await failure(c.tools.getTool({ name: "round_trip" }))).reason).toBe("TOOL_NOT_FOUND");
    const states = (await c.migration.listMigrations({ filter: { toolName: "round_trip" } })).migrations.map((m) => m.status);
    expect(states).toEqual([MigrationState.ROLLED_BACK, MigrationState.ROLLED_BACK]);
  });

  it("refuses to roll back past a later migration, or a replacement that was not backed up", async () => {
    tool("ordered.js", meta("ordered", `export function call() { return 1; }`));
    const m1 = await migrate("ordered");
    await migrate("ordered", config({ force: true }));
    const later = await failure(c.migration.rollbackTool({ toolName: "ordered", config: { migrationId: m1.migrationId } }));
    expect(later).toMatchObject({ code: "FailedPrecondition", reason: "MIGRATION_ERROR" });
    const m3 = await migrate("ordered", config({ force: true, backupOriginal: false }));
    expect(m3.warnings.join()).toContain("cannot be rolled back");
    const noBackup = await failure(c.migration.rollbackTool({ toolName: "ordered" }));
    expect(noBackup).toMatchObject({ code: "FailedPrecondition", reason: "MIGRATION_ERROR" });
    expect((await failure(c.migration.rollbackTool({ toolName: "ordered", config: { migrationId: "mig-nope" } }))).reason).toBe("MIGRATION_NOT_FOUND");
  });
});

describe("MigrateDirectory", () => {
  it("streams one result per tool and continues past the broken one", async () => {
    const dir = join(c.root, "batch");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.js"), meta("batch_a", "export function call() { return 'a'; }"));
    copyFileSync(join(ROOT, "examples/legacy-tools/broken-tool.js"), join(dir, "broken-tool.js"));
    writeFileSync(join(dir, "z.ts"), meta("batch_z", "export function call(args: { x?: number }): number { return (args.x ?? 0) * 2; }"));
    writeFileSync(
      join(dir, "tools.json"),
      JSON.stringify({ tools: [{ name: "batch_m", description: "from a manifest", inputSchema: { type: "object" }, source: "export default async () => 'm';" }] }),
    );
    const steps = [];
    for await (const s of c.migration.migrateDirectory({ directory: "batch", config: config() })) steps.push(s);
    expect(steps.map((s) => [s.done, s.total])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    const byName = Object.fromEntries(steps.map((s) => [s.result!.toolName, s.result!.status]));
    expect(byName).toEqual({ batch_a: MigrationState.COMPLETED, broken_tool: MigrationState.FAILED, batch_z: MigrationState.COMPLETED, batch_m: MigrationState.COMPLETED });
    expect((await c.tools.getTool({ name: "batch_m" })).tool?.description).toBe("from a manifest");
  });

  it("recursive also migrates subdirectories, skips hidden ones and refuses links that leave the root", async () => {
    const dir = join(c.root, "tree");
    mkdirSync(join(dir, "deeper", "deepest"), { recursive: true });
    mkdirSync(join(dir, ".hidden"));
    writeFileSync(join(dir, "top.js"), meta("tree_top", "export function call() { return 'top'; }"));
    writeFileSync(join(dir, "deeper", "mid.js"), meta("tree_mid", "export function call() { return 'mid'; }"));
    writeFileSync(join(dir, "deeper", "deepest", "low.ts"), meta("tree_low", "export function call(): string { return 'low'; }"));
    writeFileSync(join(dir, ".hidden", "secret.js"), meta("tree_hidden", "export function call() { return 'no'; }"));
    const outside = mkdtempSync(join(tmpdir(), "outside-"));
    writeFileSync(join(outside, "escape.js"), meta("tree_escape", "export function call() { return 'no'; }"));
    symlinkSync(outside, join(dir, "link-out"));
    symlinkSync(dir, join(dir, "deeper", "loop"));

    const flat = [];
    for await (const s of c.migration.migrateDirectory({ directory: "tree", config: config({ dryRun: true }) })) flat.push(s.result!.toolName);
    expect(flat).toEqual(["tree_top"]);

    const steps = [];
    for await (const s of c.migration.migrateDirectory({ directory: "tree", recursive: true, config: config() })) steps.push(s);
    const byName = Object.fromEntries(steps.map((s) => [s.result!.toolName, s.result!.status]));
    expect(steps.map((s) => s.result!.toolName)).toEqual(["tree_top", "tree_mid", "tree_low", "loop", "link-out"]);
    expect(byName).toMatchObject({ tree_top: MigrationState.COMPLETED, tree_mid: MigrationState.COMPLETED, tree_low: MigrationState.COMPLETED, loop: MigrationState.FAILED, "link-out": MigrationState.FAILED });
    // Said plainly: the caller's own relative path, no "[code]" prefixes, no server path.
    expect(steps.find((s) => s.result!.toolName === "link-out")!.result!.errors).toEqual(["tree/link-out is outside the legacy tools root"]);
    expect(steps.find((s) => s.result!.toolName === "loop")!.result!.errors.join()).toContain("listed already");
    expect((await c.tools.getTool({ name: "tree_low" })).tool?.name).toBe("tree_low");

    // Again, without force: each tool is refused under its own name, not its file's.
    writeFileSync(join(dir, "file-name-differs.js"), meta("named_inside", "export function call() { return 1; }"));
    await migrate("named_inside", config({ file: "tree/file-name-differs.js" }));
    const again = [];
    for await (const s of c.migration.migrateDirectory({ directory: "tree", config: config() })) again.push(s.result!);
    expect(again.map((r) => [r.toolName, r.errors.join()])).toEqual([
      ["named_inside", expect.stringContaining("a tool named named_inside is already registered")],
      ["tree_top", expect.stringContaining("a tool named tree_top is already registered")],
    ]);
  });
});

describe("ListMigrations and GetMigrationStatus", () => {
  it("filters by status, tool name, level and time, and pages without gaps", async () => {
    const all = [];
    let pageToken = "";
    do {
      const page = await c.migration.listMigrations({ pageSize: 3, pageToken });
      expect(page.migrations.length).toBeLessThanOrEqual(3);
      all.push(...page.migrations);
      pageToken = page.nextPageToken;
    } while (pageToken);
    const ids = all.map((m) => m.migrationId);
    expect(new Set(ids).size).toBe(ids.length);
    const status = (await c.migration.getMigrationStatus({})).status!;
    expect(Number(status.totalMigrations)).toBe(all.length);
    expect(status.completed + status.failed + status.rolledBack + status.dryRuns + status.inProgress + status.pending).toBe(status.totalMigrations);
    expect(Number(status.registeredTools)).toBe((await c.tools.listTools({ pageSize: 1000 })).tools.filter((t) => !t.builtin).length);
    expect(status.lastMigrationAt).toBeDefined();

    const failed = (await c.migration.listMigrations({ filter: { statuses: [MigrationState.FAILED] }, pageSize: 1000 })).migrations;
    expect(failed.length).toBe(Number(status.failed));
    expect(failed.every((m) => m.status === MigrationState.FAILED && m.errors.length > 0)).toBe(true);
    const two = (await c.migration.listMigrations({ filter: { statuses: [MigrationState.FAILED, MigrationState.DRY_RUN] }, pageSize: 1000 })).migrations;
    expect(two.length).toBe(Number(status.failed + status.dryRuns));
    for (const st of [MigrationState.UNSPECIFIED, 42 as MigrationState]) {
      const f = await failure(c.migration.listMigrations({ filter: { statuses: [MigrationState.FAILED, st] } }));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "filter.statuses"]);
    }

    const prod = (await c.migration.listMigrations({ filter: { securityLevel: SecurityLevel.PRODUCTION }, pageSize: 1000 })).migrations;
    expect(prod.map((m) => m.toolName)).toEqual(["http_fetch"]);
    expect((await c.migration.getMigrationStatus({ securityLevel: SecurityLevel.PRODUCTION })).status).toMatchObject({ totalMigrations: 1n, completed: 1n, registeredTools: 1n });

    const text = (await c.migration.listMigrations({ filter: { toolName: "text_search" } })).migrations;
    expect(text.every((m) => m.toolName === "text_search")).toBe(true);
    expect(text.length).toBeGreaterThanOrEqual(2);

    const mid = all[Math.floor(all.length / 2)];
    const ms = Number(mid.startedAt!.seconds) * 1000 + Math.floor(mid.startedAt!.nanos / 1e6);
    const after = (await c.migration.listMigrations({ filter: { startedAfter: timestampFromMs(ms - 1) }, pageSize: 1000 })).migrations;
    const before = (await c.migration.listMigrations({ filter: { startedBefore: timestampFromMs(ms) }, pageSize: 1000 })).migrations;
    expect(after.map((m) => m.migrationId)).toContain(mid.migrationId);
    expect(before.map((m) => m.migrationId)).not.toContain(mid.migrationId);
    expect(after.length + before.length).toBe(all.length);
    expect((await c.migration.listMigrations({ filter: { startedAfter: timestampFromMs(Date.now() + 60_000) } })).migrations).toEqual([]);
    expect((await failure(c.migration.listMigrations({ pageToken: "!!" }))).code).toBe("InvalidArgument");
  });
});

describe("tools from scripts, events, concurrency", () => {
  const run = (source: string, tools: string[], level = SecurityLevel.SAFE) =>
    c.scripts.runScript({ source, context: { availableTools: tools, securityContext: { securityLevel: level } } }).then((r) => r.result!);

  it("a script calls a migrated tool through ctx.tools; arguments are validated first", async () => {
    const ok = await run(`export default async (a, ctx) => ctx.tools.text_search({ text: "alpha\\nbeta\\nalphabet", query: "alpha" })`, ["text_search"]);
    expect(ok.success).toBe(true);
    expect(json(ok.returnValue)).toEqual({ matches: [{ line: 1, text: "alpha" }, { line: 3, text: "alphabet" }], total: 2 });
    const viaCall = await run(`export default async (a, ctx) => ctx.tools.call("json_transform", { records: [{ a: 1, b: 2 }], pick: ["a"], rename: { a: "A" } })`, ["json_transform"]);
    expect(json(viaCall.returnValue)).toEqual([{ A: 1 }]);
    const bad = await run(`export default async (a, ctx) => { try { await ctx.tools.text_search({ text: 1 }); return "no"; } catch (e) { return e.message; } }`, ["text_search"]);
    expect(String(json(bad.returnValue))).toMatch(/INVALID_ARGUMENT.*query|INVALID_ARGUMENT.*text/);
  });

  it("a non-pure tool is refused to a Safe script", async () => {
    const denied = await failure(run(`export default async (a, ctx) => 1`, ["http_fetch"]));
    expect(denied.code).toBe("PermissionDenied");
    expect((await failure(run(`export default async () => 1`, ["never_migrated"]))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("MigrationStarted and MigrationCompleted are published", async () => {
    const ac = new AbortController();
    const stream = c.events.subscribe({ eventTypes: ["migration_started", "migration_completed"] }, { signal: ac.signal })[Symbol.asyncIterator]();
    await stream.next(); // started
    const r = await migrate("word_count", config({ force: true }));
    const seen: string[] = [];
    while (seen.length < 2) {
      const { value } = await stream.next();
      if (value?.message.case !== "event") continue;
      const e = value.message.value.event;
      if ((e.case === "migrationStarted" || e.case === "migrationCompleted") && e.value.migrationId === r.migrationId) {
        seen.push(e.case);
        if (e.case === "migrationCompleted") expect(e.value).toMatchObject({ success: true, toolName: "word_count" });
      }
    }
    ac.abort();
    expect(seen).toEqual(["migrationStarted", "migrationCompleted"]);
  });

  it("a second migration of a tool in progress is FAILED_PRECONDITION", async () => {
    tool("slowpoke.js", meta("slowpoke", `export async function call() { await new Promise((r) => setTimeout(r, 1500)); return 1; }`));
    const first = migrate("slowpoke", config({ smokeTimeoutMs: 8000 }));
    try {
      // In progress (its row written, its lock taken) before the second is sent: a fixed 300 ms assumed
      // it, and a loaded machine may not have begun the first by then. Its 1.5 s smoke run holds the lock.
      await until("the first migration is in progress", async () => (await c.migration.listMigrations({ filter: { toolName: "slowpoke", statuses: [MigrationState.IN_PROGRESS] } })).migrations.length);
      const second = await failure(migrate("slowpoke", config({ smokeTimeoutMs: 8000, force: true })));
      expect(second).toMatchObject({ code: "FailedPrecondition", reason: "MIGRATION_IN_PROGRESS" });
    } finally {
      await settle([first]);
    }
    expect((await first).status).toBe(MigrationState.COMPLETED);
  });
});
