// The [telemetry] keys as defaults of the standard OTEL_* variables, and "off" meaning off.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { applyTelemetryDefaults, startTelemetry } from "../../src/telemetry/index.ts";

const settings = (over: Partial<{ enabled: boolean; serviceName: string; otlp: boolean; prometheusAddress: string }> = {}) => ({
  enabled: true, serviceName: "scriptengine", otlp: true, prometheusAddress: "", ...over,
});

describe("telemetry configuration", () => {
  it("is off by default and validated", () => {
    expect(loadConfig({ env: {} }).config.telemetry).toEqual({ enabled: false, serviceName: "scriptengine", otlp: true, prometheusAddress: "" });
    expect(loadConfig({ env: { SCRIPTENGINE_TELEMETRY_ENABLED: "true", SCRIPTENGINE_TELEMETRY_PROMETHEUS_ADDRESS: "0.0.0.0:9464" } }).config.telemetry).toMatchObject({ enabled: true, prometheusAddress: "0.0.0.0:9464" });
    expect(() => loadConfig({ env: {}, argv: ["--set", "telemetry.prometheus_address=9464"] })).toThrow(/telemetry.prometheus_address: expected host:port/);
  });

  it("off, or OTEL_SDK_DISABLED=true: nothing is started", async () => {
    const log = createLogger("silent", {});
    expect(await startTelemetry(settings({ enabled: false }), log)).toBeUndefined();
    expect(await startTelemetry(undefined, log)).toBeUndefined();
    process.env.OTEL_SDK_DISABLED = "true";
    try {
      expect(await startTelemetry(settings(), log)).toBeUndefined();
    } finally {
      delete process.env.OTEL_SDK_DISABLED;
    }
  });

  it("an OTLP endpoint with a query is split into per-signal endpoints, the query after each path", () => {
    const env: NodeJS.ProcessEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example/otlp/?api-key=k&x=1", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://mine/m" };
    applyTelemetryDefaults(settings(), env);
    expect([env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT]).toEqual(["https://collector.example/otlp/v1/traces?api-key=k&x=1", "http://mine/m"]);
    // No query, or gRPC (no path added there): left to the exporter.
    for (const plain of [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/otlp" }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317?k=1", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }]) {
      const e: NodeJS.ProcessEnv = { ...plain };
      applyTelemetryDefaults(settings(), e);
      expect([e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, e.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT]).toEqual([undefined, undefined]);
    }
  });

  it("maps the keys onto OTEL_* defaults; explicit variables win", () => {
    const env: NodeJS.ProcessEnv = {};
    applyTelemetryDefaults(settings({ prometheusAddress: "127.0.0.1:9464" }), env);
    expect(env).toMatchObject({ OTEL_SERVICE_NAME: "scriptengine", OTEL_METRICS_EXPORTER: "otlp,prometheus", OTEL_EXPORTER_PROMETHEUS_HOST: "127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT: "9464" });
    expect(env.OTEL_TRACES_EXPORTER).toBeUndefined(); // the SDK's default: otlp

    const quiet: NodeJS.ProcessEnv = { OTEL_SERVICE_NAME: "mine" };
    applyTelemetryDefaults(settings({ otlp: false }), quiet);
    expect(quiet).toMatchObject({ OTEL_SERVICE_NAME: "mine", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" });

    const promOnly: NodeJS.ProcessEnv = { OTEL_METRICS_EXPORTER: "none" };
    applyTelemetryDefaults(settings({ prometheusAddress: "[::1]:9000" }), promOnly);
    expect(promOnly).toMatchObject({ OTEL_METRICS_EXPORTER: "prometheus", OTEL_EXPORTER_PROMETHEUS_HOST: "::1", OTEL_EXPORTER_PROMETHEUS_PORT: "9000" });
  });
});
