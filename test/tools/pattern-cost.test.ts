// A schema `pattern` runs on RE2 (linear-regexp.ts), linear in the string but with the program's
// size as its constant, and one RE2 call cannot be interrupted: `\S{1000}\S{1000}$` against 256 KiB
// held the event loop for 19 s. Each test is bounded before it runs, from the program and the
// string's length (a worst case: a DFA building states at every character), and refused as "could not
// be checked" when that bound passes 8 budgets (2 s); what tests really take counts against the
// budget's clock. These assert the decisions, which do not depend on the clock, not timings.
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
    expect(out[0]).toMatch(/^\(root\) could not be checked: checking it against the schema could take longer than 2000 ms \(a string of 262145 characters against the pattern "\\\\S\{1000\}\\\\S\{1000\}\$" \(2003 RE2 instructions\)/);
    // A short string against the same pattern is checked.
    expect(v.errors(schemaOf("\\S{1000}\\S{1000}$"), { x: "a".repeat(500) })).toEqual(["/x must match pattern \"\\S{1000}\\S{1000}$\""]);
    expect(v.errors(schemaOf("\\S{2}\\S{1000}$"), { x: "a".repeat(1002) })).toEqual([]);
  });

  it("refuses it outside a validation too, per test", () => {
    const re = linearRegExp("\\S{1000}\\S{1000}\\S{1000}$", "u") as unknown as LinearPattern;
    expect(() => re.test("a".repeat(MiB))).toThrow(ValidationTooCostly);
    expect(re.test("a".repeat(300))).toBe(false);
  });

  it("checks realistic values whose worst-case bounds add up past the budget (their DFA states are built once)", () => {
    const v = new SchemaValidator();
    const hex = (n: number) => Array.from({ length: n }, (_, i) => (i * 2654435761 % 2 ** 32).toString(16).padStart(8, "0").repeat(5));
    const shas = { type: "object", properties: { s: { type: "array", items: { type: "string", pattern: "^[0-9a-f]{40}$" } } } };
    expect(v.errors(shas, { s: hex(1000) })).toEqual([]);
    expect(v.errors(shas, { s: [...hex(999), "x"] })).toEqual(['/s/999 must match pattern "^[0-9a-f]{40}$"']);
    const emails = { type: "object", properties: { to: { type: "array", items: { type: "string", pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$" } } } };
    expect(v.errors(emails, { to: Array.from({ length: 5000 }, (_, i) => `user${i}@example.com`) })).toEqual([]);
    expect(v.errors(schemaOf("^.{0,1000}$"), { x: "a".repeat(650) })).toEqual([]);
    const keys = { type: "object", patternProperties: { "^[a-z_][a-z0-9_]{0,63}$": { type: "integer" } }, additionalProperties: false };
    expect(v.errors(keys, Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key_${i}`, i])))).toEqual([]);
    const base64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";
    expect(v.errors(schemaOf(base64), { x: "QUJD".repeat(50_000) })).toEqual([]);
    expect(v.errors(schemaOf("\\.(png|jpe?g|gif|webp)$"), { x: "a".repeat(100_000) + ".png" })).toEqual([]);
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
