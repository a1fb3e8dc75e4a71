// The service registry behind RegistryService: registrations held alive by TTL leases.
//
// - register(info, ttlMs, caller) validates, persists and returns a Lease. Re-registering a service_id
//   updates that registration (never a duplicate) and issues a NEW lease id: the previous lease
//   is revoked, so a stale instance heartbeating the old lease gets LEASE_NOT_FOUND saying it was
//   replaced (while the bounded memory of replaced leases holds it). registered_at is kept across
//   updates. An update by an admin of a registration not its own changes the service info only:
//   it keeps the registration's lease id (the owner's heartbeats go on) and, ttl unset, its TTL.
// - Ownership: a caller's registration records its principal; only that principal or an admin
//   may update or deregister it (SECURITY_VIOLATION otherwise; an admin's update leaves it the
//   owner's, and does not count against the admin's quota), and a registration with no owner
//   (stored before owners were recorded) only an admin. Reserved ids (the engine's own) are
//   refused to every caller. Calls without a caller are the engine's own and unchecked.
// - Quotas: maxRegistrations in all, maxRegistrationsPerPrincipal per owner, maxMetadataBytes
//   per registration.
// - heartbeat(leaseId, caller) renews the lease for its TTL (persisted; not announced to
//   watchers). The lease id is handed only to the registrant (RegisterService and Heartbeat;
//   discovery and watches carry the lease without it), and a caller must also be the owner or an
//   admin: a lease id that got out still renews nothing. An ownerless registration (stored
//   before owners were recorded) renews for whoever holds its lease, as it always did.
// - A lease that is not renewed expires: the sweeper (an unref'd interval timer, or sweep())
//   removes it, and reads (discover, heartbeat, watch snapshots) never return an expired one
//   even before the sweeper runs.
// - Every change is announced to watchers (REGISTERED / UPDATED / DEREGISTERED / EXPIRED) and
//   published on the event bus (service_registered on register and update, service_unregistered
//   with reason "deregistered" or the caller's reason, or "expired").
// - Registrations live in a RegistryStore and survive a restart; on load the expired ones are
//   removed and announced. An expiry whose row a full disk kept is announced at once and its row
//   removed at a later sweep, once the store takes it; the expiredMarks record says so across a
//   restart, so the row is then removed without being announced again.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import {
  ChangeKind,
  LeaseSchema,
  RegistrationSchema,
  WatchServicesResponseSchema,
  type Lease,
  type Registration,
  type ServiceInfo,
  type WatchServicesResponse,
} from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { Deque } from "../events/deque.ts";
import { exceeded, invalid, RegistryError } from "./errors.ts";
import { MemoryRegistryStore, type RegistrationRecord, type RegistryStore } from "./store.ts";
import { DEFAULT_TTL_BOUNDS, REGISTRY_LIMITS, resolveTtl, validateServiceInfo, type TtlBounds } from "./validate.ts";
import { PushIterator } from "../events/push-iterator.ts";
import { pageWithin } from "../store/database.ts";
import type { ExpiredLease, ExpiredMarks } from "./expired-marks.ts";
import { clipCodePoints } from "../code-points.ts";

/** A deregistration's reason, as its ServiceUnregistered event carries it, in characters (code points); a longer one is cut saying so. */
const MAX_REASON_CHARS = 256;

/** Replaced lease ids remembered so that their heartbeat can say so; the oldest are forgotten first. */
const REPLACED_LEASES_KEPT = 1024;

/** The registry only needs to publish (EventBus satisfies it). */
export interface EventPublisher {
  publish(event: ServiceEvent): bigint;
}

/** Who is changing a registration through the API. */
export interface RegistryCaller {
  /** The authenticated principal's name; recorded as the owner of what it registers. */
  principal: string;
  /** Holds admin: may change any registration but the reserved ones. */
  admin: boolean;
}

