// One rule for how many executions a principal may have running at once at a level
// (api/limits.ts callerLimit): its scripts (grantFor) and its migrations' describe and smoke runs
// are counted against the same number.
import { expect, it } from "vitest";
import { callerLimit, grantFor } from "../../src/api/limits.ts";
import { loadConfig } from "../../src/config/load.ts";
import { create } from "@bufbuild/protobuf";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionContextSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import type { Level, Principal } from "../../src/config/types.ts";

const { config } = loadConfig({ env: {}, argv: ["--set", "resource_limits.max_concurrent_operations=20"] });
const principal = (maxConcurrent: number): Principal => ({ name: "p", maxSecurityLevel: "development", permissions: [], maxConcurrent });
const PROTO = { safe: SecurityLevel.SAFE, production: SecurityLevel.PRODUCTION, development: SecurityLevel.DEVELOPMENT };

it.each<[Level, number, number]>([
  ["safe", 0, 10], // the level table's
  ["production", 0, 20], // the configuration's
  ["development", 0, 20],
  ["production", 3, 3], // the principal's own
])("at %s with max_concurrent %i: %i, as its scripts get", (level, mine, limit) => {
  expect(callerLimit(config, principal(mine), level)).toBe(limit);
  const grant = grantFor({ config, principal: principal(mine), context: create(ExecutionContextSchema, { securityContext: { securityLevel: PROTO[level] } }), deadlineMs: undefined });
  expect(grant.caller).toMatchObject({ key: "p", limit });
});
