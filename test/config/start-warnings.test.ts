// Settings that do not do what was meant, said at start: token principals served in cleartext beyond
// loopback; telemetry.prometheus_address without telemetry (nothing listens), or beyond loopback
// while the doors ask for credentials (the one way in that asks for none); and refused at load:
// a Prometheus port 0 (the exporter bound 9464) or a door's own address (the door was blamed).
// The "configuration loaded" line says how many principals were read.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { warnAboutConfig } from "../../src/config/warnings.ts";
import { createLogger } from "../../src/log.ts";
import { startServer } from "../helpers/server.ts";

type Line = { level: string; msg: string; key?: string; [k: string]: unknown };
const TOKEN_PRINCIPAL = `[[auth.principals]]\nname = "ops"\ntoken = "ops-token-0123456789"\n`;

function warnings(argv: string[], bound: { grpc: string; http: string }, env: NodeJS.ProcessEnv = {}): Line[] {
  const { config } = loadConfig({ env, argv: ["--set", `tools.legacy_root=${import.meta.dirname}`, ...argv] });
  const lines: Line[] = [];
  warnAboutConfig(config, bound, createLogger("warn", {}, (l) => lines.push(JSON.parse(l) as Line)));
  return lines;
}

describe("tokens in cleartext", () => {
  it("warns when token principals are configured and a port listens beyond loopback without TLS, naming those ports", () => {
    const file = join(mkdtempSync(join(tmpdir(), "se-warn-")), "c.toml");
    writeFileSync(file, TOKEN_PRINCIPAL);
    const [w, ...more] = warnings(["--config", file], { grpc: "0.0.0.0:50051", http: "127.0.0.1:8080" }).filter((l) => /cleartext/.test(l.msg));
    expect(more).toEqual([]);
    expect(w).toMatchObject({ level: "warn", key: "server.tls_cert_file", principals_with_tokens: 1, doors: { grpc: "0.0.0.0:50051" } });
    expect(warnings(["--config", file], { grpc: "127.0.0.1:50051", http: "[::1]:8080" }).filter((l) => /cleartext/.test(l.msg))).toEqual([]);
    // Without principals the doors are loopback only: nothing travels.
    expect(warnings([], { grpc: "0.0.0.0:50051", http: "0.0.0.0:8080" }).filter((l) => /cleartext/.test(l.msg))).toEqual([]);
  });

  it("the start line counts the principals read", async () => {
    const server = await startServer({ toml: TOKEN_PRINCIPAL });
    await server.stop();
    const loaded = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line).find((l) => l.msg === "configuration loaded");
    expect(loaded).toMatchObject({ principals: { total: 1, token: 1, client_cert_names: 0 } });
  });
});

describe("telemetry.prometheus_address", () => {
  it("warns when set while telemetry is off (nothing listens there)", () => {
    const off = warnings(["--set", "telemetry.prometheus_address=127.0.0.1:9464"], { grpc: "127.0.0.1:1", http: "127.0.0.1:2" }).filter((l) => l.key === "telemetry.prometheus_address");
    expect(off).toMatchObject([{ level: "warn", msg: expect.stringMatching(/telemetry\.enabled is false: nothing listens there/), address: "127.0.0.1:9464" }]);
    expect(warnings(["--set", "telemetry.enabled=true", "--set", "telemetry.prometheus_address=127.0.0.1:9464"], { grpc: "127.0.0.1:1", http: "127.0.0.1:2" }).filter((l) => l.key === "telemetry.prometheus_address")).toEqual([]);
  });

  it("warns when it listens beyond loopback while the doors ask for credentials", () => {
    const file = join(mkdtempSync(join(tmpdir(), "se-warn-")), "c.toml");
    writeFileSync(file, TOKEN_PRINCIPAL);
    const bound = { grpc: "127.0.0.1:1", http: "127.0.0.1:2" };
    const open = (argv: string[]) => warnings(["--set", "telemetry.enabled=true", ...argv], bound).filter((l) => l.key === "telemetry.prometheus_address");
    expect(open(["--config", file, "--set", "telemetry.prometheus_address=0.0.0.0:9464"])).toMatchObject([{ level: "warn", msg: expect.stringMatching(/beyond loopback: its metrics are served to anyone/), address: "0.0.0.0:9464" }]);
    expect(open(["--config", file, "--set", "telemetry.prometheus_address=[::1]:9464"])).toEqual([]);
    // Without principals nothing asks for credentials (and the doors are loopback only).
    expect(open(["--set", "telemetry.prometheus_address=0.0.0.0:9464"])).toEqual([]);
  });

  it("refuses port 0, which the exporter took for its default 9464", () => {
    expect(() => loadConfig({ env: {}, argv: ["--set", "telemetry.prometheus_address=127.0.0.1:0"] })).toThrow(/^config: telemetry\.prometheus_address: "127\.0\.0\.1:0": port 0 is not supported here/);
  });

  it("refuses a door's own address, naming telemetry.prometheus_address (the door was blamed)", () => {
    const argv = ["--set", "telemetry.enabled=true", "--grpc-address", "127.0.0.1:42240", "--set", "telemetry.prometheus_address=127.0.0.1:42240"];
    expect(() => loadConfig({ env: {}, argv })).toThrow('config: telemetry.prometheus_address: "127.0.0.1:42240" is also server.grpc_address: give the metrics their own port');
  });

  it("the start line names where the exporter listens: OTEL_EXPORTER_PROMETHEUS_PORT wins over the key", async () => {
    const [keyPort, envPort] = [42241, 42242]; // this file's ports
    const server = await startServer({
      toml: `[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${keyPort}"\n`,
      env: { OTEL_EXPORTER_PROMETHEUS_PORT: String(envPort) },
    });
    await server.stop();
    const started = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line).find((l) => l.msg === "telemetry started");
    expect(started).toMatchObject({ prometheus: `127.0.0.1:${envPort}` });
  });
});