export interface ServiceRegistryOptions {
  store?: RegistryStore;
  events?: EventPublisher;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
  /** Lease id generator (tests). Default crypto.randomUUID. */
  newId?: () => string;
  /** How often the sweeper runs; 0 disables the timer (call sweep() yourself). Default 1000. */
  sweepIntervalMs?: number;
  ttl?: Partial<TtlBounds>;
  /** Changes buffered per watcher before it is ended with EVENTS_LOST. Default 1024. */
  watchBuffer?: number;
  /** Registrations allowed; more is RESOURCE_EXCEEDED. Default 10 000. */
  maxRegistrations?: number;
  /** Registrations one principal may own; more is RESOURCE_EXCEEDED. Default 1000. */
  maxRegistrationsPerPrincipal?: number;
  /** UTF-8 bytes of one registration's metadata keys and values. Default 16 KiB. */
  maxMetadataBytes?: number;
  /** Service ids no caller may register or deregister (the engine's own). */
  reservedServiceIds?: Iterable<string>;
  /** DiscoverServices page size when the caller gives none / the largest allowed. */
  defaultPageSize?: number;
  maxPageSize?: number;
  /** Called with errors the background sweeper cannot throw (a failing store). */
  onError?: (err: unknown) => void;
  /**
   * Whether a failed write is the store's full disk: a renewal or an expiry then holds in memory
   * (live services must not all expire because the engine's disk filled; an expired row kept is
   * removed at a later sweep). Default: never.
   */
  storeFull?: (err: unknown) => boolean;
  /**
   * The record of expiries announced while their rows were kept, so that a restart removes those
   * rows without announcing them again. Absent: they are announced again when loaded.
   */
  expiredMarks?: ExpiredMarks;
}

export interface DiscoverResult {
  services: Registration[];
  nextPageToken: string;
}

export interface RegistryStats {
  registrations: number;
  watchers: number;
  expired: number;
}

export class ServiceRegistry {
  readonly #store: RegistryStore;
  readonly #events: EventPublisher | undefined;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #ttl: TtlBounds;
  readonly #watchBuffer: number;
  readonly #maxRegistrations: number;
  readonly #maxPerPrincipal: number;
  readonly #maxMetadataBytes: number;
  readonly #reserved: ReadonlySet<string>;
  readonly #defaultPageSize: number;
  readonly #maxPageSize: number;
  readonly #onError: (err: unknown) => void;
  readonly #storeFull: (err: unknown) => boolean;
  readonly #marks: ExpiredMarks | undefined;
  /** Expired registrations, announced, whose rows a full disk kept: removed at a later sweep. */
  readonly #kept = new Map<string, RegistrationRecord>();
  readonly #records = new Map<string, RegistrationRecord>();
  readonly #byLease = new Map<string, string>();
  /** Lease ids revoked by a newer registration of their service (lease id -> service id), at most REPLACED_LEASES_KEPT. */
  readonly #replacedLeases = new Map<string, string>();
  /** Registrations held per owner, for the per-principal quota. */
  readonly #ownedCount = new Map<string, number>();
  readonly #watchers = new Set<RegistryWatch>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #expiredCount = 0;

