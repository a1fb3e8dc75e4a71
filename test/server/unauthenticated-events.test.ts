// Every refused credential is a SecurityViolation, but anyone can be refused as often as they
// like: a flood of them must not push real events out of the bounded retained log (a subscriber
// resuming would get EventsLost), so refusals are announced coalesced, with a count.
import { describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent, SecurityViolation } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";

const ADMIN = "admin-token-0123456789abcdef";
const admin = { headers: { authorization: `Bearer ${ADMIN}` } };
const FLOOD = 600;

const server = serverForTests({
  toml: `[events]\nlog_size = 100\n\n[[auth.principals]]\nname = "ops"\ntoken = "${ADMIN}"\npermissions = ["admin"]\n`,
}, { checkExit: false });

describe("refused credentials in the event log", () => {
  it("a flood of bad-token calls evicts no real event, and the events count every refusal", async () => {
    const transport = createGrpcTransport({ baseUrl: `http://${server.http}` });
    await createClient(RegistryService, transport).registerService({ service: { serviceId: "real-1", serviceType: "X", endpoint: "127.0.0.1:1" } }, admin);

    const scripts = createClient(ScriptService, transport);
    const bad = { headers: { authorization: "Bearer bogus-token-aaaaaaaaaaaaaaaa" } };
    for (let i = 0; i < FLOOD; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => scripts.healthCheck({}, bad).catch(() => undefined)));
    }

    /** Every event the log retains, read from the start up to the latest. */
    const retained = async () => {
      const ac = new AbortController();
      const seen: ServiceEvent[] = [];
      try {
        let latest = 0n;
        for await (const m of createClient(EventService, transport).subscribe({ afterSequence: 0n }, { ...admin, signal: ac.signal })) {
          if (m.message.case === "started") latest = m.message.value.latestSequence;
          else if (m.message.case === "lost") throw new Error(`events lost: ${m.message.value.missedCount}`);
          else if (m.message.case === "event") {
            seen.push(m.message.value);
            if (m.message.value.sequence >= latest) break;
          }
        }
      } finally {
        ac.abort();
      }
      return seen;
    };
    const violationsIn = (events: ServiceEvent[]) => events.flatMap((e) => (e.event.case === "securityViolation" ? [e.event.value as SecurityViolation] : []));
    const counted = (events: ServiceEvent[]) => violationsIn(events).reduce((n, v) => n + v.count, 0);
    // The last window's count is announced as that window ends (a second after its first refusal): polled
    // for, not a fixed 1.5 s sleep that a loaded server's late timer could outlast.
    let seen: ServiceEvent[] = [];
    await until("every refusal is counted in an event", async () => counted((seen = await retained())) >= FLOOD, { intervalMs: 200, seen: () => counted(seen) });
    expect(seen.some((e) => e.event.case === "serviceRegistered" && e.event.value.serviceId === "real-1")).toBe(true);
    const violations = violationsIn(seen);
    expect(violations.length).toBeLessThan(20);
    expect(violations.every((v) => v.kind === "unauthenticated" && v.detail === "scriptengine.v1.ScriptService/HealthCheck: invalid credentials")).toBe(true);
    expect(violations.reduce((n, v) => n + v.count, 0)).toBe(FLOOD);
    // Each names the refused caller's address, as the log line does.
    expect(violations.every((v) => /^127\.0\.0\.1:\d+$/.test(v.peer))).toBe(true);
    // And the log says so, without a line per call.
    const lines = server.logs().split("\n").filter((l) => l.includes("refused for missing or invalid credentials"));
    expect(lines.length).toBe(1);
    expect(server.logs()).not.toContain("bogus-token");
  });
});
