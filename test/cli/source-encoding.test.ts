// A source file that is not UTF-8 is a usage error naming the file and where: it was decoded with
// U+FFFD in place of the bad bytes, then run or stored as a script that differs from the file.
import { isUtf8 } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { firstInvalidUtf8, readSource } from "../../src/cli/input.ts";
import { ROOT } from "../helpers/server.ts";
import { BIN, cli } from "./helpers.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "scriptengine-cli-encoding-"));
});

describe("source encoding", () => {
  it("run and compile refuse a Latin-1 file with exit 2, naming the file, byte and offset", async () => {
    const file = join(dir, "latin1.js");
    writeFileSync(file, Buffer.concat([Buffer.from('// ok\nexport default () => "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    const line = `scriptengine: ${file} is not valid UTF-8: byte 0xe9 at offset 31 (line 2)\n`;
    // Nothing listens on port 1: the file is refused before connecting.
    for (const command of [["run", file], ["compile", file, "--id", "lat"]]) {
      const r = await cli(["--address", "127.0.0.1:1", ...command]);
      expect([command[0], r.code, r.stderr]).toEqual([command[0], 2, line]);
    }
  });

  it("stdin is checked too", async () => {
    const proc = spawn(process.execPath, [BIN, "--address", "127.0.0.1:1", "run", "-"], { cwd: ROOT, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    proc.stdin!.end(Buffer.from([0x31, 0x2b, 0xff]));
    expect(await new Promise((r) => proc.once("exit", r))).toBe(2);
    expect(stderr).toBe("scriptengine: stdin is not valid UTF-8: byte 0xff at offset 2 (line 1)\n");
  });

  it("UTF-8 with or without a BOM is read as it is", () => {
    const file = join(dir, "bom.js");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('export default () => "café 🙂"')]));
    expect(readSource(file).source).toBe('\ufeffexport default () => "café 🙂"');
  });

  it("firstInvalidUtf8 agrees with the UTF-8 decoder on valid and invalid sequences", () => {
    const cases = [
      [0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x99, 0x82], [0xef, 0xbf, 0xbd],
      [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80],
      [0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x99], [0xff], [0xfe], [0x41, 0xc3, 0x41],
    ];
    for (const c of cases) {
      const b = Buffer.from([0x61, ...c, 0x62]);
      expect([c, firstInvalidUtf8(b) >= 0]).toEqual([c, !isUtf8(b)]);
    }
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x82, 0x41]))).toBe(2);
  });
});
