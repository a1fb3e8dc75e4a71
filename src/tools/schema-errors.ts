// One line per ajv error, as a calling script reads it: where, what, and the detail ajv keeps in
// `params` but leaves out of its message (which property is extra, which values were allowed).
import type { ErrorObject } from "ajv";

const MAX_DETAIL = 120;

/** JSON of `v`, clipped: the values come from the schema or the caller and may be long. */
function clip(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s;
}

function detail(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
      return ` (${clip(p.additionalProperty)})`;
    case "propertyNames":
      return ` (${clip(p.propertyName)})`;
    case "enum":
      return `: ${clip(p.allowedValues)}`;
    case "const":
      return `: ${clip(p.allowedValue)}`;
    default:
      return "";
  }
}

export function schemaErrorLine(e: ErrorObject): string {
  return `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}${detail(e)}`.trim();
}
