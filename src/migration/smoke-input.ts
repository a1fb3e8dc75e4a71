// The smoke run's input when the caller gave none: the first generated candidate (sample.ts) the
// schema validator accepts, the same check a call's arguments get.
import type { JsonObject } from "../engine/index.ts";
import type { SchemaValidator } from "../tools/registry.ts";
import { sampleCandidates } from "./sample.ts";

export type GeneratedInput = { ok: true; args: JsonObject } | { ok: false; why: string };

export function generatedInput(schemas: SchemaValidator, inputSchema: Record<string, unknown> | null): GeneratedInput {
  if (!inputSchema) return { ok: true, args: {} };
  const { candidates, why: none } = sampleCandidates(inputSchema);
  let why = none ?? "";
  for (const candidate of candidates) {
    const errs = schemas.errors(inputSchema, candidate);
    if (!errs.length) {
      // A tool takes an object; a schema of another type gets {} (input_schema_valid warns of it).
      const args = candidate !== null && typeof candidate === "object" && !Array.isArray(candidate) ? candidate : {};
      return { ok: true, args };
    }
    why ||= errs.join("; ");
  }
  return { ok: false, why };
}
