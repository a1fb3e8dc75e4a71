// The level table's "concurrent per caller" (Safe 10, Production 50) is per caller per level: a
// caller's Production executions took the Safe level's room ("caller local already has 12
// executions (limit 10: the safe level's)" with no Safe execution running), while its own caps
// (max_concurrent, max_concurrent_operations, the request's) count all its executions together.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionContextSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { callerSlots, grantFor } from "../../src/api/limits.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Principal } from "../../src/config/types.ts";
import { clientFor } from "../helpers/clients.ts";
import { startServer } from "../helpers/server.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

const { config } = loadConfig({ env: {}, argv: ["--set", "resource_limits.max_concurrent_operations=20"] });
const principal = (maxConcurrent: number): Principal => ({ name: "p", maxSecurityLevel: "development", permissions: [], maxConcurrent });

it("the level's cap counts the caller's runs at that level; its own caps count them all", () => {
  expect(callerSlots(config, principal(0), "safe")).toEqual({
    key: "p", level: "safe", limit: 10, limitName: "the safe level's",
    total: { limit: 20, name: "resource_limits.max_concurrent_operations" },
  });
  expect(callerSlots(config, principal(0), "development")).toMatchObject({ level: "development", limit: 20, total: { limit: 20 } });
  expect(callerSlots(config, principal(3), "production")).toMatchObject({ limit: 3, limitName: "its max_concurrent", total: { limit: 3, name: "its max_concurrent" } });
  // The request's max_concurrent_operations counts all the principal's executions, this one included.
  const grant = grantFor({
    config, principal: principal(0), deadlineMs: undefined,
    context: create(ExecutionContextSchema, { securityContext: { securityLevel: SecurityLevel.PRODUCTION }, resourceLimits: { maxConcurrentOperations: 5n } }),
  });
  expect(grant.caller).toMatchObject({ level: "production", limit: 5, total: { limit: 5, name: "the request's resource_limits.max_concurrent_operations" } });
});

it("a caller's 10 Production runs leave its Safe runs their room", async () => {
  const s = await startServer({ toml: `[pool]\nworkers = 2\n` });
  const scripts = clientFor(ScriptService, "grpc-js", s);
  const stop = new AbortController();
  const production = { securityContext: { securityLevel: SecurityLevel.PRODUCTION } };
  const held = Array.from({ length: 10 }, () =>
    scripts.runScript({ source: "new Promise((r) => setTimeout(r, 25_000))", context: production }, { signal: stop.signal }));
  try {
    await untilMetrics(scripts, "the 10 Production runs wait on their timers", (m) => m.busyIsolates === 10n);
    const safe = await scripts.runScript({ source: "6 * 7" });
    expect(safe.result?.error?.message ?? "").toBe("");
    expect(safe.result?.returnValue).toMatchObject({ kind: { case: "numberValue", value: 42 } });
  } finally {
    stop.abort();
    await settle(held);
    await s.stop();
  }
}, 60_000);
