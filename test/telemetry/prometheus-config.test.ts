// telemetry.prometheus_address is checked like an address key: a port out of range is a config
// error (exit 2 naming the key), not a crash with a stack once telemetry starts.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";

describe("telemetry.prometheus_address", () => {
  it("a port past 65535 is refused like an address key's", async () => {
    expect(() => loadConfig({ env: {}, argv: ["--set", "telemetry.prometheus_address=127.0.0.1:99999"] })).toThrow(
      /^config: telemetry\.prometheus_address: expected host:port with a port from 0 to 65535, got "127\.0\.0\.1:99999"/,
    );
    expect(loadConfig({ env: {}, argv: ["--set", "telemetry.prometheus_address=[::1]:9464"] }).config.telemetry!.prometheusAddress).toBe("[::1]:9464");
    const { code, stderr } = await exitAtStart(["--set", "telemetry.enabled=true", "--set", "telemetry.prometheus_address=127.0.0.1:99999"]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe('scriptengine: config: telemetry.prometheus_address: expected host:port with a port from 0 to 65535, got "127.0.0.1:99999"');
  });
});
