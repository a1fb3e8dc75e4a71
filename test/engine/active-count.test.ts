// The engine's count of executions running now (GetMetrics' active_connections, and the "stopped"
// line's executions_cut at the grace's end) counts the callers' executions, as executionsTotal does: a
// registered tool's run inside a script (notCounted) is its caller's call, not an execution of its own.
// Both read two for one script calling a tool.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Engine } from "../../src/engine/index.ts";
import { run, startEngine } from "./helpers.ts";
import { until } from "../helpers/until.ts";

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 2 }); }, 20_000);
afterAll(async () => { await engine?.close({ now: true }); }, 20_000);

it("a run the engine does not count (a registered tool's) is not an active execution", async () => {
  const spin = "const t = Date.now(); while (Date.now() - t < 3000); 1";
  const tool = run(engine, spin, { notCounted: true, limits: { wallTimeoutMs: 10_000 } as never });
  await until("the tool's run holds an isolate", () => engine.stats().busyIsolates === 1 || undefined);
  expect(engine.stats().active).toBe(0);
  const caller = run(engine, spin, { limits: { wallTimeoutMs: 10_000 } as never });
  await until("the caller's run holds the other", () => engine.stats().busyIsolates === 2 || undefined);
  expect(engine.stats().active).toBe(1);
  expect((await tool).success).toBe(true);
  expect((await caller).success).toBe(true);
  expect(engine.stats().active).toBe(0);
}, 30_000);
