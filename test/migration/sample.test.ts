// The smoke run's generated input (migration/sample.ts) is built on the server's event loop, so a
// schema asking for a huge input gets none, quickly and in little memory, and says why: a
// minLength of 1e7 once took the server down with "heap out of memory", nested arrays or
// thousands of distinct numbers held the loop for seconds.
import { describe, expect, it } from "vitest";
import { sampleCandidates } from "../../src/migration/sample.ts";
import { patternSample } from "../../src/migration/sample-pattern.ts";

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  return [fn(), performance.now() - t0];
};

describe("generated smoke input", () => {
  it.each([
    ["a minLength of 1e7", { type: "string", minLength: 1e7 }, "minLength 10000000 is more than a generated input has (4096)"],
    ["a minLength of 1e7 with a pattern", { type: "string", pattern: "^a*$", minLength: 1e8 }, "minLength 100000000 is more than a generated input has (4096)"],
    ["a minItems of 1e9", { type: "array", minItems: 1e9 }, "minItems 1000000000 is more than a generated input has (4096)"],
    ["a minProperties of 1e9", { type: "object", minProperties: 1e9 }, "minProperties 1000000000 is more than a generated input has (4096)"],
    ["arrays of arrays", { type: "array", minItems: 4096, items: { type: "array", minItems: 4096 } }, "the schema asks for an input of more than 65536 characters, items and properties in all"],
    [
      "thousands of distinct numbers, many times",
      { type: "array", minItems: 16, items: { type: "array", minItems: 4000, uniqueItems: true, items: { type: "integer" } } },
      "the schema asks for more distinct numbers than a generated input looks for",
    ],
  ])("%s: no input, and why", (_name, schema, why) => {
    const [r, ms] = timed(() => sampleCandidates({ type: "object", properties: { v: schema }, required: ["v"] }));
    expect(r).toEqual({ candidates: [], why });
    expect(ms).toBeLessThan(2000);
  });

  it("still builds what fits: a 4096-character string, distinct items, a pattern", () => {
    const { candidates } = sampleCandidates({
      type: "object",
      properties: {
        long: { type: "string", minLength: 4096 },
        distinct: { type: "array", minItems: 40, uniqueItems: true, items: { type: "string", minLength: 3 } },
        zip: { type: "string", pattern: "^[0-9]{5}$" },
        narrow: { type: "array", minItems: 4, uniqueItems: true, items: { type: "integer", minimum: 0, maximum: 3 } },
      },
      required: ["long", "distinct", "zip", "narrow"],
    });
    const v = candidates[0] as { long: string; distinct: string[]; zip: string; narrow: number[] };
    expect(v.long).toHaveLength(4096);
    expect(v.long.startsWith("samplex")).toBe(true);
    expect(new Set(v.distinct).size).toBe(40);
    expect(v.zip).toMatch(/^[0-9]{5}$/);
    expect([...v.narrow].sort()).toEqual([0, 1, 2, 3]);
  });

  it("a pattern's unbounded repetition stops once the output is full", () => {
    const [slots, ms] = timed(() => patternSample("^(a|b)*c*$", 4000, Infinity));
    expect(slots).toHaveLength(4000);
    expect(ms).toBeLessThan(1000);
  });
});
