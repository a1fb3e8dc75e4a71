// `migrate DIR/` of a directory with no tool: the server ends the stream with no message
// (trailers-only), which the SDK's grpc-js transport never settled, so on the default transport the
// command printed nothing and exited 0 once its event loop drained. It prints the summary now.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
beforeAll(async () => {
  const legacy = mkdtempSync(join(tmpdir(), "scriptengine-cli-empty-"));
  mkdirSync(join(legacy, "empty"));
  mkdirSync(join(legacy, "notools"));
  writeFileSync(join(legacy, "notools", "README.md"), "no tool here\n");
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", `tools.legacy_root=${legacy}`] });
});
afterAll(() => server?.stop());

for (const transport of ["grpc-js", "connect"] as const) {
  it(`migrate of a directory with no tool prints the summary, exit 0 (${transport})`, async () => {
    const address = transport === "grpc-js" ? server.grpc : server.http;
    for (const dir of ["empty/", "notools/"]) {
      const r = await cli(["--address", address, "--transport", transport, "migrate", dir]);
      expect([r.code, r.stdout.trim(), r.stderr], dir).toEqual([0, "0 tools: 0 ok, 0 failed", ""]);
    }
  });
}
