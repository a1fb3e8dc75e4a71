// max_source_size may be lowered after a tool was migrated: validating the tool then fails
// source_readable, naming the limit, as migrating its source again would (a source more than 4 KiB
// over was otherwise reported only as the engine's "does not compile: source exceeds N bytes").
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const LOWER = 64 * 1024;

describe("a tool over a lowered max_source_size", () => {
  it("fails source_readable, naming the limit", async () => {
    const root = legacyCopy();
    const text = `export const name = "big";\nexport const description = "x";\nexport async function call() { return 1; }\n// ${"p".repeat(LOWER)}\n`;
    writeFileSync(join(root, "big.js"), text);
    let server = await startWithLegacy(root);
    let c = clients(server);
    expect((await c.migration.migrateTool({ config: config({ file: "big.js" }) })).result!.status).toBe(MigrationState.COMPLETED);
    expect(await server.stop()).toBe(0);
    server = await startWithLegacy(root, { dataDir: server.dataDir, args: ["--set", `max_source_size=${LOWER}`] });
    c = clients(server);
    try {
      const r = (await c.migration.validateMigration({ toolName: "big" })).result!;
      expect(r.status).toBe(ValidationStatus.FAILED);
      expect(check({ validationResults: [r] }, "source_readable").message).toBe(`the source is ${Buffer.byteLength(text)} bytes, over max_source_size (${LOWER})`);
      expect(check({ validationResults: [r] }, "compiles").status).toBe(ValidationStatus.SKIPPED);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});
