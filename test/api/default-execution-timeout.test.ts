// default_execution_timeout as the README states it: the wall timeout of a request that sets no
// context.timeout, at every level, within the level's cap and resource_limits.max_execution_time.
// A request's context.timeout takes its place (longer than it, never past those caps); the
// request's resource_limits.max_execution_time is one more cap and does not take its place.
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect, it } from "vitest";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionContextSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { grantFor } from "../../src/api/limits.ts";
import { loadConfig } from "../../src/config/load.ts";

const { config } = loadConfig({ env: {}, argv: ["--set", "default_execution_timeout=2s", "--set", "resource_limits.max_execution_time=4s"] });
const principal = { name: "p", maxSecurityLevel: "development", permissions: [], maxConcurrent: 0 } as never;
const wallAt = (level: SecurityLevel, ask: { timeout?: number; maxExecutionTime?: number } = {}) =>
  grantFor({
    config,
    principal,
    deadlineMs: undefined,
    context: create(ExecutionContextSchema, {
      securityContext: { securityLevel: level },
      ...(ask.timeout !== undefined && { timeout: durationFromMs(ask.timeout) }),
      ...(ask.maxExecutionTime !== undefined && { resourceLimits: { maxExecutionTime: durationFromMs(ask.maxExecutionTime) } }),
    }),
  }).limits.wallTimeoutMs;

it("a request that sets no timeout gets the default at every level", () => {
  expect([SecurityLevel.SAFE, SecurityLevel.PRODUCTION, SecurityLevel.DEVELOPMENT].map((l) => wallAt(l))).toEqual([2000, 2000, 2000]);
});

it("context.timeout takes the default's place, within the level's cap and resource_limits.max_execution_time", () => {
  expect(wallAt(SecurityLevel.DEVELOPMENT, { timeout: 3000 })).toBe(3000);
  expect(wallAt(SecurityLevel.SAFE, { timeout: 20_000 })).toBe(4000);
  expect(wallAt(SecurityLevel.SAFE, { timeout: 1000 })).toBe(1000);
});

it("the request's resource_limits.max_execution_time only caps: the default still applies", () => {
  expect(wallAt(SecurityLevel.DEVELOPMENT, { maxExecutionTime: 3000 })).toBe(2000);
  expect(wallAt(SecurityLevel.DEVELOPMENT, { maxExecutionTime: 1500 })).toBe(1500);
});

it("with the defaults, the level's cap holds: Safe 10 s, Production and Development the 30 s default", () => {
  const defaults = loadConfig({ env: {}, argv: [] }).config;
  const wall = (level: SecurityLevel) => grantFor({ config: defaults, principal, deadlineMs: undefined, context: create(ExecutionContextSchema, { securityContext: { securityLevel: level } }) }).limits.wallTimeoutMs;
  expect([wall(SecurityLevel.SAFE), wall(SecurityLevel.PRODUCTION), wall(SecurityLevel.DEVELOPMENT)]).toEqual([10_000, 30_000, 30_000]);
});