  constructor(options: ServiceRegistryOptions = {}) {
    this.#store = options.store ?? new MemoryRegistryStore();
    this.#events = options.events;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
    this.#ttl = { ...DEFAULT_TTL_BOUNDS, ...options.ttl };
    this.#watchBuffer = options.watchBuffer ?? 1024;
    this.#maxRegistrations = options.maxRegistrations ?? 10_000;
    this.#maxPerPrincipal = options.maxRegistrationsPerPrincipal ?? 1000;
    this.#maxMetadataBytes = options.maxMetadataBytes ?? REGISTRY_LIMITS.metadataMaxBytes;
    this.#reserved = new Set(options.reservedServiceIds ?? []);
    this.#defaultPageSize = options.defaultPageSize ?? 50;
    this.#maxPageSize = options.maxPageSize ?? 500;
    this.#onError = options.onError ?? ((err) => console.error("registry sweeper:", err));
    this.#storeFull = options.storeFull ?? (() => false);
    this.#marks = options.expiredMarks;
    const marked = this.#marks?.any ?? false;
    for (const rec of this.#store.load()) {
      // Announced by the run that kept it: expired, or the engine's own deregistration at shutdown
      // (a lease announced as removed is never live again: registering anew makes a new one).
      if (marked && this.#marks!.announced(leaseKey(rec))) {
        this.#kept.set(rec.info.serviceId, rec);
        continue;
      }
      this.#records.set(rec.info.serviceId, rec);
      this.#byLease.set(rec.leaseId, rec.info.serviceId);
      this.#countOwner(rec.owner, 1);
    }
    // Marks of rows since removed (or a run without marks support) are let go.
    if (marked) this.#recordKept();
    this.sweep();
    const interval = options.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timer = setInterval(() => {
        try {
          this.sweep();
        } catch (err) {
          this.#onError(err);
        }
      }, interval);
      this.#timer.unref();
    }
  }

  /** Live (unexpired) registrations. */
  get size(): number {
    const now = this.#now();
    let n = 0;
    for (const r of this.#records.values()) if (r.expiresAtMs > now) n++;
    return n;
  }

  stats(): RegistryStats {
    return { registrations: this.size, watchers: this.#watchers.size, expired: this.#expiredCount };
  }

  /**
   * Registers or updates `info.service_id` with a lease of `ttlMs` (undefined/0: the default),
   * owned by `caller` (absent: the engine itself). Throws VALIDATION_ERROR naming the field,
   * SECURITY_VIOLATION when the caller may not change this id, RESOURCE_EXCEEDED past
   * maxRegistrations or the caller's maxRegistrationsPerPrincipal.
   */
  register(info: ServiceInfo | undefined, ttlMs?: number, caller?: RegistryCaller): Lease {
    this.#checkOpen();
    validateServiceInfo(info, this.#maxMetadataBytes);
    const requestedTtl = resolveTtl(ttlMs, this.#ttl);
    const now = this.#now();
    let prev = this.#records.get(info.serviceId);
    if (prev && prev.expiresAtMs <= now) {
      this.#expire(prev);
      prev = undefined;
    }
    if (caller) this.#checkMayChange(info.serviceId, prev, caller, "register");
    // An admin correcting a registration not its own changes the service info only: the owner's
    // instance goes on renewing the lease it holds (a new id would tell it to register again, over
    // the correction), at the registration's TTL unless the admin asked for another.
    const keepsLease = prev !== undefined && caller !== undefined && prev.owner !== caller.principal;
    const ttl = keepsLease && (ttlMs === undefined || ttlMs === 0) ? prev!.ttlMs : requestedTtl;
    // An update keeps the registration its owner's: an admin correcting it does not take it over
    // (the owner's instance could then neither register it again nor deregister it).
    const owner = prev ? prev.owner : caller?.principal;
    // The engine's own registration is never refused for room: the engine stays discoverable
    // even when callers have filled the registry.
    if (!prev && !this.#reserved.has(info.serviceId)) {
      this.#checkRoom(() => this.#records.size >= this.#maxRegistrations, "registrations", this.#maxRegistrations);
    }
    if (owner !== undefined && owner !== prev?.owner) {
      this.#checkRoom(() => (this.#ownedCount.get(owner) ?? 0) >= this.#maxPerPrincipal, "registrations_per_principal", this.#maxPerPrincipal, owner);
    }
    const rec: RegistrationRecord = {
      info: { ...info, metadata: { ...info.metadata } },
      leaseId: keepsLease ? prev!.leaseId : this.#newId(),
      ttlMs: ttl,
      expiresAtMs: now + ttl,
      registeredAtMs: prev?.registeredAtMs ?? now,
      lastHeartbeatAtMs: now,
      ...(owner === undefined ? {} : { owner }),
    };
    this.#store.save(rec);
    // A row kept for an announced expiry is overwritten by this one: nothing is left to remove.
    if (this.#kept.delete(rec.info.serviceId)) this.#recordKept();
    if (prev) {
      this.#byLease.delete(prev.leaseId);
      this.#countOwner(prev.owner, -1);
      if (prev.leaseId !== rec.leaseId) this.#rememberReplaced(prev);
    }
    this.#records.set(rec.info.serviceId, rec);
    this.#byLease.set(rec.leaseId, rec.info.serviceId);
    this.#countOwner(rec.owner, 1);
    this.#notify(prev ? ChangeKind.UPDATED : ChangeKind.REGISTERED, rec, prev);
    this.#events?.publish(
      create(ServiceEventSchema, {
        event: {
          case: "serviceRegistered",
          value: {
            serviceId: rec.info.serviceId,
            serviceType: rec.info.serviceType,
            metadata: Object.fromEntries(
              Object.entries(rec.info.metadata).map(([k, v]) => [k, { kind: { case: "stringValue" as const, value: v } }]),
            ),
          },
        },
      }),
    );
    return leaseOf(rec);
  }

  /**
   * Renews a lease. LEASE_NOT_FOUND if it is unknown, replaced or expired (saying "replaced", with
   * the service_id, while the lease is among the REPLACED_LEASES_KEPT last replaced);
   * SECURITY_VIOLATION when `caller` (absent: the engine itself) is neither its owner nor an
   * admin, or it is reserved.
   */
  heartbeat(leaseId: string, caller?: RegistryCaller): Lease {
    this.#checkOpen();
    if (leaseId === "") throw invalid("lease_id", "lease_id is required");
    const serviceId = this.#byLease.get(leaseId);
    const rec = serviceId === undefined ? undefined : this.#records.get(serviceId);
    const now = this.#now();
    if (!rec || rec.expiresAtMs <= now) {
      if (rec) this.#expire(rec);
      const replacedBy = this.#replacedLeases.get(leaseId);
      if (replacedBy !== undefined) {
        // Registering again would overwrite the newer registration: its registrant holds the lease now.
        throw new RegistryError(
          "LEASE_NOT_FOUND",
          `the lease was replaced by a newer registration of service ${JSON.stringify(replacedBy)}, which RegisterService gave a lease of its own`,
          { metadata: { lease_id: leaseId, service_id: replacedBy } },
        );
      }
      throw new RegistryError(
        "LEASE_NOT_FOUND",
        "the lease does not exist, has expired or was replaced by a newer registration of its service; register again",
        { metadata: { lease_id: leaseId } },
      );
    }
    if (caller) this.#checkMayRenew(rec, caller);
    const renewed: RegistrationRecord = { ...rec, expiresAtMs: now + rec.ttlMs, lastHeartbeatAtMs: now };
    this.#unlessFull(() => this.#store.save(renewed, true));
    this.#records.set(rec.info.serviceId, renewed);
    return leaseOf(renewed);
  }

  /**
   * Removes a registration. SERVICE_NOT_FOUND if there is no live one, SECURITY_VIOLATION when
   * `caller` (absent: the engine itself) may not change it. The engine's own removal (no caller:
   * its deregistration at shutdown) holds in memory and is announced even when a full disk refuses
   * the row's removal, as an expiry does: false then (the row is kept, recorded as announced, and
   * the next start removes it without announcing it again).
   */
  deregister(serviceId: string, reason = "", caller?: RegistryCaller): boolean {
    this.#checkOpen();
    if (serviceId === "") throw invalid("service_id", "service_id is required");
    if (caller && this.#reserved.has(serviceId)) this.#checkMayChange(serviceId, undefined, caller, "deregister");
    const rec = this.#records.get(serviceId);
    if (!rec || rec.expiresAtMs <= this.#now()) {
      if (rec) this.#expire(rec);
      throw new RegistryError("SERVICE_NOT_FOUND", `service ${JSON.stringify(serviceId)} is not registered`, {
        metadata: { service_id: serviceId },
      });
    }
    if (caller) this.#checkMayChange(serviceId, rec, caller, "deregister");
    return this.#remove(rec, ChangeKind.DEREGISTERED, clipCodePoints(reason, MAX_REASON_CHARS) || "deregistered", caller === undefined);
  }

  /** A live registration, if any. */
  get(serviceId: string): Registration | undefined {
    const rec = this.#records.get(serviceId);
    return rec && rec.expiresAtMs > this.#now() ? registrationOf(rec) : undefined;
  }

  /**
   * Live registrations of a type ("" = every type), ordered by service_id, a page at a time.
   * page_size 0 gives the default, larger than the maximum is clamped, negative is invalid. A
   * page also stops at ~2 MiB (MAX_PAGE_BYTES, at least one registration), so it fits the 4 MiB gRPC
   * clients receive by default whatever page_size asks. The page token is opaque (a position in
   * service_id order, bound to the service_type), so pages stay consistent while registrations
   * come and go.
   */
  discover(serviceType = "", pageSize = 0, pageToken = ""): DiscoverResult {
    if (!Number.isInteger(pageSize) || pageSize < 0) throw invalid("page_size", "page_size must be >= 0");
    const size = pageSize === 0 ? this.#defaultPageSize : Math.min(pageSize, this.#maxPageSize);
    const after = pageToken === "" ? "" : decodePageToken(pageToken, serviceType);
    const now = this.#now();
    const matching = [...this.#records.values()]
      .filter((r) => r.expiresAtMs > now && (serviceType === "" || r.info.serviceType === serviceType))
      .filter((r) => after === "" || r.info.serviceId > after)
      .sort((a, b) => (a.info.serviceId < b.info.serviceId ? -1 : a.info.serviceId > b.info.serviceId ? 1 : 0));
    const { page, more } = pageWithin(matching, size, encodedSizeEstimate);
    const nextPageToken = more ? encodePageToken(serviceType, page[page.length - 1]!.info.serviceId) : "";
    return { services: page.map(registrationOf), nextPageToken };
  }

  /**
   * Watches registrations of a type ("" = every type): first an EXISTING message for each live
   * one, then one SYNCED (even after no EXISTING: the reader learns the watch is open and caught
   * up), then the changes. Ends when the signal aborts, on close(), when the consumer leaves the
   * loop, or (with an EVENTS_LOST error: watch again for a fresh snapshot) when it falls more
   * than watchBuffer changes behind. The snapshot is held as service ids only and each EXISTING
   * message is built when the reader takes it, so a watch that is not read pins ids, not copies
   * of every registration.
   */
  watch(serviceType = "", options: { signal?: AbortSignal } = {}): RegistryWatch {
    this.#checkOpen();
    const now = this.#now();
    const ids: string[] = [];
    for (const r of this.#records.values()) {
      if (r.expiresAtMs > now && (serviceType === "" || r.info.serviceType === serviceType)) ids.push(r.info.serviceId);
    }
    ids.sort(compareIds);
    const w = new RegistryWatch(serviceType, this.#watchBuffer, options.signal, (x) => this.#watchers.delete(x), {
      ids,
      lookup: (id) => this.#records.get(id),
    });
    if (!w.ended) this.#watchers.add(w);
    return w;
  }

  /** Removes and announces every expired registration; returns how many. */
  sweep(): number {
    this.#removeKept();
    const now = this.#now();
    let n = 0;
    for (const rec of [...this.#records.values()]) {
      if (rec.expiresAtMs <= now) {
        this.#expire(rec);
        n++;
      }
    }
    return n;
  }

  /**
   * Stops the sweeper and ends every watch once its reader has the changes already queued (the
   * engine's own deregistration at shutdown). Registrations stay in the store.
   */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const w of [...this.#watchers]) w.endAfterQueued();
  }

  #checkOpen(): void {
    if (this.#closed) throw new RegistryError("ENGINE_STOPPED", "the registry is shut down");
  }

  /**
   * Why `caller` may not speak for `serviceId` (Emit a health or registration event about it): it is
   * reserved, or its live registration is another principal's (or no one's); undefined when it may.
   */
  whyNotOwner(serviceId: string, caller: RegistryCaller): string | undefined {
    const rec = this.#records.get(serviceId);
    return this.#whyNot(serviceId, rec && rec.expiresAtMs > this.#now() ? rec : undefined, caller);
  }

  #whyNot(serviceId: string, rec: RegistrationRecord | undefined, caller: RegistryCaller): string | undefined {
    if (this.#reserved.has(serviceId)) return "it is reserved for the engine";
    if (rec && !caller.admin && rec.owner !== caller.principal) {
      return rec.owner === undefined ? "it has no recorded owner; only an admin may change it" : "it is registered by another principal";
    }
    return undefined;
  }

  /** Throws SECURITY_VIOLATION unless `caller` may change `serviceId` (held by `rec`, if live). */
  #checkMayChange(serviceId: string, rec: RegistrationRecord | undefined, caller: RegistryCaller, action: string): void {
    const why = this.#whyNot(serviceId, rec, caller);
    if (why === undefined) return;
    throw new RegistryError("SECURITY_VIOLATION", `principal "${caller.principal}" may not ${action} service ${JSON.stringify(serviceId)}: ${why}`, {
      metadata: { service_id: serviceId, principal: caller.principal },
    });
  }

  /**
   * Throws SECURITY_VIOLATION unless `caller` may renew `rec`: as for changing it, except that an
   * ownerless registration renews for any holder of its lease (the only credential it was given).
   */
  #checkMayRenew(rec: RegistrationRecord, caller: RegistryCaller): void {
    if (rec.owner === undefined && !this.#reserved.has(rec.info.serviceId)) return;
    this.#checkMayChange(rec.info.serviceId, rec, caller, "renew the lease of");
  }

  /**
   * Throws RESOURCE_EXCEEDED while `full()`; expired registrations still awaiting the sweeper
   * are swept first, so they never hold a slot against a caller.
   */
  #checkRoom(full: () => boolean, resource: string, limit: number, principal?: string): void {
    if (!full()) return;
    this.sweep();
    if (!full()) return;
    const whose = principal === undefined ? "" : ` for principal ${JSON.stringify(principal)}`;
    throw exceeded(`too many registrations${whose} (limit ${limit})`, resource, limit, principal === undefined ? {} : { principal });
  }

  #rememberReplaced(prev: RegistrationRecord): void {
    this.#replacedLeases.set(prev.leaseId, prev.info.serviceId);
    if (this.#replacedLeases.size > REPLACED_LEASES_KEPT) {
      this.#replacedLeases.delete(this.#replacedLeases.keys().next().value!);
    }
  }

  #countOwner(owner: string | undefined, delta: 1 | -1): void {
    if (owner === undefined) return;
    const n = (this.#ownedCount.get(owner) ?? 0) + delta;
    if (n > 0) this.#ownedCount.set(owner, n);
    else this.#ownedCount.delete(owner);
  }

  #expire(rec: RegistrationRecord): void {
    this.#remove(rec, ChangeKind.EXPIRED, "expired", true);
    this.#expiredCount++;
  }

  /** Runs a store write; false when it was refused for a full disk (the change holds in memory). */
  #unlessFull(write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      if (!this.#storeFull(err)) throw err;
      return false;
    }
  }

  /** Removes the rows kept for announced expiries, until the store refuses one (then it is full still). */
  #removeKept(): void {
    if (this.#kept.size === 0) return;
    const before = this.#kept.size;
    for (const id of [...this.#kept.keys()]) {
      if (!this.#unlessFull(() => this.#store.remove(id))) break;
      this.#kept.delete(id);
    }
    if (this.#kept.size !== before) this.#recordKept();
  }

  /** Records the kept rows' leases (expiredMarks); a failure to is the sweeper's error to report. */
  #recordKept(): void {
    try {
      this.#marks?.record([...this.#kept.values()].map(leaseKey));
    } catch (err) {
      this.#onError(err);
    }
  }

  /**
   * `evenIfFull`: an expiry or the engine's own deregistration, which holds whether or not its row
   * can be removed; a row kept is recorded as announced once it is (a crash between the two
   * announces it again, never not at all). False when the row was kept.
   */
  #remove(rec: RegistrationRecord, kind: ChangeKind, reason: string, evenIfFull = false): boolean {
    let removed = true;
    if (evenIfFull) removed = this.#unlessFull(() => this.#store.remove(rec.info.serviceId));
    else this.#store.remove(rec.info.serviceId);
    this.#records.delete(rec.info.serviceId);
    this.#byLease.delete(rec.leaseId);
    this.#countOwner(rec.owner, -1);
    this.#notify(kind, rec);
    this.#events?.publish(
      create(ServiceEventSchema, {
        event: { case: "serviceUnregistered", value: { serviceId: rec.info.serviceId, reason } },
      }),
    );
    if (!removed) {
      this.#kept.set(rec.info.serviceId, rec);
      this.#recordKept();
    }
    return removed;
  }

  /** `prev`: the record an UPDATED replaces. */
  #notify(kind: ChangeKind, rec: RegistrationRecord, prev?: RegistrationRecord): void {
    if (this.#watchers.size === 0) return;
    const msg = change(kind, rec);
    const typeChanged = prev !== undefined && prev.info.serviceType !== rec.info.serviceType;
    // What a snapshot entry not yet sent must still show: the registration before this change.
    const before = kind === ChangeKind.REGISTERED ? undefined : (prev ?? rec);
    for (const w of this.#watchers) {
      if (w.serviceType === "") w.push(msg, before);
      else if (typeChanged && w.serviceType === prev.info.serviceType) w.push(change(ChangeKind.DEREGISTERED, prev), before);
      else if (w.serviceType === rec.info.serviceType) w.push(typeChanged ? change(ChangeKind.REGISTERED, rec) : msg, before);
    }
  }
}

