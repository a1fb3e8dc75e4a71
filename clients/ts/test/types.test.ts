// The SDK's types as a caller meets them: tsc over type-checks.ts, with the root tsconfig's options
// (which `npm run typecheck` also checks it with). Arguments typed by an interface and readonly event
// type lists compile; what JSON cannot hold is still a type error there.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../../../test/helpers/server.ts";

it("type-checks.ts compiles, and its @ts-expect-error lines are errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "scriptengine-types-"));
  try {
    const config = join(dir, "tsconfig.json");
    writeFileSync(config, JSON.stringify({ extends: join(ROOT, "tsconfig.json"), compilerOptions: { typeRoots: [join(ROOT, "node_modules/@types")] }, include: [], files: [join(ROOT, "clients/ts/test/type-checks.ts")] }));
    let out = "";
    try {
      execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: ROOT, encoding: "utf8" });
    } catch (err) {
      out = (err as { stdout?: string }).stdout ?? String(err);
    }
    expect(out).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
