// Where registrations are kept between restarts. The registry calls these synchronously and
// persists before it changes its in-memory state, so a failed write changes nothing, but for a
// full disk (its storeFull option): a renewal then holds in memory, and an expiry too, its row
// removed at a later sweep.
import type { ServiceInfo } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";

/** One registration, in plain numbers (epoch milliseconds). */
export interface RegistrationRecord {
  info: ServiceInfo;
  leaseId: string;
  ttlMs: number;
  expiresAtMs: number;
  registeredAtMs: number;
  lastHeartbeatAtMs: number;
  /**
   * The principal that registered it, which alone (with admin) may update or deregister it.
   * Absent for the engine's own registration and for ones stored before owners were recorded:
   * only admin may change those.
   */
  owner?: string;
}

export interface RegistryStore {
  /** Every stored registration, expired or not (the registry sweeps the expired ones). */
  load(): RegistrationRecord[];
  /**
   * Inserts or replaces the registration with the same service id. `renewal`: only a heartbeat's new
   * expiry, which the store may keep without waiting for the disk (lost to a power cut, it only
   * ends the lease sooner).
   */
  save(record: RegistrationRecord, renewal?: boolean): void;
  remove(serviceId: string): void;
}

/** Keeps nothing across restarts. */
export class MemoryRegistryStore implements RegistryStore {
  readonly #records = new Map<string, RegistrationRecord>();

  load(): RegistrationRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r }));
  }

  save(record: RegistrationRecord): void {
    this.#records.set(record.info.serviceId, { ...record });
  }

  remove(serviceId: string): void {
    this.#records.delete(serviceId);
  }
}
