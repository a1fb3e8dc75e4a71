// ScriptService's Start and Stop around a failing engine hook: a Stop whose engine did not stop
// must not say STOPPED, and the log says a Start was requested before it says how it went.
import { createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { LOCAL_PRINCIPAL, principalKey } from "../../src/auth/principal.ts";
import { scriptService, type ScriptServiceDeps } from "../../src/api/script-service.ts";
import { loadConfig } from "../../src/config/load.ts";
import { HealthState } from "../../src/health/state.ts";
import type { Logger } from "../../src/log.ts";

function setup(hooks: Pick<ScriptServiceDeps, "onStart" | "onStop">) {
  const health = new HealthState();
  health.set(ServiceStatus.HEALTHY, "serving");
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  const log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } as unknown as Logger;
  const service = scriptService({
    config: loadConfig({ argv: [], env: {} }).config,
    health,
    serviceId: "test",
    startedAt: Date.now(),
    metrics: [],
    components: () => [],
    isClosing: () => false,
    log,
    ...hooks,
  });
  const ctx = (name: "Start" | "Stop"): HandlerContext =>
    createHandlerContext({
      service: ScriptService,
      method: ScriptService.method[name === "Start" ? "start" : "stop"],
      protocolName: "connect",
      requestMethod: "POST",
      url: `http://localhost/${name}`,
      contextValues: createContextValues().set(principalKey, LOCAL_PRINCIPAL),
    });
  return { health, lines, service, ctx };
}

describe("Stop whose engine does not stop", () => {
  it("is UNHEALTHY with the error, not STOPPED, and the call fails with it", async () => {
    const { health, service, ctx } = setup({ onStart: async () => {}, onStop: async () => { throw new Error("workers would not close"); } });
    await expect(service.stop!({ reason: "maintenance" } as never, ctx("Stop"))).rejects.toThrow(/workers would not close/);
    expect([health.status, health.message]).toEqual([ServiceStatus.UNHEALTHY, "stop failed: workers would not close"]);
  });
});

describe("Start's log lines", () => {
  it("says it was requested, then that it started", async () => {
    const { health, lines, service, ctx } = setup({ onStart: async () => {}, onStop: async () => {} });
    await service.stop!({ reason: "" } as never, ctx("Stop"));
    lines.length = 0;
    await service.start!({} as never, ctx("Start"));
    expect(health.status).toBe(ServiceStatus.HEALTHY);
    expect(lines.map((l) => l.msg)).toEqual(["engine start requested", "engine started on request"]);
  });

  it("says it was requested, then that it failed, never that it started", async () => {
    const { health, lines, service, ctx } = setup({ onStart: async () => { throw new Error("no workers"); }, onStop: async () => {} });
    await service.stop!({ reason: "" } as never, ctx("Stop"));
    lines.length = 0;
    await expect(service.start!({} as never, ctx("Start"))).rejects.toThrow(/no workers/);
    expect(health.status).toBe(ServiceStatus.STOPPED);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([["info", "engine start requested"], ["warn", "engine start failed"]]);
  });
});
