// encodedValueSize must agree with protobuf-es to the byte: the return-value cap is enforced at its edge with it.
import { describe, expect, it } from "vitest";
import { fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { encodedValueSize } from "../../src/engine/value-size.ts";

const actual = (v: JsonValue) => toBinary(ValueSchema, fromJson(ValueSchema, v)).length;

/** A deterministic pseudo-random JSON value. */
function sample(seed: number, depth = 0): JsonValue {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const make = (d: number): JsonValue => {
    const r = next();
    if (d > 4 || r < 0.15) return null;
    if (r < 0.3) return next() < 0.5;
    if (r < 0.5) return next() * 1e6 - 5e5;
    if (r < 0.7) return "é€😀ab".repeat(Math.floor(next() * 60));
    if (r < 0.85) return Array.from({ length: Math.floor(next() * 20) }, () => make(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 12) }, (_, i) => [`k${i}${"x".repeat(Math.floor(next() * 200))}`, make(d + 1)]));
  };
  return make(depth);
}

describe("encodedValueSize", () => {
  it("matches protobuf-es for scalars, empty and nested containers, long strings and keys", () => {
    const cases: JsonValue[] = [null, true, false, 0, -1.5, "", "a", "é", "x".repeat(127), "x".repeat(128), "x".repeat(20000), [], {}, [[]], { a: {} }, [1, "2", null, { b: [true] }], { ["k".repeat(300)]: "v".repeat(70000) }];
    for (const v of cases) expect(encodedValueSize(v), JSON.stringify(v).slice(0, 40)).toBe(actual(v));
  });

  it("matches protobuf-es for 300 random values", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const v = sample(seed);
      expect(encodedValueSize(v)).toBe(actual(v));
    }
  });
});
