// `compile --validate-only` stores nothing, yet showed the server's generated id as the script's,
// as if it could be executed.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli } from "./helpers.ts";

const server = serverForTests({ toml: "[discovery]\nenabled = false\n" }, { checkExit: false });

it("compile --validate-only says the script was not stored, and nothing can be executed under its id", async () => {
  const file = join(server.dataDir, "check.js");
  writeFileSync(file, "export default () => 42");
  const r = await cli(["-a", server.grpc, "compile", file, "--validate-only"]);
  expect(r.code).toBe(0);
  const id = /^script +(\S+) \(not stored\)$/m.exec(r.stdout)?.[1];
  expect(id, r.stdout).toBeDefined();
  expect(r.stdout).toMatch(/^version +- \(validate only\)$/m);
  const exec = await cli(["-a", server.grpc, "exec", id!]);
  expect(exec.code).not.toBe(0);
  expect(exec.stderr).toContain("not found");
  // Stored, the same line names the id alone.
  const stored = await cli(["-a", server.grpc, "compile", file, "--id", "kept"]);
  expect(stored.stdout).toMatch(/^script +kept$/m);
});
