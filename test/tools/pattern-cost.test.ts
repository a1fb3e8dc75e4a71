// A schema `pattern` runs on RE2 (linear-regexp.ts), linear in the string but with the program's
// size as its constant, and one RE2 call cannot be interrupted: `\S{1000}\S{1000}$` against 256 KiB
// held the event loop for 19 s. Each test is bounded before it runs, from the program and the
// string's length, and refused as "could not be checked" past the validation's budget. These
// assert the decisions, which do not depend on the clock, not timings.
import { describe, expect, it } from "vitest";
import { LinearPattern, linearRegExp } from "../../src/tools/linear-regexp.ts";
import { SchemaValidator } from "../../src/tools/registry.ts";
import { ValidationTooCostly } from "../../src/tools/validation-budget.ts";

const schemaOf = (pattern: string) => ({ type: "object", properties: { x: { type: "string", pattern } } });
const MiB = 1 << 20;

describe("schema patterns are tested within the validation budget", () => {
  it("refuses, without running it, a test whose program is too large for the string's length", () => {
    const v = new SchemaValidator();
    const out = v.errors(schemaOf("\\S{1000}\\S{1000}$"), { x: "a".repeat(2 ** 18) + "\n" });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\(root\) could not be checked: checking it against the schema would take longer than 250 ms \(a string of 262145 characters against the pattern "\\\\S\{1000\}\\\\S\{1000\}\$" \(2003 RE2 instructions\)/);
    // A short string against the same pattern is checked.
    expect(v.errors(schemaOf("\\S{1000}\\S{1000}$"), { x: "a".repeat(500) })).toEqual(["/x must match pattern \"\\S{1000}\\S{1000}$\""]);
    expect(v.errors(schemaOf("\\S{2}\\S{1000}$"), { x: "a".repeat(1002) })).toEqual([]);
  });

  it("refuses it outside a validation too, per test", () => {
    const re = linearRegExp("\\S{1000}\\S{1000}\\S{1000}$", "u") as unknown as LinearPattern;
    expect(() => re.test("a".repeat(MiB))).toThrow(ValidationTooCostly);
    expect(re.test("a".repeat(300))).toBe(false);
  });

  it("counts every pattern test of one validation against its budget", () => {
    const v = new SchemaValidator();
    const each = { type: "string", pattern: "\\S{100}$" };
    const x = "a".repeat(8192);
    const re = linearRegExp("\\S{100}$", "u") as unknown as LinearPattern;
    expect(re.cost(x.length)).toBeLessThan(250e6);
    expect(re.cost(x.length) * 2).toBeGreaterThan(250e6);
    expect(v.errors({ type: "object", properties: { a: each } }, { a: x })).toEqual([]);
    const out = v.errors({ type: "object", properties: { a: each, b: each } }, { a: x, b: x });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\(root\) could not be checked: checking it against the schema would take longer than 250 ms/);
  });

  it("checks common patterns against 1 MiB strings", () => {
    const v = new SchemaValidator();
    const cases: [string, string, boolean][] = [
      ["^[a-z0-9-]+$", "a".repeat(MiB), true],
      ["^[a-z0-9-]+$", "a".repeat(MiB) + "_", false],
      ["^\\S+$", "a".repeat(MiB), true],
      ["^\\S+$", "a".repeat(MiB) + "\u3000", false],
      ["^\\w+$", "a".repeat(MiB), true],
      ["^.*$", "a".repeat(MiB) + "\n", false],
      ["^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "a".repeat(MiB) + "@b.c", true],
      ["^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "a".repeat(MiB), false],
      ["^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "0".repeat(MiB), false],
      ["^\\d{4}-\\d{2}-\\d{2}$", "2024-01-01" + "1".repeat(MiB), false],
      ["^\\d{4}-\\d{2}-\\d{2}", "2024-01-01" + "1".repeat(MiB), true],
      ["\\S", " ".repeat(MiB) + "a", true],
      ["[0-9]", "a".repeat(MiB), false],
    ];
    for (const [pattern, x, ok] of cases) {
      expect([pattern, v.errors(schemaOf(pattern), { x })]).toEqual([pattern, ok ? [] : [`/x must match pattern "${pattern}"`]]);
    }
  });
});

describe("the patterns of one schema", () => {
  it("each check a property against its own pattern (ajv keys them by toString)", () => {
    const v = new SchemaValidator();
    const schema = { type: "object", properties: { s: { type: "string", pattern: "^a+$" }, e: { type: "string", pattern: "^\\u00e9+$" } } };
    expect(v.errors(schema, { s: "aaaa", e: "\u00e9\u00e9" })).toEqual([]);
    expect(v.errors(schema, { s: "aaaa", e: "aa" })).toEqual(["/e must match pattern \"^\\u00e9+$\""]);
  });
});
