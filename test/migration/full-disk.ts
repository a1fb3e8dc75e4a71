// A small tmpfs to fill, for the tests of what a full disk does to the store. Mounting needs root
// with mount rights: `mounted` is false elsewhere, and those tests skip.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** Mounts an 8 MiB tmpfs for the calling file's tests, unmounted after them. */
export function smallDisk() {
  const mnt = mkdtempSync(join(tmpdir(), "se-fulldisk-"));
  const mounted = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt]).status === 0;
  const filler = join(mnt, "filler");
  afterAll(() => {
    if (mounted) spawnSync("umount", [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  return {
    mnt,
    mounted,
    /** Fills the file system but for `room` bytes. */
    fillLeaving(room: number): void {
      const { bavail, bsize } = statfsSync(mnt);
      const fd = openSync(filler, "w");
      try {
        const want = bavail * bsize - room;
        const chunk = Buffer.alloc(64 * 1024, 1);
        for (let done = 0; done < want; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, want - done));
      } finally {
        closeSync(fd);
      }
    },
    /** Gives the room back. */
    free(): void {
      rmSync(filler, { force: true });
    },
  };
}
