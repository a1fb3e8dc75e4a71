// A registered tool that throws: its caller's error says where in the tool's source it was thrown (as
// a migration's smoke run does), and is placed on the caller's own line, the ctx.tools.x(...) call.
// It said only `tool "boom" failed: Error: boom`, with no line or column of either.
import { expect, it } from "vitest";
import { migratedTools } from "../migration/helpers.ts";

const head = (name: string) => `export const name = "${name}";\nexport const description = "d";\nexport const version = "1.0.0";\n`;
const tools = migratedTools({
  boom: `${head("boom")}function helper() {\n  throw new Error("boom");\n}\nexport async function call(args) { return helper(); }\n`,
  plain: `${head("plain")}export async function call(args) { throw "not an Error"; }\n`,
});

it("says the tool's line and column, and is placed on the caller's", async () => {
  const r = await tools.c.scripts.runScript({
    source: "export default async (a, ctx) => {\n  await ctx.tools.plain().catch(() => {});\n  await ctx.tools.boom({});\n};",
    context: { availableTools: ["boom", "plain"] },
    compilation: { name: "caller.js" },
  });
  const e = r.result?.error;
  expect(e?.message).toBe('tool "boom" failed: Error: boom (line 5, column 9)');
  expect([e?.line, e?.column, e?.stack]).toEqual([3, 19, 'ToolError: tool "boom" failed: Error: boom (line 5, column 9)\n    at default (caller.js:3:19)']);
});

it("says no position when nothing in the tool's source threw", async () => {
  const r = await tools.c.scripts.runScript({ source: "export default (a, ctx) => ctx.tools.plain()", context: { availableTools: ["plain"] } });
  expect(r.result?.error?.message).toMatch(/^tool "plain" failed: not an Error$/);
});
