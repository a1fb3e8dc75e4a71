// The engine's own registration: register on start, renew the lease at a third of its TTL
// (registering again if the lease was lost, e.g. after a long pause), deregister on graceful stop.
// A start whose registration the store refuses (a full disk) registers at the next renewal instead:
// it stayed unregistered for its whole run, room or not. A deregistration whose row removal the
// store refuses is announced all the same; the next start removes the row.
import type { Lease, ServiceInfo } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { ServiceRegistry } from "./registry.ts";

export interface SelfRegistration {
  readonly serviceId: string;
  /** The engine's lease; undefined while the store refuses the registration. */
  readonly lease: Lease | undefined;
  /**
   * Stops renewing and deregisters (reason "shutdown" by default). False when the store refused
   * the row's removal (a full disk): the deregistration is announced all the same, and the next
   * start removes the row (registry.deregister).
   */
  stop(reason?: string): boolean;
}

/** A failure of the store itself (node:sqlite), which may pass, rather than a refused registration. */
const storeFailure = (err: unknown) => (err as { code?: unknown } | null)?.code === "ERR_SQLITE_ERROR";

/** Throws what the first registration meets, unless it is the store's (then `onError` hears it). */
export function registerSelf(
  registry: ServiceRegistry,
  info: ServiceInfo,
  ttlMs: number,
  onError: (err: unknown) => void = () => {},
): SelfRegistration {
  let lease: Lease | undefined;
  try {
    lease = registry.register(info, ttlMs);
  } catch (err) {
    if (!storeFailure(err)) throw err;
    onError(err);
  }
  const register = () => {
    try {
      lease = registry.register(info, ttlMs);
    } catch (err) {
      onError(err);
    }
  };
  const renew = () => {
    if (!lease) return register();
    try {
      lease = registry.heartbeat(lease.leaseId);
    } catch (err) {
      if ((err as { reason?: string }).reason !== "LEASE_NOT_FOUND") return onError(err);
      register();
    }
  };
  const timer = setInterval(renew, Math.max(100, Math.floor(ttlMs / 3)));
  timer.unref();
  let stopped = false;
  return {
    serviceId: info.serviceId,
    get lease() {
      return lease;
    },
    stop(reason = "shutdown") {
      if (stopped) return true;
      stopped = true;
      clearInterval(timer);
      try {
        return registry.deregister(info.serviceId, reason);
      } catch {
        // Already gone: expired, or never made while the store refused it.
        return true;
      }
    },
  };
}
