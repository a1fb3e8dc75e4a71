// Bound to a wildcard address (0.0.0.0, ::) with discovery on and no discovery.advertise_endpoint,
// the engine would register an endpoint no other host can reach: the server warns at start, one
// line naming discovery.advertise_endpoint.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { isWildcardAddress, warnAboutConfig } from "../../src/config/warnings.ts";
import { createLogger } from "../../src/log.ts";
import { startServer } from "../helpers/server.ts";

type Line = { level: string; msg: string; key?: string; endpoint?: string };
const advertiseWarnings = (argv: string[], grpc: string) => {
  const { config } = loadConfig({ env: {}, argv: ["--set", `tools.legacy_root=${import.meta.dirname}`, ...argv] });
  const lines: Line[] = [];
  warnAboutConfig(config, { grpc }, createLogger("warn", {}, (l) => lines.push(JSON.parse(l) as Line)));
  return lines.filter((w) => w.key === "discovery.advertise_endpoint");
};

describe("a wildcard listen address and discovery", () => {
  it("knows the wildcard spellings", () => {
    for (const a of ["0.0.0.0:50051", "[::]:50051", "[0:0:0:0:0:0:0:0]:1", "[::0]:1"]) expect(isWildcardAddress(a)).toBe(true);
    for (const a of ["127.0.0.1:50051", "[::1]:50051", "localhost:1", "10.0.0.1:1", "engine.example.com:50051"]) expect(isWildcardAddress(a)).toBe(false);
  });

  it("warns, naming discovery.advertise_endpoint, only when the wildcard would be advertised", () => {
    const [w, ...more] = advertiseWarnings([], "0.0.0.0:50051");
    expect(more).toEqual([]);
    expect(w!.msg).toMatch(/^discovery\.advertise_endpoint is not set/);
    expect(w).toMatchObject({ level: "warn", endpoint: "0.0.0.0:50051" });
    expect(advertiseWarnings([], "[::]:50051")).toHaveLength(1);
    expect(advertiseWarnings(["--set", "discovery.advertise_endpoint=engine-1.example.com:50051"], "0.0.0.0:50051")).toEqual([]);
    expect(advertiseWarnings(["--set", "discovery.enabled=false"], "0.0.0.0:50051")).toEqual([]);
    expect(advertiseWarnings([], "127.0.0.1:50051")).toEqual([]);
  });

  it("a server bound to 0.0.0.0 with principals logs the warning at start", async () => {
    const server = await startServer({
      toml: `[[auth.principals]]\nname = "ops"\ntoken = "a-long-enough-test-token"\nmax_security_level = "safe"\n`,
      args: ["--set", "server.grpc_address=0.0.0.0:0"],
    });
    try {
      const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string; key?: string });
      expect(lines.filter((l) => l.level === "warn" && l.key === "discovery.advertise_endpoint")).toHaveLength(1);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
