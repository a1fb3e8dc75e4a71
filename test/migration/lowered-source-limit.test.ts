// max_source_size may be lowered after a tool was migrated: validating the tool then fails
// source_readable, naming the limit, as migrating its source again would (a source more than 4 KiB
// over was otherwise reported only as the engine's "does not compile: source exceeds N bytes").
// Calling such a tool, or executing such a stored script, is refused at the exact limit, naming
// max_source_size (one within 4 KiB over used to run, one further over failed with the engine's
// "source exceeds N bytes"), and the start warns how many there are.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { check, clients, config, legacyCopy, startWithLegacy, waitForLog } from "./helpers.ts";

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

  it("refuses calls of tools and executions of scripts over it at the exact limit, and warns at start", async () => {
    const root = legacyCopy();
    const tool = (name: string, size: number) => {
      const head = `export const name = "${name}";\nexport const description = "x";\nexport async function call() { return 1; }\n// `;
      return head + "p".repeat(size - head.length - 1) + "\n";
    };
    const sizes = { near: LOWER + 100, far: LOWER + 8192 };
    for (const [name, size] of Object.entries(sizes)) writeFileSync(join(root, `${name}.js`), tool(name, size));
    let server = await startWithLegacy(root);
    let c = clients(server);
    for (const name of Object.keys(sizes)) expect((await c.migration.migrateTool({ config: config({ file: `${name}.js` }) })).result!.status).toBe(MigrationState.COMPLETED);
    const script = `export default () => 2;\n// ${"s".repeat(LOWER + 100)}\n`;
    expect((await c.scripts.compileScript({ source: script, context: { scriptId: "bigscript" } })).script!.version).toBe(1);
    expect(await server.stop()).toBe(0);
    server = await startWithLegacy(root, { dataDir: server.dataDir, args: ["--set", `max_source_size=${LOWER}`] });
    c = clients(server);
    try {
      await waitForLog(server, (l) => l.includes("stored sources over max_source_size are refused when run"));
      const line = server.logs().split("\n").find((l) => l.includes("stored sources over max_source_size"))!;
      expect(line).toContain('"tools":2');
      expect(line).toContain('"scripts":1');
      for (const [name, size] of Object.entries(sizes)) {
        const run = await c.scripts.runScript({ source: `export default (a, ctx) => ctx.tools.${name}({})`, context: { availableTools: [name] } });
        expect(run.result!.success, name).toBe(false);
        expect(run.result!.error!.message).toContain(`its source is ${size} bytes, over max_source_size (${LOWER})`);
      }
      const err = await failure(c.scripts.executeScript({ scriptId: "bigscript" }));
      expect(err).toMatchObject({ code: "FailedPrecondition", reason: "CONFIGURATION_ERROR", metadata: { key: "max_source_size", limit: String(LOWER) } });
      expect(err.err.rawMessage).toContain(`script bigscript version 1: its source is ${Buffer.byteLength(script)} bytes, over max_source_size (${LOWER})`);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});
