// A tool's version, description and tags are bounded (TOOL_META_LIMITS), from its code or from a
// manifest entry alike: metadata_valid fails naming the field and its limit. A describe result over
// the engine's 1 MiB says that it is the tool's metadata that is too large.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer } from "./helpers.ts";

const c = legacyServer();

const tool = (name: string, exports: string) =>
  `export const name = "${name}";\nexport const inputSchema = { type: "object" };\n${exports}\nexport function call() { return 1; }\n`;
const migrate = async (name: string, o: Parameters<typeof config>[0] = {}) => (await c.migration.migrateTool({ toolName: name, config: config(o) })).result!;

describe("tool metadata limits", () => {
  it("refuses a version, description or tags over their bounds, naming the field and limit", async () => {
    const cases: [string, string, string][] = [
      ["longver", `export const version = "1".repeat(600000);\nexport const description = "d";`, "version is longer than 64 characters"],
      ["longdesc", `export const description = "d".repeat(4097);`, "description is longer than 4096 characters"],
      ["emptytag", `export const description = "d";\nexport const tags = ["", "a"];`, "tags[0] is empty; a tag must be 1-64 characters"],
      ["duptag", `export const description = "d";\nexport const tags = ["a", "b", "a"];`, 'tags[2] repeats the tag "a"; tags must be distinct'],
      ["manytags", `export const description = "d";\nexport const tags = Array.from({ length: 33 }, (_, i) => "t" + i);`, "tags has 33 entries, over the limit of 32"],
      ["longtag", `export const description = "d";\nexport const tags = ["t".repeat(65)];`, "tags[0] is longer than 64 characters"],
    ];
    for (const [name, exports, message] of cases) {
      const r = await c.migrateFile(`${name}.js`, tool(name, exports));
      expect(r.status, name).toBe(MigrationState.FAILED);
      expect(check(r, "metadata_valid").message, name).toContain(message);
      expect((await c.tools.listTools({ tag: "a" })).tools.map((t) => t.name)).not.toContain(name);
    }
  });

  it("accepts metadata at its bounds (code points, not UTF-16 units)", async () => {
    const tags = Array.from({ length: 32 }, (_, i) => `${"😀".repeat(62)}${String(i).padStart(2, "0")}`);
    const exports = `export const version = "${"😀".repeat(64)}";\nexport const description = "${"é".repeat(4096)}";\nexport const tags = ${JSON.stringify(tags)};`;
    const r = await c.migrateFile("atbound.js", tool("atbound", exports));
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    const got = (await c.tools.getTool({ name: "atbound" })).tool!;
    expect(got.tags).toEqual(tags);
    expect(got.version).toBe("😀".repeat(64));
  });

  it("holds a manifest entry's metadata to the same bounds", async () => {
    const entry = { name: "mani", description: "d".repeat(5000), version: "v".repeat(65), tags: ["", "x"], inputSchema: { type: "object" }, source: "export function call() { return 1; }\n" };
    writeFileSync(join(c.root, "meta-limits.json"), JSON.stringify({ tools: [entry] }));
    const r = await migrate("mani", { manifest: "meta-limits.json" });
    expect(r.status).toBe(MigrationState.FAILED);
    const msg = check(r, "metadata_valid").message;
    for (const part of ["version is longer than 64 characters", "description is longer than 4096 characters", "tags[0] is empty"]) expect(msg).toContain(part);
    await expect(c.tools.getTool({ name: "mani" })).rejects.toThrow();
  });

  it("says that a describe result over 1 MiB is the tool's metadata", async () => {
    const r = await c.migrateFile("huge.js", tool("huge", `export const description = "d".repeat(3e6);`));
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "metadata_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(r, "metadata_valid").message).toContain("the tool's metadata (name, description, version, tags, schemas) is too large");
  });
});
