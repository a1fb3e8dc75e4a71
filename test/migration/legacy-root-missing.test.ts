// tools.legacy_root resolves against the working directory: started elsewhere, the default root is
// not there. The server warns at start naming the resolved path, and MigrateTool's "no legacy tool"
// names the root it looked in (and says when it does not exist); MigrateDirectory, which has no
// tool to fail, is FAILED_PRECONDITION CONFIGURATION_ERROR naming the key, not the request's directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { warnAboutConfig } from "../../src/config/warnings.ts";
import { createLogger } from "../../src/log.ts";
import { LegacyRoot } from "../../src/migration/legacy.ts";
import { failure } from "../helpers/errors.ts";
import { ROOT } from "../helpers/server.ts";
import { check, clients, config, startWithLegacy } from "./helpers.ts";

type Line = { level: string; msg: string; key?: string; path?: string; configured?: string };
const rootWarnings = (legacyRoot: string) => {
  const lines: Line[] = [];
  const log = createLogger("warn", {}, (l) => lines.push(JSON.parse(l) as Line));
  warnAboutConfig(loadConfig({ env: {}, argv: ["--set", `tools.legacy_root=${legacyRoot}`] }).config, { grpc: "127.0.0.1:50051", http: "127.0.0.1:8080" }, log);
  return lines.filter((w) => w.key === "tools.legacy_root");
};

describe("a legacy tools root that does not exist", () => {
  it("is warned about at start with its resolved path; an existing one is not", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "se-legacy-")), "gone");
    const [w, ...more] = rootWarnings(missing);
    expect(more).toEqual([]);
    expect(w!.msg).toMatch(/^tools\.legacy_root is not a directory/);
    expect(w).toMatchObject({ level: "warn", path: missing, configured: missing });
    expect(rootWarnings("no-such-relative-root")[0]).toMatchObject({ path: resolve("no-such-relative-root") });
    expect(rootWarnings(join(ROOT, "examples/legacy-tools"))).toEqual([]);
  });

  it("a tool not found names the root, and says when the root is missing", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "se-legacy-")), "gone");
    expect(new LegacyRoot(missing, 1 << 20).find("text_search").readError).toMatch(
      new RegExp(`^no legacy tool named text_search in the legacy tools root ${missing} \\(tools\\.legacy_root: no such directory\\)`),
    );
    const present = join(ROOT, "examples/legacy-tools");
    const err = new LegacyRoot(present, 1 << 20).find("no_such_tool").readError!;
    expect(err).toContain(`in the legacy tools root ${present} (looked for`);
    expect(err).not.toContain("no such directory");
  });

  it("a server started with it warns, MigrateTool says where it looked, MigrateDirectory is a configuration error", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "se-legacy-")), "gone");
    const server = await startWithLegacy(missing);
    try {
      const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; key?: string; path?: string });
      expect(lines.filter((l) => l.level === "warn" && l.key === "tools.legacy_root")).toMatchObject([{ path: missing }]);
      const { result } = await clients(server).migration.migrateTool({ toolName: "text_search", config: config() });
      expect(check(result, "source_readable").message).toContain(`in the legacy tools root ${missing} (tools.legacy_root: no such directory)`);
      const migration = clients(server).migration;
      const drain = async (directory: string) => {
        for await (const _ of migration.migrateDirectory({ directory, config: config() }));
      };
      for (const directory of ["", "sub"]) {
        const f = await failure(drain(directory));
        expect([f.code, f.reason, f.metadata]).toEqual(["FailedPrecondition", "CONFIGURATION_ERROR", { key: "tools.legacy_root" }]);
        expect(f.err.rawMessage).toBe(`the legacy tools root ${missing} (tools.legacy_root) is not a directory`);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);
});
