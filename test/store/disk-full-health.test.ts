// A write refused for a full disk makes health DEGRADED at once: it turned only at the monitor's
// next look (health_check.interval, ~5 s), so a HealthCheck right after the refused call said
// HEALTHY/"serving". The disk is SQLite's own full (max_page_count), failing a real transaction.
import { DatabaseSync } from "node:sqlite";
import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import type { EngineStats } from "../../src/engine/index.ts";
import { toServiceError } from "../../src/errors.ts";
import { components, startHealthMonitor } from "../../src/health/monitor.ts";
import { HealthState } from "../../src/health/state.ts";
import { transaction } from "../../src/store/database.ts";
import { resetStoreFaults } from "../../src/store/faults.ts";
import { engineStats } from "../helpers/engine-stats.ts";

const stats: EngineStats = engineStats({ poolSize: 2, workers: 2 });

/** The error a write gets from a store with no room left. */
function diskFullError(): unknown {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (x BLOB)");
  db.exec("PRAGMA max_page_count = 20");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  try {
    transaction(db, () => {
      for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000));
    });
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error("the store never filled");
}

afterEach(() => resetStoreFaults());

describe("health on a full disk", () => {
  it("turns DEGRADED naming the store as the refused call is answered, not at the next interval", async () => {
    resetStoreFaults();
    const { config } = loadConfig({ argv: [], env: {} });
    const health = new HealthState();
    health.set(ServiceStatus.HEALTHY, "serving");
    const heard: string[] = [];
    health.onChange((status, _previous, message) => heard.push(`${ServiceStatus[status]} ${message}`));
    // An interval no test waits for: only the failing call can move health.
    const stop = startHealthMonitor(health, () => components(stats, config), 3_600_000);
    try {
      const e = toServiceError(diskFullError()); // what the call answers
      expect(e.code).toBe(Code.ResourceExhausted);
      await Promise.resolve();
      expect(health.status).toBe(ServiceStatus.DEGRADED);
      expect(health.message).toMatch(/^store: the disk is full/);
      // More refused writes in the same spell change nothing: one change heard.
      toServiceError(diskFullError());
      await Promise.resolve();
      expect(heard).toEqual([expect.stringMatching(/^DEGRADED store: the disk is full/)]);
    } finally {
      stop();
    }
  });
});
