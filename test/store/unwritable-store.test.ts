// A store the server may not write (a read-only mount, another user's files): SQLite opens the file
// read-only, fails to lock it and says "disk I/O error", sending the operator to a healthy disk. The
// line now says the store is not writable, with the errno and the path.
import { afterAll, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerExpectingExit, startServer } from "../helpers/server.ts";

// Root writes anywhere whatever the modes (and another user may not reach this checkout: a clean
// clone under a mode-0700 temp directory), so root's store is on a tmpfs remounted read-only.
const root = process.getuid?.() === 0;
const mnt = mkdtempSync(join(tmpdir(), "se-readonly-"));
const mounted = root && spawnSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt]).status === 0;
afterAll(() => {
  if (mounted) spawnSync("umount", [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

it.skipIf(root && !mounted)("a store that is not writable: exit 1 with one line saying so, not 'disk I/O error'", async () => {
  const dir = join(mnt, "data");
  mkdirSync(dir);
  const first = await startServer({ dataDir: dir });
  expect(await first.stop()).toBe(0);
  if (mounted) {
    expect(spawnSync("mount", ["-o", "remount,ro", mnt]).status).toBe(0);
  } else {
    chmodSync(dir, 0o555);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
  }
  try {
    const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dir]);
    const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
    expect([code, lines]).toEqual([1, [expect.stringMatching(new RegExp(`^scriptengine: cannot use ${dir} \\(server\\.data_dir\\): not writable: (EACCES|EROFS|EPERM): .*'${dir}'$`))]]);
  } finally {
    if (mounted) spawnSync("mount", ["-o", "remount,rw", mnt]);
    else chmodSync(dir, 0o755);
  }
});
