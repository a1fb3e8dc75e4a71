// What the server keeps in its data directory, opened in order: the database, the event-sequence
// marks, the event bus numbered from them, the registry and the script store.
import type { DatabaseSync } from "node:sqlite";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { ServiceEventSchema } from "../gen/ts/scriptengine/v1/events_pb.js";
import type { Config } from "./config/types.ts";
import type { Logger } from "./log.ts";
import type { HealthState } from "./health/state.ts";
import { EventBus } from "./events/bus.ts";
import { ServiceRegistry } from "./registry/registry.ts";
import { SqliteRegistryStore } from "./registry/sqlite-store.ts";
import { openExpiredMarks, type ExpiredMarks } from "./registry/expired-marks.ts";
import { openDatabase, whileOpening } from "./store/database.ts";
import { refuseLostStore } from "./store/lost-store.ts";
import { SequenceRepository } from "./store/sequences.ts";
import { openSequenceFile, type SequenceFile } from "./store/sequence-file.ts";
import { noteStoreFault, onStoreRemoved } from "./store/faults.ts";
import { ScriptRepository } from "./store/scripts.ts";

export interface ServerState {
  db: DatabaseSync;
  sequences: SequenceFile;
  bus: EventBus;
  registry: ServiceRegistry;
  scripts: ScriptRepository;
}

/** Opens the data directory; a damaged store stops the start with one line naming it (whileOpening). */
export function openState(config: Config, serviceId: string, health: HealthState, log: Logger): ServerState {
  const dataDir = config.server.dataDir;
  const db = openDatabase(dataDir);
  // Once: every write is refused from then on, and health says why.
  onStoreRemoved((why) => log.error("the store's files are gone from the data directory", { key: "server.data_dir", error: why }));
  whileOpening(dataDir, () => refuseLostStore(db, dataDir)); // before any table is made: a refused start changes nothing
  const sequences = openSequenceFile(dataDir, whileOpening(dataDir, () => new SequenceRepository(db)));
  const bus = new EventBus({
    ...config.events,
    source: serviceId,
    firstSequence: sequences.firstSequence,
    previousRun: sequences.previous,
    onReserve: (upTo) => sequences.reserve(upTo),
    onReserveError: (err) => {
      noteStoreFault(err);
      log.error("event sequences cannot be persisted; events go on, numbered from memory", { error: String(err) });
    },
  });
  health.onChange((status, _previous, message) =>
    bus.publish(create(ServiceEventSchema, { event: { case: "healthStatusChanged", value: { serviceId, status, timestamp: timestampNow(), message } } })),
  );
  const registry = whileOpening(dataDir, () => new ServiceRegistry({
    store: new SqliteRegistryStore(db),
    events: bus,
    maxRegistrations: config.registry.maxRegistrations,
    maxRegistrationsPerPrincipal: config.registry.maxRegistrationsPerPrincipal,
    maxMetadataBytes: config.registry.maxMetadataBytes,
    watchBuffer: config.registry.watchBuffer,
    // Nobody may impersonate or remove the engine's own registration.
    reservedServiceIds: [serviceId],
    onError: (err) => {
      noteStoreFault(err);
      log.error("registry sweep failed", { error: String(err) });
    },
    storeFull: (err) => noteStoreFault(err) === "full",
    expiredMarks: expiredMarksOf(dataDir, log),
  }));
  const scripts = whileOpening(dataDir, () => new ScriptRepository(db, config.store.maxVersions, config.store.maxBytes, config.maxSourceSize));
  return { db, sequences, bus, registry, scripts };
}

/** The registry's record of expiries announced while their rows were kept; without it (no room to make it), they are announced again after a restart. */
function expiredMarksOf(dataDir: string, log: Logger): ExpiredMarks | undefined {
  try {
    return openExpiredMarks(dataDir);
  } catch (err) {
    log.warn("registry-expired cannot be made: an expiry a full disk keeps the row of is announced again after a restart", { error: String(err) });
    return undefined;
  }
}

/**
 * Call once numbering has ended (after bus.close: later events take none): records where, so a
 * client resuming after the run's last number is told it missed nothing, even if the rest of
 * shutdown is cut short.
 */
export function recordLastSequence(state: ServerState, log: Logger): void {
  try {
    state.sequences.stopped(Number(state.bus.latestSequence));
  } catch (err) {
    log.error("the last event sequence could not be recorded: the next run will count it as a crash", { error: String(err) });
  }
}
