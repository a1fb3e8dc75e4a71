// A run stopped because the caller's deadline ran out (shorter than the script's own limits)
// published a SecurityViolation of kind limit_exceeded, as if the script had breached its limit.
// The caller chose that deadline: such a run publishes its ScriptExecuted and no SecurityViolation,
// while a run stopped by its own wall limit still publishes one.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();
// It waits without using CPU, so no CPU-time budget is what stops it.
const NEVER = "export default () => new Promise(() => {})";

it("a run the call's deadline stops publishes no SecurityViolation; one its own limit stops does", { timeout: 30_000 }, async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const seen: ServiceEvent["event"][] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  try {
    const stream = clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["security_violation", "script_executed"] }, { signal: ac.signal });
    for await (const m of stream) {
      if (m.message.case === "started") {
        // On the gRPC port, with a 500 ms grpc-timeout and no limit of its own below it.
        const byDeadline = await failure(scripts.runScript({ source: NEVER, context: { executionId: "by-deadline" } }, { timeoutMs: 500 }));
        expect(byDeadline.code).toBe("DeadlineExceeded");
        const byOwnLimit = await failure(scripts.runScript({ source: NEVER, context: { executionId: "by-own-limit", timeout: durationFromMs(500) } }));
        expect([byOwnLimit.reason, byOwnLimit.metadata.limit]).toEqual(["TIMEOUT", "wall_clock"]);
      } else if (m.message.case === "event") {
        const e = m.message.value.event;
        seen.push(e);
        // The second run's violation follows its ScriptExecuted, and the first run's events.
        if (e.case === "securityViolation" && e.value.executionId === "by-own-limit") break;
      }
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  const executed = seen.flatMap((e) => (e.case === "scriptExecuted" ? [[e.value.executionId, e.value.success]] : []));
  expect(executed).toEqual([["by-deadline", false], ["by-own-limit", false]]);
  const violations = seen.flatMap((e) => (e.case === "securityViolation" ? [[e.value.executionId, e.value.kind]] : []));
  expect(violations).toEqual([["by-own-limit", "limit_exceeded"]]);
  // It names the caller's address (gRPC port).
  const peers = seen.flatMap((e) => (e.case === "securityViolation" ? [e.value.peer] : []));
  expect(peers[0]).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
});
