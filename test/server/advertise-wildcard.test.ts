// Bound to a wildcard address (0.0.0.0, ::) with discovery on and no discovery.advertise_endpoint,
// the engine would register an endpoint (or a health_check_url) no other host can reach: the server
// warns at start, one line per door naming discovery.advertise_endpoint. With one, the
// health_check_url and http_endpoint are its host at the HTTP door's port.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { isWildcardAddress, warnAboutConfig } from "../../src/config/warnings.ts";
import { createLogger } from "../../src/log.ts";
import { advertisedHttpAddress } from "../../src/server.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "../registry/through-server.ts";

type Line = { level: string; msg: string; key?: string; endpoint?: string };
const advertiseWarnings = (argv: string[], grpc: string, http = "127.0.0.1:8080") => {
  const { config } = loadConfig({ env: {}, argv: ["--set", `tools.legacy_root=${import.meta.dirname}`, ...argv] });
  const lines: Line[] = [];
  warnAboutConfig(config, { grpc, http }, createLogger("warn", {}, (l) => lines.push(JSON.parse(l) as Line)));
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

  it("warns of a wildcard HTTP door too: its health_check_url would be unreachable", () => {
    const [w, ...more] = advertiseWarnings([], "127.0.0.1:50051", "0.0.0.0:8080");
    expect(more).toEqual([]);
    expect(w!.msg).toMatch(/^discovery\.advertise_endpoint is not set: the engine registers a health_check_url/);
    expect(w).toMatchObject({ level: "warn", endpoint: "0.0.0.0:8080" });
    expect(advertiseWarnings([], "[::]:50051", "[::]:8080")).toHaveLength(2);
    expect(advertiseWarnings(["--set", "discovery.advertise_endpoint=engine-1.example.com:50051"], "0.0.0.0:50051", "0.0.0.0:8080")).toEqual([]);
    expect(advertiseWarnings(["--set", "discovery.enabled=false"], "127.0.0.1:50051", "0.0.0.0:8080")).toEqual([]);
  });

  it("advertises the HTTP door at advertise_endpoint's host and the door's port", () => {
    expect(advertisedHttpAddress("engine-1.example.com:50051", "0.0.0.0:58641")).toBe("engine-1.example.com:58641");
    expect(advertisedHttpAddress("engine-1.example.com:50051", "127.0.0.1:8080")).toBe("engine-1.example.com:8080");
    expect(advertisedHttpAddress("[2001:db8::1]:50051", "[::]:8080")).toBe("[2001:db8::1]:8080");
    expect(advertisedHttpAddress("", "[::]:8080")).toBe("[::]:8080");
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

  it("a server bound to 0.0.0.0 registers the health_check_url and http_endpoint at the advertised host", async () => {
    const token = "a-long-enough-test-token";
    const server = await startServer({
      toml: `[[auth.principals]]\nname = "ops"\ntoken = "${token}"\nmax_security_level = "safe"\n`,
      args: ["--set", "server.http_address=0.0.0.0:0", "--set", "discovery.advertise_endpoint=engine-1.example.com:50051"],
    });
    try {
      const port = server.http.slice(server.http.lastIndexOf(":") + 1);
      const [self] = (await registryAs(server, token).discoverServices({ serviceType: "ScriptEngine" })).services;
      expect(self?.service).toMatchObject({ endpoint: "engine-1.example.com:50051", healthCheckUrl: `http://engine-1.example.com:${port}/health` });
      expect(self?.service?.metadata.http_endpoint).toBe(`engine-1.example.com:${port}`);
      const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; key?: string });
      expect(lines.filter((l) => l.level === "warn" && l.key === "discovery.advertise_endpoint")).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
