// A principal refused for lacking a right outside a script run (Stop without admin, a registry
// write without registry:write, a migration above its level) is announced as a SecurityViolation
// (kind "permission_denied") as a refused ExecuteScript is: it only logged at debug, so an operator
// watching the event stream never saw it. Refusals announced where they were thrown (a refused
// ExecuteScript's grant, an execution ended for an escape attempt) are still announced once. A
// principal's refusals are coalesced as refused credentials are (one event a second, counting them):
// a principal looping a call it may not make would otherwise push real events out of the log.
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { SecurityViolation } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor, type Protocol } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";

// A principal per test: refusals are coalesced per principal, a window one test opened must not hold another's.
const SERVICES = ["grpc-js", "connect", "run", "loop"].map((t) => `service-${t}`);
const server = serverForTests({
  toml: principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, ...SERVICES.map((name) => ({ name, level: "production" as const }))),
});
const OPS = bearer(tokenOf("ops"));
const as = (name: string) => bearer(tokenOf(`service-${name}`));

/** Runs `refuse` while an admin subscribes to security violations; returns those published until `done` says all are in. */
async function violationsDuring(refuse: () => Promise<unknown>, done: (seen: SecurityViolation[]) => boolean): Promise<SecurityViolation[]> {
  const ac = new AbortController();
  const seen: SecurityViolation[] = [];
  let live = () => {};
  const started = new Promise<void>((r) => (live = r));
  const reading = (async () => {
    for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["security_violation"] }, { ...OPS, signal: ac.signal })) {
      if (m.message.case === "started") live();
      else if (m.message.case === "event" && m.message.value.event.case === "securityViolation") seen.push(m.message.value.event.value);
    }
  })().catch(() => undefined);
  try {
    await started;
    await refuse();
    await until("the refusals' events", () => done(seen), { seen: () => seen });
    return seen;
  } finally {
    ac.abort();
    await reading;
  }
}

for (const protocol of ["grpc-js", "connect"] satisfies Protocol[]) {
  it(`admin and registry refusals are announced as permission_denied (${protocol})`, async () => {
    const scripts = clientFor(ScriptService, protocol, server);
    const registry = clientFor(RegistryService, protocol, server);
    const SERVICE = as(protocol);
    const name = `service-${protocol}`;
    const seen = await violationsDuring(
      async () => {
        expect((await failure(scripts.stop({}, SERVICE))).code).toBe("PermissionDenied");
        expect((await failure(registry.registerService({}, SERVICE))).code).toBe("PermissionDenied");
      },
      (seen) => seen.some((v) => v.detail.startsWith("scriptengine.v1.RegistryService/RegisterService: ")),
    );
    expect(seen.map((v) => [v.kind, v.principal, v.detail.split(":")[0], v.securityLevel, v.scriptId, v.executionId])).toEqual([
      ["permission_denied", name, "scriptengine.v1.ScriptService/Stop", SecurityLevel.PRODUCTION, "", ""],
      ["permission_denied", name, "scriptengine.v1.RegistryService/RegisterService", SecurityLevel.PRODUCTION, "", ""],
    ]);
    expect(seen[0]!.detail).toBe(`scriptengine.v1.ScriptService/Stop: principal "${name}" lacks the "admin" permission`);
    expect(seen.every((v) => v.count === 1 && /^127\.0\.0\.1:\d+$/.test(v.peer))).toBe(true);
  });
}

it("a refused ExecuteScript is announced once, by the run's own event", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const SERVICE = as("run");
  const seen = await violationsDuring(
    async () => {
      expect((await failure(scripts.runScript({ source: "1", context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } }, SERVICE))).code).toBe("PermissionDenied");
      // A refusal announced by the guard after it: everything published for the first is in by then.
      expect((await failure(scripts.stop({}, SERVICE))).code).toBe("PermissionDenied");
    },
    (seen) => seen.some((v) => v.detail.startsWith("scriptengine.v1.ScriptService/Stop: ")),
  );
  expect(seen.map((v) => [v.kind, v.detail.startsWith("scriptengine.v1.ScriptService/Stop: ")])).toEqual([
    ["permission_denied", false],
    ["permission_denied", true],
  ]);
});

it("a principal looping a refused call costs one event a second, counting the refusals", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const SERVICE = as("loop");
  const seen = await violationsDuring(
    async () => {
      for (let i = 0; i < 5; i++) expect((await failure(scripts.stop({ reason: `try ${i}` }, SERVICE))).code).toBe("PermissionDenied");
    },
    (seen) => seen.reduce((n, v) => n + v.count, 0) >= 5,
  );
  // The first at once, the others counted in one event a window (one window unless the machine took over a second for them).
  expect(seen[0]!.count).toBe(1);
  expect(seen.every((v) => v.principal === "service-loop")).toBe(true);
  expect(seen.reduce((n, v) => n + v.count, 0)).toBe(5);
  expect(seen.length).toBeLessThan(5);
  expect(seen.at(-1)!.detail).toMatch(/^scriptengine.v1.ScriptService\/Stop: /);
});
