// max_source_size limits the legacy source the user wrote: a tool of exactly that size compiles,
// passes its smoke run and is called, though the engine runs it with the tool footer added; one
// byte more is refused when it is read.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { TestServer } from "../helpers/server.ts";
import { check, clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const LIMIT = 64 * 1024;
let server: TestServer;
let root: string;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  root = legacyCopy();
  server = await startWithLegacy(root, { args: ["--set", `max_source_size=${LIMIT}`] });
  c = clients(server);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** A tool of exactly `size` bytes whose call returns the length of its data string. */
function sized(name: string, size: number): { text: string; data: number } {
  const head = `export const name = "${name}";\nexport const description = "x";\nexport async function call() { return DATA.length; }\nconst DATA = "`;
  const tail = `";\n`;
  const data = size - head.length - tail.length;
  return { text: head + "a".repeat(data) + tail, data };
}

describe("max_source_size and the tool footer", () => {
  it("a legacy tool of exactly max_source_size bytes migrates and runs", async () => {
    const { text, data } = sized("atcap", LIMIT);
    expect(Buffer.byteLength(text)).toBe(LIMIT);
    writeFileSync(join(root, "atcap.js"), text);
    const r = (await c.migration.migrateTool({ config: config({ file: "atcap.js" }) })).result!;
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(check(r, "compiles").status).toBe(ValidationStatus.PASSED);
    const run = await c.scripts.runScript({ source: "export default async (a, ctx) => ctx.tools.atcap({})", context: { availableTools: ["atcap"] } });
    expect(run.result!.success, run.result!.error?.message).toBe(true);
    expect(toJson(ValueSchema, run.result!.returnValue!)).toBe(data);
  });

  it("one byte over is refused by source_readable, as before", async () => {
    writeFileSync(join(root, "overcap.js"), sized("overcap", LIMIT + 1).text);
    const r = (await c.migration.migrateTool({ config: config({ file: "overcap.js" }) })).result!;
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "source_readable").message).toContain(`over max_source_size (${LIMIT})`);
  });

  it("a script is still held to max_source_size exactly", async () => {
    const source = `export default () => 1; // ${"x".repeat(LIMIT)}`.slice(0, LIMIT + 1);
    const err = await c.scripts.runScript({ source, context: {} }).then(() => undefined, (e: Error) => e);
    expect(String(err?.message)).toContain(`over max_source_size (${LIMIT})`);
  });
});
