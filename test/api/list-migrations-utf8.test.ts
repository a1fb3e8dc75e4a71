// A ListMigrations page stops at ~2 MiB on the wire whatever characters callers store: migration
// metadata in CJK text is 3 bytes per character in UTF-8, the wire's unit, and must count as such,
// or a default page outgrows the 4 MiB a gRPC client receives by default.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toBinary } from "@bufbuild/protobuf";
import { ListMigrationsResponseSchema } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { config, legacyServer } from "../migration/helpers.ts";

const MiB = 1024 * 1024;
const RUNS = 30;

const c = legacyServer();

describe("ListMigrations pages of CJK metadata", () => {
  it("stay at ~2 MiB encoded, and a default grpc-js client reads every page", async () => {
    writeFileSync(
      join(c.root, "cjk.js"),
      `export const name = "cjk";\nexport const description = "d";\nexport const version = "1.0.0";\nexport const inputSchema = { type: "object", properties: {} };\nexport async function call() { return 1; }\n`,
    );
    // The largest legal metadata, in 3-byte characters: ~220 KB of UTF-8 per migration.
    const metadata = Object.fromEntries(Array.from({ length: 64 }, (_, k) => ["漢".repeat(120) + k, "漢".repeat(1024)]));
    for (let i = 0; i < RUNS; i++) {
      const { result } = await c.migration.migrateTool({ toolName: "cjk", config: config({ dryRun: true, force: true, metadata, checks: ["compiles"] }) });
      expect(result!.status).toBe(MigrationState.DRY_RUN);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let token = "";
    do {
      const page = await c.migration.listMigrations({ filter: { toolName: "cjk" }, pageToken: token });
      sizes.push(toBinary(ListMigrationsResponseSchema, page).length);
      seen.push(...page.migrations.map((m) => m.migrationId));
      token = page.nextPageToken;
    } while (token && sizes.length < 20);
    expect(new Set(seen).size).toBe(RUNS);
    for (const size of sizes) expect(size).toBeLessThan(2.2 * MiB);
    // Counted from above, but not so far that a full page holds much less than 2 MiB.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(1.7 * MiB);
  }, 120_000);
});
