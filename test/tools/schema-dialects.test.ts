// The schema checks of registered tools (SchemaValidator, used for input and output schemas and by
// migration's checks): `multipleOf` with a decimal divisor, and the dialect a schema's `$schema`
// names (draft-07 when none), which was dropped: a 2020-12 schema was checked as draft-07.
import { describe, expect, it } from "vitest";
import { SchemaValidator } from "../../src/tools/registry.ts";

const v = new SchemaValidator();
const D2020 = "https://json-schema.org/draft/2020-12/schema";
const D2019 = "https://json-schema.org/draft/2019-09/schema";

describe("multipleOf", () => {
  const price = { type: "object", properties: { amount: { type: "number", multipleOf: 0.01 } }, required: ["amount"] };

  it("a decimal divisor accepts the multiples that floating-point division misses, and refuses the rest", () => {
    // 19.99 / 0.01 is 1998.9999999999998.
    for (const amount of [19.99, 0.29, 0.07, 4.35, 4.18, 1234567.89, 0, -0.07, 100]) expect([amount, v.errors(price, { amount })]).toEqual([amount, []]);
    for (const amount of [0.015, 19.999, 0.001]) expect(v.errors(price, { amount })).toEqual(["/amount must be multiple of 0.01"]);
    expect(v.errors({ multipleOf: 0.1 }, 0.3)).toEqual([]);
    expect(v.errors({ multipleOf: 3 }, 9)).toEqual([]);
    expect(v.errors({ multipleOf: 3 }, 10)).toEqual(["(root) must be multiple of 3"]);
  });

  it("in strict mode too (migration's warnings), nothing more is said of it", () => {
    expect(v.strictWarnings(price)).toEqual([]);
  });
});

