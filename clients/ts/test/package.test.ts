// The package as a user installs it: `npm pack` (which builds dist/ through prepack), unpacked into
// a scratch project's node_modules beside its dependencies, then imported by name (through the
// exports map) to talk to a real server, and type-checked by a consumer through the package's .d.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../../../test/helpers/server.ts";
import { SERVER_ARGS } from "./support.ts";

const PKG = join(ROOT, "clients/ts");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let project: string;
let server: TestServer;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "scriptengine-pkg-"));
  const [{ filename, files }] = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", project], { cwd: PKG, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).replace(/^[^[]*/, ""));
  const packed = new Set((files as { path: string }[]).map((f) => f.path));
  const manifest = JSON.parse(readFileSync(join(PKG, "package.json"), "utf8"));
  for (const target of [manifest.main, manifest.types, ...Object.values(manifest.exports as Record<string, Record<string, unknown>>).flatMap(leaves)]) {
    expect(packed, `package.json points at ${target}`).toContain(target.replace(/^\.\//, ""));
  }
  expect([...packed].filter((f) => f.startsWith("dist/gen/scriptengine/v1/")).length).toBeGreaterThan(0);
  expect([...packed].some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);

  const installed = join(project, "node_modules/@scriptengine/client");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", join(project, filename), "-C", installed, "--strip-components=1"]);
  for (const scope of ["@bufbuild", "@connectrpc", "@grpc", "@types"]) symlinkSync(join(ROOT, "node_modules", scope), join(project, "node_modules", scope));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
  server = await startServer({ args: SERVER_ARGS });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

function leaves(v: unknown): string[] {
  return typeof v === "string" ? [v] : Object.values(v as Record<string, unknown>).flatMap(leaves);
}

it("the installed package runs: import by name, call the server, typed errors", () => {
  writeFileSync(join(project, "main.mjs"), `
    import { createScriptEngineClient, NotFoundError, ServiceStatus, MigrationState } from "@scriptengine/client";
    import * as web from "@scriptengine/client/web";
    const client = createScriptEngineClient({ address: process.argv[2] });
    try {
      const health = await client.health();
      const sum = await client.run("export default (a) => a.x + 1", { x: 41 });
      const err = await client.tools.getTool({ name: "nope" }).catch((e) => e);
      console.log(JSON.stringify({ healthy: health.status === ServiceStatus.HEALTHY, sum, notFound: err instanceof NotFoundError, reason: err.reason,
        completed: MigrationState.COMPLETED, web: typeof web.ScriptEngineClient }));
    } finally { client.close(); }
  `);
  const out = execFileSync(process.execPath, ["main.mjs", server.grpc], { cwd: project, encoding: "utf8" });
  expect(JSON.parse(out)).toEqual({ healthy: true, sum: 42, notFound: true, reason: "TOOL_NOT_FOUND", completed: 3, web: "function" });
});

it("the installed package's types check in a consumer", () => {
  writeFileSync(join(project, "consumer.ts"), `
    import { createScriptEngineClient, ScriptEngineClient, PermissionDeniedError, type MigrationResult, type RollbackResult } from "@scriptengine/client";
    export async function roundTrip(client: ScriptEngineClient): Promise<[MigrationResult, RollbackResult]> {
      const migrated = await client.migrate("text_search", { dryRun: true });
      const rolledBack = await client.rollback("text_search", { reason: "typed" });
      return [migrated, rolledBack];
    }
    export const client: ScriptEngineClient = createScriptEngineClient({ address: "127.0.0.1:50051", transport: "connect" });
    export const denied = (e: unknown): string | undefined => (e instanceof PermissionDeniedError ? e.reason : undefined);
    // @ts-expect-error: migrate takes a tool name
    void client.migrate(42);
  `);
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "es2023", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, types: ["node"], lib: ["es2023", "dom"] }, // no skipLibCheck: the package's .d.ts are checked too (connect's need the DOM lib's HeadersInit)
    files: ["consumer.ts"],
  }));
  try {
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: project, encoding: "utf8" });
  } catch (err) {
    throw new Error(`tsc:\n${(err as { stdout?: string }).stdout ?? String(err)}`);
  }
}, 120_000); // a whole tsc run of a consumer: slow on a loaded machine, and no timing is asserted