/** A watch's snapshot: the ids of the live registrations it covers, sorted, and how to read one now. */
export interface WatchSnapshot {
  ids: string[];
  lookup: (serviceId: string) => RegistrationRecord | undefined;
}

/**
 * One watcher's stream of WatchServicesResponse. Single consumer. The snapshot is a sorted list
 * of ids, each turned into its EXISTING message when taken (so a lease renewed since shows its
 * later expiry), and one SYNCED marks its end before the first change. A registration that
 * changes while its entry is still unsent is first pinned as it was (push's `before`), so the
 * reader still gets the snapshot as of the watch and then every change, with no gap and no
 * duplicate; such pinned entries are at most the changes queued behind them, which the buffer
 * bounds.
 */
export class RegistryWatch extends PushIterator<WatchServicesResponse> {
  readonly serviceType: string;
  readonly #capacity: number;
  /** Changes after the snapshot; at most `capacity` of them. */
  readonly #queue = new Deque<WatchServicesResponse>();
  #ids: string[];
  /** Index in #ids of the next snapshot entry to send. */
  #next = 0;
  readonly #lookup: (serviceId: string) => RegistrationRecord | undefined;
  /** Unsent snapshot entries whose registration has changed since: their EXISTING as of the watch. */
  readonly #pinned = new Map<string, WatchServicesResponse>();
  /** SYNCED is still to be sent: cleared once sent, and when the watch ends before its snapshot did. */
  #syncPending = true;
  readonly #detach: (w: RegistryWatch) => void;

