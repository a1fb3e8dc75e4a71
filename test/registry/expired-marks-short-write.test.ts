// registry-expired is made whole (two 16 KiB slots) at a start while there is room, so that later
// marks are written in place with no free space needed. On a nearly full disk write(2) writes what
// fits and says how much; that short write was taken for a whole one: the file stayed short with no
// error (so no warning that the record could not be made) and a mark written later could land past
// its end, torn or refused. The writes now go on until done, so the full disk's ENOSPC is thrown.
// Needs a small tmpfs (root with mount rights); skipped elsewhere.
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { openExpiredMarks } from "../../src/registry/expired-marks.ts";
import { smallDisk } from "../migration/full-disk.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("a disk with room for part of registry-expired refuses to make it, and makes it whole once freed", () => {
  const dir = join(disk.mnt, "data");
  mkdirSync(dir);
  disk.fillLeaving(8192); // two pages of the file's eight
  expect(() => openExpiredMarks(dir)).toThrow(/ENOSPC/);
  disk.free();
  const marks = openExpiredMarks(dir);
  expect(statSync(join(dir, "registry-expired")).size).toBe(32 * 1024);
  marks.record([{ serviceId: "a", leaseId: "l1" }]);
  expect(openExpiredMarks(dir).announced({ serviceId: "a", leaseId: "l1" })).toBe(true);
});
