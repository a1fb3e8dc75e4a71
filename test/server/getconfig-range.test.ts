// Every value the configuration accepts for a key GetConfig carries must be one its proto field
// holds: otherwise GetConfig fails INTERNAL on every call (serialization), and nothing is logged.
import { describe, expect, it } from "vitest";
import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { ScriptEngineConfigSchema } from "../../gen/ts/scriptengine/v1/config_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { configMessage } from "../../src/api/config-message.ts";
import { loadConfig } from "../../src/config/load.ts";
import { SCHEMA, type ConfigKey } from "../../src/config/schema.ts";
import { PROTOCOLS, clientFor } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

/** The int keys GetConfig carries (proto/scriptengine/v1/config.proto, common.proto), with their field's largest value. */
const CARRIED: Partial<Record<ConfigKey, bigint>> = {
  max_cache_size: 2n ** 64n - 1n,
  max_source_size: 2n ** 64n - 1n,
  "resource_limits.max_memory_bytes": 2n ** 64n - 1n,
  "resource_limits.max_concurrent_operations": 2n ** 64n - 1n,
  "resource_limits.max_network_requests": 2n ** 64n - 1n,
  "health_check.unhealthy_failure_count": 2n ** 32n - 1n,
};
const maxOf = (key: ConfigKey) => (SCHEMA[key] as { max?: number }).max;
const atMax = Object.keys(CARRIED).flatMap((key) => ["--set", `${key}=${maxOf(key as ConfigKey)}`]);

describe("GetConfig at every carried key's maximum", () => {
  it.each(Object.keys(CARRIED))("%s has a maximum its proto field holds, and a value past it is refused", (key) => {
    const max = maxOf(key as ConfigKey);
    expect(max).toBeDefined();
    expect(Number.isSafeInteger(max)).toBe(true);
    expect(BigInt(max!) <= CARRIED[key as ConfigKey]!).toBe(true);
    expect(() => loadConfig({ env: {}, argv: ["--set", `${key}=${max! + 1}`] })).toThrow(new RegExp(`config: ${key.replace(/\./g, "\\.")}: must be at most ${max}`));
    expect(() => loadConfig({ env: {}, argv: ["--set", `${key}=18446744073709551616`] })).toThrow(/must be at most/);
  });

  it("every carried key at its maximum encodes and reads back unchanged", () => {
    const { config } = loadConfig({ env: {}, argv: atMax });
    const message = configMessage(config);
    const back = fromBinary(ScriptEngineConfigSchema, toBinary(ScriptEngineConfigSchema, message));
    expect(back.healthCheck!.unhealthyFailureCount).toBe(maxOf("health_check.unhealthy_failure_count"));
    expect(back.resourceLimits!.maxMemoryBytes).toBe(BigInt(maxOf("resource_limits.max_memory_bytes")!));
    expect(back.resourceLimits!.maxConcurrentOperations).toBe(BigInt(maxOf("resource_limits.max_concurrent_operations")!));
    expect(back.resourceLimits!.maxNetworkRequests).toBe(BigInt(maxOf("resource_limits.max_network_requests")!));
    expect(toJson(ScriptEngineConfigSchema, back)).toEqual(toJson(ScriptEngineConfigSchema, message));
  });

  describe("a server started with them", () => {
    const server = serverForTests({ args: atMax }, { checkExit: false, timeout: 60_000 });

    it.each(PROTOCOLS)("answers GetConfig over %s", async (p) => {
      const { config } = await clientFor(ScriptService, p, server).getConfig({});
      expect(config!.healthCheck!.unhealthyFailureCount).toBe(2 ** 32 - 1);
      expect(config!.resourceLimits!.maxMemoryBytes).toBe(BigInt(Number.MAX_SAFE_INTEGER));
    });
  });
});

