// Stop and Start through the real server: Start leaves a running engine as it is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { childPids } from "../helpers/procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
beforeAll(async () => {
  // Sleeping scripts hold the one worker when none may park (pool.max_parked = 0).
  server = await startServer({
    toml: `[pool]\nworkers = 1\nmax_queue = 5\nmax_parked = 0\nsend_ahead = false\n[server]\nshutdown_grace = "2s"\n[health_check]\ninterval = "100ms"\nunhealthy_failure_count = 1\n`,
  });
});
afterAll(async () => {
  await server.stop();
});
const scripts = () => clientFor(ScriptService, "grpc-js", server);
const statusNow = async () => (await scripts().healthCheck({})).health?.status;

describe("Start", () => {
  it("on a running UNHEALTHY engine changes nothing: no STARTING, no false SERVING", async () => {
    for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 30 && (await statusNow()) !== ServiceStatus.UNHEALTHY; i++) await sleep(100);
    expect(await statusNow()).toBe(ServiceStatus.UNHEALTHY);

    const seen: ServiceStatus[] = [];
    const ac = new AbortController();
    const events = (async () => {
      try {
        for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["health_status_changed"] }, { signal: ac.signal })) {
          if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") seen.push(m.message.value.event.value.status);
        }
      } catch {
        /* aborted */
      }
    })();
    await sleep(200);
    const started = await scripts().start({});
    expect(started.health?.status).toBe(ServiceStatus.UNHEALTHY);
    const probe = await clientFor(Health, "grpc-js", server).check({ service: "" });
    expect(probe.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    await sleep(300);
    ac.abort();
    await events;
    expect(seen).toEqual([]);
  });
});
