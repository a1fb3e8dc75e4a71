// The compiled-schema cache is bounded by its schemas' text as well as by count: compiled code costs
// ~16 times its schema's text, so 500 schemas at the size bound held ~260 MB.
import { expect, it } from "vitest";
import { MAX_SCHEMA_CACHE, MAX_SCHEMA_CACHE_CHARS, SchemaValidator } from "../../src/tools/registry.ts";

const schema = (i: number, chars: number) => ({ type: "object", description: `${i}:`.padEnd(chars, "x"), properties: { [`a${i}`]: { type: "string" } } });

/** Whether schema 0 is still cached after `others` more schemas of `chars` characters were compiled. */
function keptAfter(others: number, chars: number): boolean {
  const v = new SchemaValidator();
  const first = v.compile(schema(0, chars));
  for (let i = 1; i <= others; i++) v.compile(schema(i, chars));
  return v.compile(schema(0, chars)) === first;
}

it("large schemas are let go once their text passes MAX_SCHEMA_CACHE_CHARS, long before MAX_SCHEMA_CACHE of them", () => {
  const others = Math.ceil(MAX_SCHEMA_CACHE_CHARS / 30_000);
  expect(others).toBeLessThan(MAX_SCHEMA_CACHE / 2);
  expect(keptAfter(others, 30_000)).toBe(false);
  expect(keptAfter(others, 200)).toBe(true); // as many small ones fit
});
