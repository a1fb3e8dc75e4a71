// The cache of tool modules (each call of a tool builds its module from the source) is capped at
// 4 Mi characters, but counted only its sources: each entry also holds the module (the source plus
// ~1,100 characters of exports and footer), so 4 Mi characters of 20-character sources held 164 MB.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { expect, it } from "vitest";
import { toolModuleSource } from "../../src/tools/registry-source.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

it("what the tool-module cache holds is bounded by its cap, small sources or not", () => {
  gc();
  const before = process.memoryUsage().heapUsed;
  let last = "";
  // 100,000 distinct 24-character sources: 2.4 M characters of sources, ~115 M of modules.
  for (let i = 0; i < 100_000; i++) {
    const head = `export default()=>${i}`;
    last = head.padEnd(24);
    toolModuleSource(last);
  }
  gc();
  const grownMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  // 4 Mi characters (one byte each here), and what entries and the Map cost beyond: well under 16 MB.
  expect(grownMb).toBeLessThan(16);
  // What it gives is still the module.
  expect(toolModuleSource(last)).toMatch(/^.*\(\)=>99999 *\n;function __tool_exports\(\)/);
}, 60_000);