  constructor(
    serviceType: string,
    capacity: number,
    signal: AbortSignal | undefined,
    detach: (w: RegistryWatch) => void,
    snapshot: WatchSnapshot,
  ) {
    super();
    this.serviceType = serviceType;
    this.#capacity = capacity;
    this.#detach = detach;
    this.#ids = snapshot.ids;
    this.#lookup = snapshot.lookup;
    this.listen(signal);
  }

  protected take(): WatchServicesResponse | undefined {
    while (this.#next < this.#ids.length) {
      const id = this.#ids[this.#next++]!;
      const pinned = this.#pinned.get(id);
      if (pinned !== undefined) {
        this.#pinned.delete(id);
        return pinned;
      }
      const rec = this.#lookup(id);
      // Never absent while the watch is attached (a removal pins the entry first); after close()
      // detached it, a registration gone since is left to the next watch's snapshot.
      if (rec !== undefined) return change(ChangeKind.EXISTING, rec);
    }
    if (this.#ids.length > 0) this.#dropSnapshot();
    if (this.#syncPending) {
      this.#syncPending = false;
      return create(WatchServicesResponseSchema, { kind: ChangeKind.SYNCED });
    }
    return this.#queue.shift();
  }

  /**
   * @internal Never blocks: a watcher that falls behind is ended with EVENTS_LOST. `before` is
   * the registration as it was before this change (none for a new one); an unsent snapshot entry
   * for it keeps showing that.
   */
  push(msg: WatchServicesResponse, before?: RegistrationRecord): void {
    if (this.ended) return;
    if (this.#queue.length >= this.#capacity) {
      this.#finish(
        new RegistryError(
          "EVENTS_LOST",
          `watcher fell behind: more than ${this.#capacity} changes unread; watch again for a fresh snapshot`,
        ),
      );
      return;
    }
    if (before !== undefined) this.#pin(before);
    this.#queue.push(msg);
    this.wake();
  }

