// Emit of what only the engine can know needs admin: a SecurityViolation (delivered to the
// principal it names as the engine's word) and events about the engine's own service. An
// events:emit caller still publishes anything else, under its own name as source.
import { expect, it } from "vitest";
import { EventService, type SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { bearer, principalsToml } from "../helpers/principals.ts";

const ENGINE = "engine-under-test";
const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";
const ROOT = "root-token-0123456789abcdef";
const NAMESAKE = "namesake-token-0123456789abcdef";
const TOML = `[discovery]\nservice_id = "${ENGINE}"\n\n${principalsToml(
  { name: "alice", token: ALICE, permissions: ["events:emit"] },
  { name: "bob", token: BOB },
  { name: "root", token: ROOT, level: "development", permissions: ["admin"] },
  { name: ENGINE, token: NAMESAKE, permissions: ["events:emit"] },
)}`;

const s = serverForTests({ toml: TOML });

const as = bearer;
const events = () => clientFor(EventService, "connect", s);
const violation = (principal: string, detail: string) => ({ event: { event: { case: "securityViolation" as const, value: { kind: "escape_attempt", principal, detail } } } });
const health = (serviceId: string) => ({ event: { event: { case: "healthStatusChanged" as const, value: { serviceId, status: ServiceStatus.STOPPED, message: "stopped on request" } } } });
const unregistered = (serviceId: string) => ({ event: { event: { case: "serviceUnregistered" as const, value: { serviceId, reason: "deregistered" } } } });
const executed = { event: { event: { case: "scriptExecuted" as const, value: { scriptId: "s", executionId: "e", success: true } } } };

async function refused(p: Promise<unknown>, principal: string) {
  const f = await failure(p);
  expect([f.code, f.reason, f.metadata.permission, f.metadata.principal]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "admin", principal]);
}

it("an events:emit principal may not publish a SecurityViolation; the principal it names never receives one", async () => {
  const ac = new AbortController();
  const seen: SubscribeResponse[] = [];
  const reading = (async () => {
    try {
      for await (const m of clientFor(EventService, "grpc-js", s).subscribe({ eventTypes: ["security_violation"] }, { ...as(BOB), signal: ac.signal })) seen.push(m);
    } catch {
      /* aborted */
    }
  })();
  await expect.poll(() => seen.length).toBe(1); // started
  await refused(events().emit(violation("bob", "your token was revoked; visit http://evil"), as(ALICE)), "alice");
  // An admin may (it is trusted with everything), and bob receives that one only.
  const real = await events().emit(violation("bob", "from an admin"), as(ROOT));
  await expect.poll(() => seen.length).toBe(2);
  const m = seen[1]!.message;
  expect(m.case === "event" && [m.value.sequence, m.value.source]).toEqual([real.sequence, "root"]);
  ac.abort();
  await reading;
});

it("events about the engine's own service need admin; about another service, or of other types, they do not", async () => {
  await refused(events().emit(health(ENGINE), as(ALICE)), "alice");
  await refused(events().emit(unregistered(ENGINE), as(ALICE)), "alice");
  expect((await events().emit(health("billing"), as(ALICE))).sequence).toBeGreaterThan(0n);
  expect((await events().emit(unregistered("billing"), as(ALICE))).sequence).toBeGreaterThan(0n);
  expect((await events().emit(executed, as(ALICE))).sequence).toBeGreaterThan(0n);
  expect((await events().emit(health(ENGINE), as(ROOT))).sequence).toBeGreaterThan(0n);
});

it("a principal named like the engine's service may not emit: its events would carry the engine's source", async () => {
  await refused(events().emit(executed, as(NAMESAKE)), ENGINE);
});
