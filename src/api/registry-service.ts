// RegistryService over the service registry core: registrations with TTL leases, discovery and
// a WatchServices stream (freed at once when the caller goes away or the server stops).
import { requestMs } from "./duration.ts";
import type { ServiceImpl } from "@connectrpc/connect";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { ServiceRegistry } from "../registry/registry.ts";
import { requirePermission } from "../auth/principal.ts";

/** Changing registrations needs this permission (discovering and watching do not). */
export const REGISTRY_WRITE = "registry:write";

export interface RegistryServiceDeps {
  registry: ServiceRegistry;
}

export function registryService(deps: RegistryServiceDeps): Partial<ServiceImpl<typeof RegistryService>> {
  const { registry } = deps;
  return {
    registerService: (req, ctx) => {
      requirePermission(ctx, REGISTRY_WRITE);
      return { lease: registry.register(req.service, req.ttl ? requestMs(req.ttl, "ttl") : undefined) };
    },
    heartbeat: (req, ctx) => {
      requirePermission(ctx, REGISTRY_WRITE);
      return { lease: registry.heartbeat(req.leaseId) };
    },
    deregisterService: (req, ctx) => {
      requirePermission(ctx, REGISTRY_WRITE);
      registry.deregister(req.serviceId, req.reason);
      return {};
    },
    discoverServices: (req) => registry.discover(req.serviceType, req.pageSize, req.pageToken),
    watchServices: (req, ctx) => registry.watch(req.serviceType, { signal: ctx.signal }),
  };
}
