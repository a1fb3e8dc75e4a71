// The effective configuration as the contract's ScriptEngineConfig (secrets are not part of it).
import { create } from "@bufbuild/protobuf";

import { ScriptEngineConfigSchema, type ScriptEngineConfig } from "../../gen/ts/scriptengine/v1/config_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { Config, Level } from "../config/types.ts";
import { durationOf } from "./duration.ts";

export const LEVEL_TO_PROTO: Record<Level, SecurityLevel> = {
  safe: SecurityLevel.SAFE,
  production: SecurityLevel.PRODUCTION,
  development: SecurityLevel.DEVELOPMENT,
};

/**
 * `engine`: what the server made of the keys left empty, the service id it registers under and the
 * endpoint it advertises, so that GetConfig shows the values in effect.
 */
export function configMessage(c: Config, engine?: { serviceId: string; endpoint: string }): ScriptEngineConfig {
  const r = c.resourceLimits;
  return create(ScriptEngineConfigSchema, {
    maxCacheSize: BigInt(c.maxCacheSize),
    defaultExecutionTimeout: durationOf(c.defaultExecutionTimeoutMs),
    maxSourceSize: BigInt(c.maxSourceSize),
    enableCaching: c.enableCaching,
    securityLevel: LEVEL_TO_PROTO[c.securityLevel],
    resourceLimits: {
      maxMemoryBytes: BigInt(r.maxMemoryBytes),
      maxCpuPercentage: r.maxCpuPercentage,
      maxConcurrentOperations: BigInt(r.maxConcurrentOperations),
      operationTimeout: durationOf(r.operationTimeoutMs),
      maxExecutionTime: durationOf(r.maxExecutionTimeMs),
      maxNetworkRequests: BigInt(r.maxNetworkRequests),
    },
    discovery: {
      enabled: c.discovery.enabled,
      serviceId: engine?.serviceId ?? c.discovery.serviceId,
      serviceType: c.discovery.serviceType,
      advertiseEndpoint: c.discovery.advertiseEndpoint || engine?.endpoint,
      ttl: durationOf(c.discovery.ttlMs),
    },
    healthCheck: {
      interval: durationOf(c.healthCheck.intervalMs),
      degradedQueueRatio: c.healthCheck.degradedQueueRatio,
      unhealthyFailureCount: c.healthCheck.unhealthyFailureCount,
      failureWindow: durationOf(c.healthCheck.failureWindowMs),
    },
  });
}
