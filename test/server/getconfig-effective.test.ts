// GetConfig is the configuration in effect: with discovery.service_id and advertise_endpoint left
// empty it shows the service id the engine registered under and the endpoint it advertises, not "".
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { startServer } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

describe("GetConfig's discovery settings", () => {
  const server = serverForTests({}, { checkExit: false, timeout: 60_000 });

  it("are the engine's own registration when the keys are left empty", async () => {
    const { config } = await clientFor(ScriptService, "grpc-js", server).getConfig({});
    const { services } = await clientFor(RegistryService, "grpc-js", server).discoverServices({ serviceType: "ScriptEngine" });
    expect(services).toHaveLength(1);
    const registered = services[0]!.service!;
    expect(config!.discovery!.serviceId).toBe(registered.serviceId);
    expect(config!.discovery!.serviceId).toMatch(/^script-engine-./);
    expect(config!.discovery!.advertiseEndpoint).toBe(registered.endpoint);
    expect(config!.discovery!.advertiseEndpoint).toBe(server.grpc);
  });

  it("are the configured values when the keys are set", async () => {
    const set = await startServer({ args: ["--set", "discovery.service_id=engine-7", "--set", "discovery.advertise_endpoint=engine-7.example.com:50051"] });
    try {
      const { config } = await clientFor(ScriptService, "connect-json", set).getConfig({});
      expect(config!.discovery!.serviceId).toBe("engine-7");
      expect(config!.discovery!.advertiseEndpoint).toBe("engine-7.example.com:50051");
    } finally {
      await set.stop();
    }
  }, 60_000);
});