  /** Ends the watch cleanly; unread changes are discarded. */
  close(): void {
    if (this.ended) return;
    this.#queue.clear();
    this.#dropSnapshot();
    this.#syncPending = false;
    this.#finish(null);
  }

  /** Ends the watch cleanly once the reader has the snapshot and the changes already queued. */
  endAfterQueued(): void {
    this.#finish(null);
  }

  #pin(rec: RegistrationRecord): void {
    const id = rec.info.serviceId;
    if (this.#pinned.has(id) || !this.#unsent(id)) return;
    this.#pinned.set(id, change(ChangeKind.EXISTING, rec));
  }

  /** Whether `id` is a snapshot entry not yet sent (binary search of the unsent tail). */
  #unsent(id: string): boolean {
    let lo = this.#next;
    let hi = this.#ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareIds(this.#ids[mid]!, id);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  #dropSnapshot(): void {
    this.#ids = [];
    this.#next = 0;
    this.#pinned.clear();
  }

  #finish(error: Error | null): void {
    if (!this.finish(error)) return;
    if (error) {
      this.#queue.clear(); // the client must re-snapshot anyway
      this.#dropSnapshot();
      this.#syncPending = false; // nor is a snapshot cut short complete
    }
    this.#detach(this);
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const leaseKey = (rec: RegistrationRecord): ExpiredLease => ({ serviceId: rec.info.serviceId, leaseId: rec.leaseId });

