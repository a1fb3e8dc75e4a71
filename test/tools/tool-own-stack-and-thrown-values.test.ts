// A registered tool's own stack ends in its own source: the engine's footer (past the source's lines,
// __tool_main) called it and showed as `at __tool_main (t.js:36:18)` below the tool's frames. And a tool
// that throws a value that is not an Error reaches its caller as that value, as a script's own throw
// does (it read `tool "t" failed: Uncaught: {"code":42}`).
import { expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { migratedTools } from "../migration/helpers.ts";

const head = (name: string) => `export const name = "${name}";\nexport const description = "d";\nexport const version = "1.0.0";\n`;
// Stacks made before and after an await, in a named-export call and in a default-exported object's.
const tools = migratedTools({
  t_stack: `${head("t_stack")}export async function call(args) {\n  const before = new Error("x").stack;\n  await null;\n  return { before, after: new Error("y").stack, count: arguments.length };\n}\n`,
  t_obj: `export default { name: "t_obj", description: "d", version: "1.0.0", call(args) {\n  return { stack: new Error("z").stack, self: typeof this.call };\n} };\n`,
  t_code: `${head("t_code")}export async function call(args) { throw { code: 42 }; }\n`,
});

it("a tool's own stack shows only the tool's frames", async () => {
  const r = await tools.c.scripts.runScript({
    source: "export default async (a, ctx) => [await ctx.tools.t_stack({}), await ctx.tools.t_obj({})];",
    context: { availableTools: ["t_stack", "t_obj"] },
  });
  const v = toJson(ExecutionResultSchema, r.result!) as { returnValue?: unknown; error?: unknown };
  expect(v.error).toBeUndefined();
  const [s, o] = v.returnValue as [{ before: string; after: string; count: number }, { stack: string; self: string }];
  expect(s.before).toBe("Error: x\n    at Object.call (t_stack.js:5:18)");
  expect(s.after).toBe("Error: y\n    at Object.call (t_stack.js:7:27)");
  expect(o.stack).toBe("Error: z\n    at Object.call (t_obj.js:2:19)");
  // Called as before: with its two arguments, and `this` its own object.
  expect([s.count, o.self]).toEqual([2, "function"]);
});

it("a thrown value that is not an Error reads as a script's own throw of it", async () => {
  const own = await tools.c.scripts.runScript({ source: "export default () => { throw { code: 42 }; }" });
  expect(own.result?.error?.message).toBe('{"code":42}');
  const r = await tools.c.scripts.runScript({ source: "export default (a, ctx) => ctx.tools.t_code({})", context: { availableTools: ["t_code"] } });
  expect(r.result?.error?.message).toBe('tool "t_code" failed: {"code":42}');
});
