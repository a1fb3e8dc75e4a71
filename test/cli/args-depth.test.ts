// --args nested deeper than the server takes (32 levels in an argument) was reported as "not JSON:
// Maximum call stack size exceeded" at 5000 levels and as something "JSON cannot hold" at 33; both
// are valid JSON, refused now for what they are, before anything connects.
import { describe, expect, it } from "vitest";
import { cli } from "./helpers.ts";

const nested = (levels: number) => `{"a":${"[".repeat(levels)}${"]".repeat(levels)}}`;
const TOO_DEEP = 'scriptengine: --args "a" nests deeper than 32 levels of arrays and objects, the most the server takes\n';
// Nothing listens there: an accepted --args goes on to connect and fails with exit 3.
const run = (args: string, command = ["exec", "some-script"]) => cli(["--address", "127.0.0.1:1", ...command, "--args", args]);

describe("--args nesting", () => {
  it.each([33, 5000])("%i levels: exit 2 saying it nests too deep", async (levels) => {
    const r = await run(nested(levels));
    expect([r.code, r.stderr]).toEqual([2, TOO_DEEP]);
  });

  it("32 levels are taken; text that only looks deep is judged as JSON", async () => {
    expect((await run(nested(32))).code).toBe(3);
    expect((await run(`{"a":"${"[".repeat(100)}"}`)).code).toBe(3); // brackets in a string
    const broken = await run(`{"a":${"[".repeat(100)}`);
    expect([broken.code, broken.stderr]).toEqual([2, expect.stringMatching(/^scriptengine: --args is not JSON: /)]);
    const array = await run(`[${nested(40)}]`);
    expect([array.code, array.stderr]).toEqual([2, expect.stringMatching(/^scriptengine: --args must be a JSON object/)]);
  });
});
