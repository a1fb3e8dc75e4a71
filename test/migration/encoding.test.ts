// Legacy sources must be UTF-8: a file in another encoding fails source_readable, naming the first
// bad byte (or a UTF-16 byte order mark), instead of being migrated with U+FFFD in place of its
// characters (in the tool, its backup and its hash). A UTF-8 BOM stays accepted.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { decodeUtf8 } from "../../src/migration/legacy.ts";
import { failure } from "../helpers/errors.ts";
import { check, config, legacyServer } from "./helpers.ts";

const c = legacyServer();

const toolText = (name: string, value: string) =>
  `export const name = "${name}";\nexport const description = "d";\nexport const version = "1.0.0";\nexport const inputSchema = { type: "object", properties: {} };\nexport function call() { return "${value}"; }\n`;
const migrate = async (name: string, o: Parameters<typeof config>[0] = {}) => (await c.migration.migrateTool({ toolName: name, config: config(o) })).result!;

describe("legacy sources that are not UTF-8", () => {
  it("a Latin-1 file fails source_readable with its first bad byte and line, and registers nothing", async () => {
    const text = toolText("latin", "café");
    writeFileSync(join(c.root, "latin.js"), Buffer.from(text, "latin1"));
    const at = text.indexOf("é"); // 0xE9 in Latin-1
    for (const dryRun of [true, false]) {
      const r = await migrate("latin", { dryRun });
      expect(r.status).toBe(dryRun ? MigrationState.DRY_RUN : MigrationState.FAILED);
      const readable = check(r, "source_readable");
      expect(readable.status).toBe(ValidationStatus.FAILED);
      expect(readable.message).toBe(`latin.js is not valid UTF-8 (byte ${at}: 0xE9, line 5); save it as UTF-8`);
      expect(r.errors).toContain(`source_readable: ${readable.message}`);
    }
    expect((await failure(c.tools.getTool({ name: "latin" }))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("a UTF-16 file is named as UTF-16 (its byte order mark), not reported as a compile error", async () => {
    writeFileSync(join(c.root, "wide.js"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(toolText("wide", "x"), "utf16le")]));
    const r = await migrate("wide");
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "source_readable").message).toBe("wide.js is not valid UTF-8 (byte 0: a UTF-16 LE byte order mark, so UTF-16 LE text); save it as UTF-8");
    expect(check(r, "compiles").status).toBe(ValidationStatus.SKIPPED);
  });

  it("a manifest's source file is held to the same rule", async () => {
    const code = 'export function call() { return "\xe9"; }\n';
    writeFileSync(join(c.root, "latin-src.js"), Buffer.from(code, "latin1"));
    writeFileSync(join(c.root, "enc.json"), JSON.stringify({ tools: [{ name: "enc", description: "d", inputSchema: { type: "object" }, sourceFile: "latin-src.js" }] }));
    const r = await migrate("enc", { manifest: "enc.json" });
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "source_readable").message).toBe(`latin-src.js is not valid UTF-8 (byte ${code.indexOf("\xe9")}: 0xE9, line 1); save it as UTF-8`);
  });
});

it("UTF-8 (with a BOM, and characters of 2 to 4 bytes) migrates byte for byte: the hash is the file's", async () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(toolText("utf8ok", "café ✓ 😀"), "utf8")]);
  writeFileSync(join(c.root, "utf8ok.js"), bytes);
  const r = await migrate("utf8ok");
  expect(r.status).toBe(MigrationState.COMPLETED);
  expect(r.metadata.source_hash?.kind.value).toBe(createHash("sha256").update(bytes).digest("hex"));
  const run = await c.scripts.runScript({ source: "export default (a, ctx) => ctx.tools.utf8ok({})", context: { availableTools: ["utf8ok"] } });
  expect(run.result?.returnValue?.kind.value).toBe("café ✓ 😀");
});

it("decodeUtf8 points at the first byte the UTF-8 decoder rejects", () => {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const cases: number[][] = [
    [0x61, 0x80], // a lone continuation byte
    [0x61, 0xc0, 0xaf], // overlong
    [0xe0, 0x80, 0xaf], // overlong, three bytes
    [0xed, 0xa0, 0x80], // a surrogate
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xf0, 0x9f, 0x98], // cut short at the end
    [0x0a, 0xe2, 0x9c, 0x93, 0xe2, 0x28, 0xa1], // a valid ✓, then a bad second byte
  ];
  for (const bytes of cases) {
    const { error } = decodeUtf8(Uint8Array.from(bytes), "f");
    const at = Number(/byte (\d+)/.exec(error ?? "")?.[1]);
    expect(() => decoder.decode(Uint8Array.from(bytes.slice(0, at)))).not.toThrow();
    expect(() => decoder.decode(Uint8Array.from(bytes.slice(0, at + 4)))).toThrow();
  }
  expect(decodeUtf8(Uint8Array.from([0x0a, 0x0a, 0xff]), "f").error).toBe("f is not valid UTF-8 (byte 2: 0xFF, line 3); save it as UTF-8");
  expect(decodeUtf8(Buffer.from("\ufeffok"), "f").text).toBe("\ufeffok");
});
