// RegistryService over the service registry core: registrations with TTL leases, discovery and
// a WatchServices stream (freed at once when the caller goes away or the server stops).
import type { Duration } from "@bufbuild/protobuf/wkt";
import { requestMs } from "./duration.ts";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { RegistryCaller, ServiceRegistry } from "../registry/registry.ts";
import { hasPermission, requirePermission } from "../auth/principal.ts";

/** Changing registrations needs this permission (discovering and watching do not). */
export const REGISTRY_WRITE = "registry:write";

/**
 * The writer as the registry sees it: its principal owns what it registers, and admin may change
 * registrations of others. Heartbeat checks the owner too, behind the lease id: an id that got out
 * (logs, a shared script) must not let another principal keep a dead service listed.
 */
function writer(ctx: HandlerContext): RegistryCaller {
  const principal = requirePermission(ctx, REGISTRY_WRITE);
  return { principal: principal.name, admin: hasPermission(principal, "admin") };
}

/**
 * The requested lease TTL in ms, exact (resolveTtl checks its bounds before rounding: 0.9995s is
 * under the minimum, a nanosecond is not unset); undefined (the default TTL) when unset or zero.
 */
function ttlMs(ttl: Duration | undefined): number | undefined {
  if (!ttl || (ttl.seconds === 0n && ttl.nanos === 0)) return undefined;
  return requestMs(ttl, "ttl");
}

export interface RegistryServiceDeps {
  registry: ServiceRegistry;
}

export function registryService(deps: RegistryServiceDeps): Partial<ServiceImpl<typeof RegistryService>> {
  const { registry } = deps;
  return {
    registerService: (req, ctx) => {
      const caller = writer(ctx);
      return { lease: registry.register(req.service, ttlMs(req.ttl), caller) };
    },
    heartbeat: (req, ctx) => {
      return { lease: registry.heartbeat(req.leaseId, writer(ctx)) };
    },
    deregisterService: (req, ctx) => {
      registry.deregister(req.serviceId, req.reason, writer(ctx));
      return {};
    },
    discoverServices: (req) => registry.discover(req.serviceType, req.pageSize, req.pageToken),
    watchServices: (req, ctx) => registry.watch(req.serviceType, { signal: ctx.signal }),
  };
}
