// RegistryService over the service registry core: registrations with TTL leases, discovery and
// a WatchServices stream (freed at once when the caller goes away or the server stops).
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { ServiceRegistry } from "../registry/registry.ts";

export interface RegistryServiceDeps {
  registry: ServiceRegistry;
}

export function registryService(deps: RegistryServiceDeps): Partial<ServiceImpl<typeof RegistryService>> {
  const { registry } = deps;
  return {
    registerService: (req) => ({
      lease: registry.register(req.service, req.ttl ? durationMs(req.ttl) : undefined),
    }),
    heartbeat: (req) => ({ lease: registry.heartbeat(req.leaseId) }),
    deregisterService: (req) => {
      registry.deregister(req.serviceId, req.reason);
      return {};
    },
    discoverServices: (req) => registry.discover(req.serviceType, req.pageSize, req.pageToken),
    watchServices: (req, ctx) => registry.watch(req.serviceType, { signal: ctx.signal }),
  };
}
