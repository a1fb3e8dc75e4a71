// max_source_size limits the legacy source the user wrote: a tool of exactly that size compiles,
// passes its smoke run and is called, though the engine runs it with the tool footer added; one
// byte more is refused when it is read.
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, legacyServer } from "./helpers.ts";

const LIMIT = 64 * 1024;
const c = legacyServer({ args: ["--set", `max_source_size=${LIMIT}`] });

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
    const r = await c.migrateFile("atcap.js", text);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(check(r, "compiles").status).toBe(ValidationStatus.PASSED);
    const run = await c.scripts.runScript({ source: "export default async (a, ctx) => ctx.tools.atcap({})", context: { availableTools: ["atcap"] } });
    expect(run.result!.success, run.result!.error?.message).toBe(true);
    expect(toJson(ValueSchema, run.result!.returnValue!)).toBe(data);
  });

  it("one byte over is refused by source_readable, as before", async () => {
    const r = await c.migrateFile("overcap.js", sized("overcap", LIMIT + 1).text);
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "source_readable").message).toContain(`over max_source_size (${LIMIT})`);
  });

  // The footer reads each export from its local by name: 7 fields from one 600-character local
  // add over 5 KB, past the 4 KiB the engine allows over max_source_size, whatever the source's size.
  const longLocals = (name: string, size: number) => {
    const local = "v".repeat(600);
    const fields = ["description", "inputSchema", "outputSchema", "version", "tags", "id", "call"].map((k) => `${local} as ${k}`);
    const head = `export const name = "${name}";\nfunction ${local}() { return 1; }\nexport { ${fields.join(", ")} };\n// `;
    return head + "p".repeat(size - head.length - 1) + "\n";
  };

  it("a tool whose exports' locals outgrow the footer's room fails compiles, saying so", async () => {
    for (const [file, size] of [["longat.js", LIMIT], ["longsmall.js", 6000]] as const) {
      const text = longLocals(file.slice(0, -3), size);
      expect(Buffer.byteLength(text)).toBe(size);
      const r = await c.migrateFile(file, text);
      expect(r.status).toBe(MigrationState.FAILED);
      const msg = check(r, "compiles").message;
      expect(msg).toContain("over the 4096 it may");
      expect(msg).toContain("tags, id, call from a 600-character local");
      expect(msg).not.toContain("source exceeds");
    }
  });

  it("a script is still held to max_source_size exactly", async () => {
    const source = `export default () => 1; // ${"x".repeat(LIMIT)}`.slice(0, LIMIT + 1);
    const err = await c.scripts.runScript({ source, context: {} }).then(() => undefined, (e: Error) => e);
    expect(String(err?.message)).toContain(`over max_source_size (${LIMIT})`);
  });
});
