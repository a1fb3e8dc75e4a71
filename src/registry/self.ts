// The engine's own registration: register on start, renew the lease at a third of its TTL
// (registering again if the lease was lost, e.g. after a long pause), deregister on graceful stop.
import type { Lease, ServiceInfo } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { ServiceRegistry } from "./registry.ts";

export interface SelfRegistration {
  readonly lease: Lease;
  /** Stops renewing and deregisters (reason "shutdown" by default). */
  stop(reason?: string): void;
}

export function registerSelf(
  registry: ServiceRegistry,
  info: ServiceInfo,
  ttlMs: number,
  onError: (err: unknown) => void = () => {},
): SelfRegistration {
  let lease = registry.register(info, ttlMs);
  const renew = () => {
    try {
      lease = registry.heartbeat(lease.leaseId);
    } catch (err) {
      if ((err as { reason?: string }).reason !== "LEASE_NOT_FOUND") return onError(err);
      try {
        lease = registry.register(info, ttlMs);
      } catch (again) {
        onError(again);
      }
    }
  };
  const timer = setInterval(renew, Math.max(100, Math.floor(ttlMs / 3)));
  timer.unref();
  let stopped = false;
  return {
    get lease() {
      return lease;
    },
    stop(reason = "shutdown") {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      try {
        registry.deregister(info.serviceId, reason);
      } catch {
        // Already gone (expired or deregistered by someone else): nothing to undo.
      }
    },
  };
}
