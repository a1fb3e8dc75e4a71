// A working_directory reached through a symlink (a `/srv -> /data/srv` workspace, or a tools.fs_roots
// entry that is itself a link): an absolute path spelled through it, as the request gave it, was
// refused as outside (a SecurityError, counted as an escape attempt), being compared with the real
// path only. It reads now; what leads outside is refused as before.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fsTool } from "../../src/tools/fs-tool.ts";
import { ToolError } from "../../src/tools/tool-error.ts";

const tmp = realpathSync(mkdtempSync(join(tmpdir(), "se-fs-linked-wd-")));
const real = join(tmp, "real");
mkdirSync(join(real, "sub"), { recursive: true });
writeFileSync(join(real, "top.txt"), "top");
writeFileSync(join(real, "sub", "x.txt"), "inner");
writeFileSync(join(tmp, "secret.txt"), "secret");
symlinkSync(real, join(tmp, "link")); // the workspace, through a link
symlinkSync(join(real, "sub"), join(tmp, "sub-link"));
symlinkSync(join(tmp, "secret.txt"), join(real, "sub", "out-link")); // a link inside leading outside
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noIo = () => {};
const read = (workingDirectory: string, path: string, roots: string[] = []) =>
  fsTool({ op: "read", path }, { workingDirectory, roots }, 4096, noIo).then((r) => (r as { content: string }).content);
const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error("read"); }, (e: unknown) => (e instanceof ToolError ? `${e.kind}: ${e.message}` : String(e)));

describe("an absolute path through a symlinked working_directory", () => {
  // With its fs_roots entry: the link's own directory, and a link (the workspace's).
  for (const [what, wd, root] of [["the working directory is a link", join(tmp, "sub-link"), tmp], ["a directory above it is a link", join(tmp, "link", "sub"), join(tmp, "link")]]) {
    it(`is read as the relative one is (${what})`, async () => {
      expect(await read(wd, "x.txt")).toBe("inner");
      expect(await read(wd, join(wd, "x.txt"))).toBe("inner");
      expect(await read(wd, join(wd, ".", "x.txt"))).toBe("inner");
      // The real path still reads; so does the link's with fs_roots set.
      expect(await read(wd, join(real, "sub", "x.txt"))).toBe("inner");
      expect(await read(wd, join(wd, "x.txt"), [root])).toBe("inner");
    });
  }

  it("still refuses what leads outside, spelled through the link or not", async () => {
    const wd = join(tmp, "link", "sub");
    for (const path of [join(wd, "..", "..", "secret.txt"), join(wd, "out-link"), join(tmp, "secret.txt"), join(tmp, "link", "top.txt"), "../top.txt"]) {
      expect(await refusal(read(wd, path)), path).toBe(`security_violation: fs: ${JSON.stringify(path)} is outside the working directory`);
    }
  });
});
