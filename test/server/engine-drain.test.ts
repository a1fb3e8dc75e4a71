// What Stop and shutdown need from the engine: once refuseQueued() is called, an execution that
// arrives later (a call already past the API's check) is refused too, except a tool run of a
// running execution; idle() says when nothing runs any more.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Engine } from "../../src/engine/index.ts";
import { run, safeLimits, startEngine } from "../engine/helpers.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ workers: 1 });
});
afterAll(async () => {
  await engine.close();
});

it("refuses executions that arrive after refuseQueued, lets a running one's tool runs through, then is idle", async () => {
  const running = run(engine, "export default async (a, ctx) => await ctx.tools.t({})", {
    limits: { tools: ["t"] } as never,
    onToolCall: async (_name, _args, info) => {
      engine.refuseQueued();
      const later = await run(engine, "2").then(
        () => "ran",
        (e: { reason?: string }) => e.reason,
      );
      const tool = await engine.execute({ source: "40 + 2", parentExecutionId: info.executionId, limits: safeLimits });
      return { later, tool: tool.returnValue };
    },
  });
  expect(await engine.idle(10)).toBe(false);
  expect((await running).returnValue).toEqual({ later: "ENGINE_STOPPED", tool: 42 });
  expect(await engine.idle(1000)).toBe(true);
  // Closed and started again, it takes work.
  await engine.close();
  await engine.start();
  expect((await run(engine, "6 * 7")).returnValue).toBe(42);
});