/** The lease; `withId` false leaves lease_id empty (what readers other than the registrant get). */
function leaseOf(rec: RegistrationRecord, withId = true): Lease {
  return create(LeaseSchema, {
    leaseId: withId ? rec.leaseId : "",
    serviceId: rec.info.serviceId,
    ttl: durationFromMs(rec.ttlMs),
    expiresAt: timestampFromMs(rec.expiresAtMs),
  });
}

/**
 * A registration as every reader sees it: its lease without lease_id, the right to renew, which
 * only RegisterService and Heartbeat return to the registrant.
 */
function registrationOf(rec: RegistrationRecord): Registration {
  return create(RegistrationSchema, {
    service: rec.info,
    lease: leaseOf(rec, false),
    registeredAt: timestampFromMs(rec.registeredAtMs),
    lastHeartbeatAt: timestampFromMs(rec.lastHeartbeatAtMs),
  });
}

/**
 * An upper estimate of a Registration's encoded size, for the page byte budget: its strings in
 * UTF-8 (service_id twice: in the service and the lease) plus generous per-field overheads
 * (tags, lengths, timestamps, durations, the map entries' framing).
 */
function encodedSizeEstimate(rec: RegistrationRecord): number {
  const { info } = rec;
  let bytes = 128 + 2 * Buffer.byteLength(info.serviceId);
  for (const s of [info.serviceType, info.version, info.endpoint, info.healthCheckUrl]) bytes += Buffer.byteLength(s);
  for (const [k, v] of Object.entries(info.metadata)) bytes += 16 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return bytes;
}

function change(kind: ChangeKind, rec: RegistrationRecord): WatchServicesResponse {
  return create(WatchServicesResponseSchema, { kind, registration: registrationOf(rec) });
}

function encodePageToken(serviceType: string, after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, t: serviceType, a: after })).toString("base64url");
}

function decodePageToken(token: string, serviceType: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid("page_token", "page_token is not a token this server issued");
  }
  const p = parsed as { v?: unknown; t?: unknown; a?: unknown } | null;
  if (!p || p.v !== 1 || typeof p.t !== "string" || typeof p.a !== "string" || p.a === "") {
    throw invalid("page_token", "page_token is not a token this server issued");
  }
  if (p.t !== serviceType) throw invalid("page_token", "page_token was issued for another service_type");
  return p.a;
}
