// `make grpcurl` (clients/README.md) builds the pinned grpcurl on a tree that has none yet: the
// file rule's path is absolute, so only the phony alias gives it a name make matches.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "./helpers/server.ts";

const dir = mkdtempSync(join(tmpdir(), "se-make-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("make -n grpcurl on a tree without .tools/bin/grpcurl would install the pinned version", () => {
  copyFileSync(join(ROOT, "Makefile"), join(dir, "Makefile"));
  const plan = execFileSync("make", ["-n", "grpcurl"], { cwd: dir, encoding: "utf8" });
  expect(plan).toMatch(/go install github\.com\/fullstorydev\/grpcurl\/cmd\/grpcurl@v\d/);
});
