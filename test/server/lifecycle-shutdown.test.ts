// Start and Stop against the server's own shutdown: once it has begun (SIGTERM), the status is
// the shutdown's alone, STOPPING until the final STOPPED. A Start that overlaps it is refused
// (UNAVAILABLE ENGINE_STOPPED) and changes nothing; a Stop draining when it begins does not set
// STOPPED under it.
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUSY = (ms: number) => `export default () => { const t = Date.now(); while (Date.now() - t < ${ms}); return 1; }`;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Health events ("STATUS message") and grpc.health watch changes of `service`, in one timeline, until the server ends them. */
async function timeline(s: TestServer, service: string) {
  const seen: string[] = [];
  let live!: () => void;
  const started = new Promise<void>((r) => (live = r));
  const events = (async () => {
    try {
      for await (const m of clientFor(EventService, "grpc-js", s).subscribe({ eventTypes: ["health_status_changed"] })) {
        if (m.message.case === "started") live();
        if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") {
          const h = m.message.value.event.value;
          seen.push(`${ServiceStatus[h.status]} ${h.message}`);
        }
      }
    } catch {
      /* ended by the shutdown */
    }
  })();
  const watch = (async () => {
    try {
      for await (const m of clientFor(Health, "grpc-js", s).watch({ service })) seen.push(`watch ${Serving[m.status]}`);
    } catch {
      /* ended by the shutdown */
    }
  })();
  await started;
  const until = async (entry: string) => {
    for (let i = 0; i < 200 && !seen.includes(entry); i++) await sleep(25);
    expect(seen).toContain(entry);
  };
  return { seen, until, ended: () => Promise.all([events, watch]) };
}

it("a Start whose workers are still spawning when SIGTERM comes is refused, and the status stays STOPPING", async () => {
  server = await startServer({ args: ["--set", "pool.workers=2", "--set", "server.shutdown_grace=3s"] });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const t = await timeline(server, "scriptengine.v1.ScriptService");
  expect((await scripts.stop({ reason: "maintenance" })).health?.status).toBe(ServiceStatus.STOPPED);
  const start = failure(scripts.start({}));
  // The workers take a few hundred ms to spawn: the shutdown begins meanwhile.
  await t.until("STARTING starting on request");
  const exited = server.stop();
  const f = await start;
  expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
  expect(await exited).toBe(0);
  await t.ended();
  const from = t.seen.indexOf("STOPPING shutting down");
  expect(from).toBeGreaterThan(t.seen.indexOf("STARTING starting on request"));
  // Nothing after it but the shutdown's own end: no HEALTHY, no SERVING.
  expect(t.seen.slice(from + 1).filter((e) => e !== "STOPPED shut down")).toEqual([]);
});
