// The fs tool's listing names a symlink as one (not "other", which a FIFO is) and marks a name
// that is not UTF-8 (listed with U+FFFD, it cannot be passed back); a read the cap cuts inside a
// character leaves that character out rather than ending in U+FFFD.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fsTool } from "../../src/tools/fs-tool.ts";

const tmp = mkdtempSync(join(tmpdir(), "se-fs-list-types-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const call = (wd: string, args: object, maxBytes = 512 * 1024) => fsTool(args as never, { workingDirectory: wd, roots: [] }, maxBytes, () => {});

describe("fs list", () => {
  it("gives symlinks their own type, whatever they lead to, and leaves other for FIFOs", async () => {
    const wd = join(tmp, "types");
    mkdirSync(join(wd, "sub"), { recursive: true });
    writeFileSync(join(wd, "a.txt"), "a");
    symlinkSync("a.txt", join(wd, "to-file"));
    symlinkSync("sub", join(wd, "to-dir"));
    symlinkSync("missing", join(wd, "dangling"));
    symlinkSync("/etc/hostname", join(wd, "outside"));
    expect(spawnSync("mkfifo", [join(wd, "fifo")]).status).toBe(0);
    const listed = ((await call(wd, { op: "list", path: "." })) as { name: string; type: string }[]).sort((x, y) => (x.name < y.name ? -1 : 1));
    expect(listed).toEqual([
      { name: "a.txt", type: "file" },
      { name: "dangling", type: "symlink" },
      { name: "fifo", type: "other" },
      { name: "outside", type: "symlink" },
      { name: "sub", type: "dir" },
      { name: "to-dir", type: "symlink" },
      { name: "to-file", type: "symlink" },
    ]);
    // A link inside still reads and lists through.
    expect(await call(wd, { path: "to-file" })).toMatchObject({ content: "a" });
  });

  it("marks a name that is not UTF-8, and only such a name", async () => {
    const wd = join(tmp, "names");
    mkdirSync(wd);
    writeFileSync(Buffer.from(join(wd, "name_\xff\xfe.txt"), "latin1"), "x");
    writeFileSync(join(wd, "é.txt"), "y");
    const listed = ((await call(wd, { op: "list", path: "." })) as { name: string }[]).sort((x, y) => (x.name < y.name ? -1 : 1));
    expect(listed).toEqual([
      { name: "name_\ufffd\ufffd.txt", type: "file", notUtf8: true },
      { name: "é.txt", type: "file" },
    ]);
  });
});

describe("fs read cut by the cap", () => {
  it("leaves out a character the cut splits; a file read whole keeps its own bad bytes as U+FFFD", async () => {
    const wd = join(tmp, "cut");
    mkdirSync(wd);
    // 1 + 2 × 1000 bytes: a 1001-byte cap falls inside an "é".
    writeFileSync(join(wd, "split.txt"), "x" + "é".repeat(1000));
    expect(await call(wd, { path: "split.txt" }, 1001)).toEqual({ path: "split.txt", size: 2001, content: "x" + "é".repeat(500), truncated: true });
    // Under the cap the file ends in half a character: that is the file's, and shown.
    writeFileSync(join(wd, "half.txt"), Buffer.from([0x78, 0xc3]));
    expect(await call(wd, { path: "half.txt" }, 1001)).toEqual({ path: "half.txt", size: 2, content: "x\ufffd", truncated: false });
    // A cut on a character boundary keeps every character, a 4-byte one included.
    writeFileSync(join(wd, "emoji.txt"), "😀".repeat(300));
    expect(await call(wd, { path: "emoji.txt" }, 1000)).toMatchObject({ content: "😀".repeat(250), truncated: true });
    expect(await call(wd, { path: "emoji.txt" }, 1001)).toMatchObject({ content: "😀".repeat(250), truncated: true });
  });
});
