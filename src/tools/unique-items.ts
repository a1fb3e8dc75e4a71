// JSON Schema `uniqueItems` in time linear in the array. ajv compares every pair of items with a
// deep equality: 20 000 small arrays as a tool argument held the server's event loop for 6 s.
// Items are equal when their JSON is, object keys in any order (JSON Schema's equality), so each
// item's canonical JSON goes into a Set.
import type { Ajv, SchemaValidateFunction } from "ajv";
import { canonicalJson } from "./canonical-json.ts";

/** Replaces ajv's `uniqueItems` with the linear one. */
export function useLinearUniqueItems(ajv: Ajv): void {
  ajv.removeKeyword("uniqueItems");
  const validate: SchemaValidateFunction = (schema: unknown, data: unknown) => {
    validate.errors = undefined;
    if (schema !== true || !Array.isArray(data)) return true;
    const seen = new Map<string, number>();
    for (let j = 0; j < data.length; j++) {
      const key = canonicalJson(data[j]);
      const i = seen.get(key);
      if (i !== undefined) {
        validate.errors = [{ keyword: "uniqueItems", message: `must NOT have duplicate items (items ${i} and ${j} are identical)`, params: { i, j } }];
        return false;
      }
      seen.set(key, j);
    }
    return true;
  };
  ajv.addKeyword({ keyword: "uniqueItems", type: "array", schemaType: "boolean", errors: true, validate });
}
