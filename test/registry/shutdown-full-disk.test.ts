// The engine's own deregistration at shutdown on a full disk: the store refused the row's removal
// and the refusal was swallowed, so no ServiceUnregistered "shutdown" was published and the row
// stayed; the next start, its lease expired, announced it "expired". The deregistration is now
// announced all the same (the registry in memory changed) with one warn line, the row is recorded
// as announced (registry-expired, written in place), and the next start removes it without
// announcing it again. Needs a small tmpfs for the data directory (root with mount rights);
// skipped elsewhere.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { smallDisk } from "../migration/full-disk.ts";
import { watchRegistrations } from "./through-server.ts";

const disk = smallDisk();
const dataDir = join(disk.mnt, "data");
const SELF = "engine-on-full-disk";
// A 1 s lease: the row the first run leaves has expired by the next start.
const start = () => startServer({ dataDir, args: ["--set", `discovery.service_id=${SELF}`, "--set", "discovery.ttl=1s"] });

const rows = () => {
  const db = new DatabaseSync(join(dataDir, "scriptengine.db"), { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM registry_registrations WHERE service_id = ?").get(SELF) as { n: number }).n;
  } finally {
    db.close();
  }
};

const WARNING = "the engine's deregistration was announced, but the store kept its row";

it.skipIf(!disk.mounted)("a shutdown on a full disk announces the engine's deregistration, and the next start removes its row unannounced", async () => {
  let server = await start();
  try {
    const events = watchRegistrations(server);
    await until("the engine registered itself", () => events.seen.includes(`${SELF} registered`), { seen: () => events.seen });
    disk.fillLeaving(0);
    expect(await server.stop()).toBe(0);
    await events.ended; // the stream sends what it holds before it ends
    expect(events.seen).toEqual([`${SELF} registered`, `${SELF} shutdown`]);
    expect(server.logs().split("\n").filter((l) => l.includes(WARNING))).toHaveLength(1);
    disk.free();
    expect(rows()).toBe(1);

    // Room again, the lease long expired: the row is removed and not announced again.
    // The lease (1 s) has run out by the next start (it was announced "expired" then).
    await new Promise((r) => setTimeout(r, 1500));
    server = await start();
    const again = watchRegistrations(server);
    await until("the engine registered itself again", () => again.seen.includes(`${SELF} registered`), { seen: () => again.seen });
    expect(again.seen).toEqual([`${SELF} registered`]);
    expect(server.logs()).not.toContain(WARNING);
    again.stop();
    expect(await server.stop()).toBe(0);
    expect(rows()).toBe(0);
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
}, 90_000);
