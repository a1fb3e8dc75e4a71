// A lease that expired while the disk was full was announced (EXPIRED, ServiceUnregistered
// "expired") but its row stayed, and stayed for the whole run; the next start loaded it, found it
// expired and announced it again. The kept row is now removed at a later sweep once there is room,
// and the data directory records the announced expiry (registry-expired, written in place), so a
// restart removes the row without announcing it a second time. Needs a small tmpfs for the data
// directory (root with mount rights); skipped elsewhere.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { expect, it } from "vitest";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { smallDisk } from "../migration/full-disk.ts";
import { watchRegistrations } from "./through-server.ts";

const disk = smallDisk();
const dataDir = join(disk.mnt, "data");

const rowsOf = (id: string) => {
  const db = new DatabaseSync(join(dataDir, "scriptengine.db"), { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM registry_registrations WHERE service_id = ?").get(id) as { n: number }).n;
  } finally {
    db.close();
  }
};

it.skipIf(!disk.mounted)("an expiry a full disk kept the row of is announced once, across a restart too", async () => {
  let server = await startServer({ dataDir });
  try {
    const events = watchRegistrations(server);
    const registry = clientFor(RegistryService, "grpc-js", server);
    await registry.registerService({ service: { serviceId: "gone", serviceType: "worker", endpoint: "127.0.0.1:9000" }, ttl: { seconds: 1n } });
    await registry.registerService({ service: { serviceId: "later", serviceType: "worker", endpoint: "127.0.0.1:9001" }, ttl: { seconds: 1n } });
    await until("both are registered", () => events.seen.includes("later registered"));
    disk.fillLeaving(0);
    await until("both expired", () => events.seen.includes("gone expired") && events.seen.includes("later expired"), { seen: () => events.seen });
    events.stop();
    await server.stop("SIGKILL"); // the rows are still there: the disk is full
    disk.free();
    expect([rowsOf("gone"), rowsOf("later")]).toEqual([1, 1]);

    // Room again: the next start removes both rows and announces neither (it announces its own registration after loading).
    server = await startServer({ dataDir });
    const again = watchRegistrations(server);
    await until("the engine registered itself", () => again.seen.some((s) => s.endsWith(" registered")), { seen: () => again.seen });
    expect(again.seen.filter((s) => s.startsWith("gone ") || s.startsWith("later "))).toEqual([]);
    again.stop();
    await server.stop();
    expect([rowsOf("gone"), rowsOf("later")]).toEqual([0, 0]);
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
}, 90_000);
