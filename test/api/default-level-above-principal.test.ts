// The server's default security_level is no claim of the caller's: a request naming no level, from
// a principal whose maximum is below that default, runs at its maximum, without a refusal (deny) or
// a "clamped" note and SecurityViolation (clamp). It used to be treated as asking for the default,
// so raising it for trusted callers refused, or announced as violations, every call of the others.
// A level the request does name is still checked against the maximum in both modes.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionContextSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { grantFor } from "../../src/api/limits.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config, Level } from "../../src/config/types.ts";

const base = loadConfig({ env: {}, argv: [] }).config;
const configWith = (securityLevel: Level, onExcess: "deny" | "clamp"): Config => ({ ...base, securityLevel, auth: { ...base.auth, onExcess } });
const safeUser = { name: "safe-user", maxSecurityLevel: "safe", permissions: [], maxConcurrent: 0 } as never;

/** The grant's level and clamped notes, the violations reported, or the refusal's message. */
function outcome(config: Config, context: ReturnType<typeof create<typeof ExecutionContextSchema>> | undefined) {
  const violations: string[] = [];
  try {
    const grant = grantFor({ config, principal: safeUser, context, deadlineMs: undefined, onViolation: (detail) => violations.push(detail) });
    return { level: grant.level, clamped: grant.clamped, violations };
  } catch (err) {
    return { refused: (err as Error).message, violations };
  }
}

const noLevel = [
  ["no context", undefined],
  ["a context without a security context", create(ExecutionContextSchema, {})],
  ["an UNSPECIFIED level", create(ExecutionContextSchema, { securityContext: { securityLevel: SecurityLevel.UNSPECIFIED } })],
] as const;

for (const onExcess of ["deny", "clamp"] as const) {
  it(`on_excess = ${onExcess}: a request naming no level gets the default within its principal's maximum, unannounced`, () => {
    for (const [what, context] of noLevel) {
      expect([what, outcome(configWith("production", onExcess), context)]).toEqual([what, { level: "safe", clamped: [], violations: [] }]);
      expect([what, outcome(configWith("development", onExcess), context)]).toEqual([what, { level: "safe", clamped: [], violations: [] }]);
    }
  });
}

it("a level the request names above its principal's maximum is still refused (deny) or clamped and announced (clamp)", () => {
  const asked = create(ExecutionContextSchema, { securityContext: { securityLevel: SecurityLevel.PRODUCTION } });
  const detail = 'principal "safe-user" may not run at level production (max safe)';
  expect(outcome(configWith("production", "deny"), asked)).toEqual({ refused: `[permission_denied] ${detail}`, violations: [detail] });
  expect(outcome(configWith("safe", "clamp"), asked)).toEqual({ level: "safe", clamped: [detail], violations: [] });
});
