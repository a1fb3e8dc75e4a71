// grpc.health.v1 per service: only the services that run the engine's work follow whether it
// accepts work; events, the registry and tools go on while it is stopped, and say so. An unknown
// service is NOT_FOUND with the ErrorInfo every error carries.
import { describe, expect, it } from "vitest";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { healthService } from "../../src/doors/health-service.ts";
import { HealthState } from "../../src/health/state.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const NAMES = ["scriptengine.v1.ScriptService", "scriptengine.v1.MigrationService", "scriptengine.v1.EventService", "scriptengine.v1.RegistryService", "scriptengine.v1.ToolService"];
const short = (name: string) => name.replace("scriptengine.v1.", "") || "(server)";

describe("per-service health", () => {
  const state = new HealthState();
  const health = createClient(Health, createRouterTransport(({ service }) => service(Health, healthService(state, NAMES))));
  const statuses = async () => {
    const { statuses } = await health.list({});
    return Object.fromEntries(Object.entries(statuses).map(([k, v]) => [short(k), Serving[v.status]]));
  };

  it("while the engine is STOPPED, only the server and the engine's services are NOT_SERVING", async () => {
    state.set(ServiceStatus.HEALTHY, "serving");
    expect(new Set(Object.values(await statuses()))).toEqual(new Set(["SERVING"]));
    state.set(ServiceStatus.STOPPED, "maintenance");
    expect(await statuses()).toEqual({
      "(server)": "NOT_SERVING",
      ScriptService: "NOT_SERVING",
      MigrationService: "NOT_SERVING",
      EventService: "SERVING",
      RegistryService: "SERVING",
      ToolService: "SERVING",
    });
    expect((await health.check({ service: "scriptengine.v1.EventService" })).status).toBe(Serving.SERVING);
    // Stopping (a Stop's drain, or shutdown): nothing should get new traffic.
    state.set(ServiceStatus.STOPPING, "shutting down");
    expect(new Set(Object.values(await statuses()))).toEqual(new Set(["NOT_SERVING"]));
  });
});

describe("through the server", () => {
  const server = serverForTests({}, { checkExit: false });

  it.each(["grpc-js", "connect"] as const)("Check of an unknown service is NOT_FOUND with ErrorInfo (%s)", async (p) => {
    const f = await failure(clientFor(Health, p, server).check({ service: "no.such.Service" }));
    expect([f.code, f.reason, f.metadata.service]).toEqual(["NotFound", "SERVICE_NOT_FOUND", "no.such.Service"]);
  });

  it("Stop leaves EventService SERVING and ScriptService NOT_SERVING", async () => {
    const health = clientFor(Health, "grpc-js", server);
    const scripts = clientFor(ScriptService, "grpc-js", server);
    await scripts.stop({ reason: "maintenance" });
    try {
      expect((await health.check({ service: "scriptengine.v1.ScriptService" })).status).toBe(Serving.NOT_SERVING);
      expect((await health.check({ service: "scriptengine.v1.EventService" })).status).toBe(Serving.SERVING);
    } finally {
      await scripts.start({});
    }
  });
});
