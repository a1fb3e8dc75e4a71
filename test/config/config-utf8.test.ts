// TOML files are UTF-8. Read with U+FFFD for bad bytes, a Latin-1 path (data dir, TLS file) named
// another directory or file: a new, empty data directory was created and served. Such a file now
// stops the server at load, naming the byte offset.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { firstNonUtf8, loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";

const dir = () => mkdtempSync(join(tmpdir(), "se-utf8-"));

it("finds the first byte that is not UTF-8, past a real U+FFFD", () => {
  expect(firstNonUtf8(Buffer.from("a = \"é\uFFFD\"\n"))).toBeUndefined();
  expect(firstNonUtf8(Buffer.concat([Buffer.from("x = \"\uFFFD"), Buffer.from([0xe9]), Buffer.from("\"")]))).toBe(8);
  expect(firstNonUtf8(Buffer.from([0x61, 0xc3]))).toBe(1); // cut in the middle of a character
});

it("refuses a Latin-1 config file at load, naming the file, byte offset and line", () => {
  const d = dir();
  const file = join(d, "latin1.toml");
  writeFileSync(file, Buffer.concat([Buffer.from(`[server]\ndata_dir = "${d}/caf`), Buffer.from([0xe9]), Buffer.from(`"\n`)]));
  const offset = Buffer.byteLength(`[server]\ndata_dir = "${d}/caf`);
  expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrowError(
    expect.objectContaining({ key: file, message: `config: ${file}: not valid TOML: not UTF-8 at byte offset ${offset} (line 2); TOML files are UTF-8` }),
  );
});

it("the server exits 2 with one line naming the file", async () => {
  const d = dir();
  const file = join(d, "latin1.toml");
  writeFileSync(file, Buffer.concat([Buffer.from(`[server]\ndata_dir = "${d}/caf`), Buffer.from([0xe9]), Buffer.from(`"\n`)]));
  const { code, stderr } = await exitAtStart(["--config", file]);
  expect(code).toBe(2);
  expect(stderr).toMatch(/^scriptengine: config: .*latin1\.toml: not valid TOML: not UTF-8 at byte offset \d+ \(line 2\)/);
});