describe("$schema", () => {
  const pairs = {
    type: "object",
    properties: { pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }], items: false }, n: { type: "number" } },
    dependentRequired: { n: ["pair"] },
    unevaluatedProperties: false,
  };

  it("2020-12 is checked as 2020-12: prefixItems, items false, dependentRequired, unevaluatedProperties", () => {
    const s = { $schema: D2020, ...pairs };
    expect(v.errors(s, { pair: ["a", 1] })).toEqual([]);
    expect(v.errors(s, { pair: [1, "a"] })).toEqual(["/pair/0 must be string"]);
    expect(v.errors(s, { pair: ["a", 1, 2] })).toEqual(["/pair must NOT have more than 2 items"]);
    expect(v.errors(s, { n: 1 })).toEqual(["(root) must have property pair when property n is present"]);
    expect(v.errors(s, { pair: ["a", 1], extra: 1 })).toEqual(["(root) must NOT have unevaluated properties"]);
    // ... and its keywords are known: strict mode (migration's warnings) has nothing to say of them
    // (only, as ajv's strictTuples, of a tuple that does not say its length).
    expect(v.strictWarnings(s)).toEqual([expect.stringMatching(/"prefixItems" is 2-tuple, but minItems or maxItems\/items are not specified/)]);
    expect(v.strictWarnings({ ...s, properties: { ...s.properties, pair: { ...s.properties.pair, minItems: 2 } } })).toEqual([]);
    // "#" at its end, or http for https, name it too.
    expect(v.errors({ ...s, $schema: `${D2020}#` }, { extra: 1 })).toEqual(["(root) must NOT have unevaluated properties"]);
    expect(v.errors({ ...s, $schema: D2020.replace("https:", "http:") }, { extra: 1 })).toEqual(["(root) must NOT have unevaluated properties"]);
  });

  it("2019-09 is checked as 2019-09", () => {
    const s = { $schema: D2019, type: "object", properties: { a: { type: "number" } }, dependentRequired: { a: ["b"] }, unevaluatedProperties: false };
    expect(v.errors(s, { a: 1, b: 2 })).toEqual(["(root) must NOT have unevaluated properties"]);
    expect(v.errors(s, { a: 1 })).toEqual(["(root) must have property b when property a is present"]);
    expect(v.errors(s, {})).toEqual([]);
  });

  it("draft-07, named or not (or by the unversioned URI), is checked as draft-07, as ever", () => {
    for (const $schema of [undefined, "http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema", "http://json-schema.org/schema#"]) {
      const s = { ...($schema && { $schema }), type: "object", items: [{ type: "string" }], additionalProperties: false, properties: { a: { type: "array", items: [{ type: "string" }] } } };
      expect(v.errors(s, { a: ["x", 1] })).toEqual([]);
      expect(v.errors(s, { a: [1] })).toEqual(["/a/0 must be string"]);
      expect(v.errors(s, { b: 1 })).toEqual(['(root) must NOT have additional properties ("b")']);
    }
  });

  it("a dialect it does not check is refused, naming those it does", () => {
    for (const $schema of ["http://json-schema.org/draft-03/schema#", "https://json-schema.org/draft/2021-01/schema", "urn:mine", 7]) {
      const s = { $schema, type: "object" };
      expect(() => v.compile(s)).toThrow(/^\$schema .* is not a JSON Schema dialect this server checks: it checks draft-04 .*draft-06 .*draft-07 .*2019-09 .*2020-12/);
      expect(v.strictWarnings(s)[0]).toMatch(/is not a JSON Schema dialect this server checks/);
    }
  });

  it("draft-04 and draft-06, which legacy tools often declare, are checked as such", () => {
    // draft-04: exclusiveMaximum is a boolean beside maximum, and `id` names the schema.
    const d4 = { $schema: "http://json-schema.org/draft-04/schema#", id: "urn:example:d4", type: "object", properties: { n: { type: "number", maximum: 10, exclusiveMaximum: true } } };
    expect(v.errors(d4, { n: 10 })).toEqual(["/n must be < 10"]);
    expect(v.errors(d4, { n: 9.5 })).toEqual([]);
    expect(() => v.compile({ $schema: "http://json-schema.org/draft-04/schema#", properties: { n: { exclusiveMaximum: 10 } } })).toThrow(/schema is invalid/);
    // draft-06: exclusiveMaximum is a number; const is known.
    const d6 = { $schema: "http://json-schema.org/draft-06/schema#", type: "object", properties: { n: { exclusiveMaximum: 10 }, c: { const: 1 } } };
    expect(v.errors(d6, { n: 10 })).toEqual(["/n must be < 10"]);
    expect(v.errors(d6, { c: 2 })).toEqual(["/c must be equal to constant: 1"]);
    expect(v.errors(d6, { n: 9, c: 1 })).toEqual([]);
    expect(() => v.compile({ $schema: "http://json-schema.org/draft-06/schema#", type: 5 })).toThrow(/schema is invalid/);
  });

  it("a schema invalid in its dialect is refused as one", () => {
    // Valid draft-07 (items as an array), not 2020-12, where items is a single schema.
    expect(() => v.compile({ $schema: D2020, type: "array", items: [{ type: "string" }] })).toThrow(/schema is invalid/);
  });

  it("a 2020-12 validator keeps the time budget (its generated functions take dynamic anchors)", () => {
    // A recursive oneOf whose branches share the recursive property: exponential, stopped by the budget.
    const s = {
      $schema: D2020,
      $defs: { link: { oneOf: [
        { type: "object", properties: { next: { $ref: "#/$defs/link" }, kind: { const: "a" } } },
        { type: "object", properties: { next: { $ref: "#/$defs/link" }, kind: { const: "b" } } },
      ] } },
      $ref: "#/$defs/link",
    };
    let n: object = { kind: "a" };
    for (let i = 0; i < 26; i++) n = { kind: "a", next: n };
    expect(new SchemaValidator(50).errors(s, n)).toEqual([expect.stringMatching(/could not be checked: checking it against the schema took longer than 50 ms/)]);
  });
});
