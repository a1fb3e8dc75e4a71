// An odd execution.max_tool_payload_bytes: half of it was a fraction, and the fs tool's read of
// any file larger than that half failed ERR_OUT_OF_RANGE. It reads the whole half now.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";

let server: TestServer;
const wd = mkdtempSync(join(tmpdir(), "se-fs-odd-"));

beforeAll(async () => {
  server = await startServer({ toml: "[execution]\nmax_tool_payload_bytes = 1025\n" });
});
afterAll(async () => {
  await server.stop();
  rmSync(wd, { recursive: true, force: true });
});

it("reads a file over half of an odd max_tool_payload_bytes, cut at 512 bytes", async () => {
  writeFileSync(join(wd, "big.txt"), "a".repeat(600));
  const { result } = await clientFor(ScriptService, "grpc-js", server).runScript({
    source: `export default async (a, ctx) => { const r = await ctx.tools.fs({ path: "big.txt" }); return { n: r.content.length, size: r.size, truncated: r.truncated }; }`,
    context: { availableTools: ["fs"], workingDirectory: wd, securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } },
  });
  const r = toJson(ExecutionResultSchema, result!) as { success?: boolean; returnValue?: unknown; error?: unknown };
  expect(r.success, JSON.stringify(r.error)).toBe(true);
  expect(r.returnValue).toEqual({ n: 512, size: 600, truncated: true });
});
