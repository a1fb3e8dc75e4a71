// What an operator reads at start and in refusals says what is true: the variable that named a bad
// config file, a wildcard advertise_endpoint set on purpose, --help's usage, a busy gRPC port's
// one line, the TLS expiry's time left, and the per-caller limit's grammar and cap.
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ConfigError, USAGE, loadConfig } from "../../src/config/load.ts";
import { warnAboutConfig } from "../../src/config/warnings.ts";
import { grpcJsLogger } from "../../src/doors/grpc-js-log.ts";
import { timeLeft } from "../../src/doors/tls.ts";
import { createLogger } from "../../src/log.ts";
import { clientFor } from "../helpers/clients.ts";
import { exitAtStart } from "../helpers/config-exit.ts";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

type Line = { level: string; msg: string; key?: string; endpoint?: string };

describe("operator messages", () => {
  it("a config file named by SCRIPTENGINE_CONFIG that cannot be read names the variable", () => {
    const read = (argv: string[]) => {
      try {
        loadConfig({ env: { SCRIPTENGINE_CONFIG: "/nonexistent/scriptengine.toml" }, argv });
      } catch (err) {
        return err as ConfigError;
      }
    };
    expect(read([])?.message).toMatch(/^config: SCRIPTENGINE_CONFIG: cannot read \/nonexistent\/scriptengine\.toml/);
    expect(read(["--config", "/nonexistent/other.toml"])?.message).toMatch(/^config: --config: cannot read \/nonexistent\/other\.toml/);
  });

  it("an explicit wildcard discovery.advertise_endpoint is warned, as the unset one is", () => {
    const { config } = loadConfig({ env: {}, argv: ["--set", `tools.legacy_root=${import.meta.dirname}`, "--set", "discovery.advertise_endpoint=0.0.0.0:50051"] });
    const lines: Line[] = [];
    warnAboutConfig(config, { grpc: "0.0.0.0:50051", http: "0.0.0.0:8080" }, createLogger("warn", {}, (l) => lines.push(JSON.parse(l) as Line)));
    const advertise = lines.filter((l) => l.key === "discovery.advertise_endpoint");
    expect(advertise).toHaveLength(1);
    expect(advertise[0]).toMatchObject({ level: "warn", endpoint: "0.0.0.0:50051", msg: expect.stringMatching(/wildcard address.*no other host can reach/) });
  });

  it("--help names the command as run and the SCRIPTENGINE_CONFIG variable", () => {
    expect(USAGE).toMatch(/^usage: node src\/main\.ts \[--config FILE\]/);
    expect(USAGE).toMatch(/scriptengine serve/);
    expect(USAGE).toMatch(/SCRIPTENGINE_CONFIG/);
  });

  it("grpc-js's own line for a bind that failed is not a warn line (the fatal line says it)", () => {
    const lines: Line[] = [];
    const logger = grpcJsLogger(createLogger("debug", {}, (l) => lines.push(JSON.parse(l) as Line)));
    logger.error("No address added out of total 1 resolved");
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
    logger.error("Failed to add metadata entry x!: v. Metadata key \"x!\" contains illegal characters");
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  });

  it("a busy gRPC port: exit 1 with the one fatal line, no grpc-js warn line before it", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const address = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
      const { code, stderr } = await exitAtStart(["--grpc-address", address]);
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot listen on ${address} (server.grpc_address): the address is already in use`);
      expect(stderr.split("\n").filter((l) => l.includes('"level":"warn"'))).toEqual([]);
    } finally {
      busy.close();
    }
  }, 60_000);

  it("the TLS expiry warning never rounds the time left down to whole days", () => {
    const hour = 3_600_000;
    expect(timeLeft(4 * 24 * hour + 23 * hour + 59 * 60_000)).toBe("4 days 23 hours");
    expect(timeLeft(2 * 24 * hour)).toBe("2 days");
    expect(timeLeft(24 * hour + hour)).toBe("1 day 1 hour");
    expect(timeLeft(5 * hour + 30 * 60_000)).toBe("5 hours");
    expect(timeLeft(20 * 60_000)).toBe("less than an hour");
  });

  it("the per-caller limit says '1 execution' and names the cap that applied", async () => {
    const s = await startServer({ toml: `[pool]\nworkers = 2\n[resource_limits]\nmax_concurrent_operations = 1\n` });
    const scripts = clientFor(ScriptService, "grpc-js", s);
    const held = [failure(scripts.runScript({ source: "for (;;) {}" }))];
    try {
      await untilMetrics(scripts, "the first run has started", (m) => m.busyIsolates === 1n);
      const f = await failure(scripts.runScript({ source: "1" }));
      expect(f.err.rawMessage).toBe("caller local already has 1 execution (limit 1: resource_limits.max_concurrent_operations)");
      const g = await failure(scripts.runScript({ source: "1", context: { resourceLimits: { maxConcurrentOperations: 1n } } }));
      expect(g.err.rawMessage).toMatch(/\(limit 1: the request's resource_limits\.max_concurrent_operations\)$/);
    } finally {
      await s.stop();
      await settle(held);
    }
  }, 60_000);
});
