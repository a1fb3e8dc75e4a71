/**
 * How deep a JSON value may nest to cross the API as a google.protobuf.Value. Protobuf decoders
 * stop at 100 nested messages (protobuf-es, Python's upb) and each level of a Value costs two (the
 * Value and its ListValue or Struct): a result nested ~50 deep fails in the client as an undecodable
 * response, and deeper ones failed in the server. 32 leaves room for the messages around it.
 */
export const MAX_VALUE_DEPTH = 32;

/** Whether JSON text nests arrays and objects deeper than `max` (strings are skipped; one pass). */
export function jsonTextNestsDeeper(text: string, max: number): boolean {
  if (text.length <= 2 * max) return false; // too short to open max + 1 levels
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) return true; }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Whether a parsed JSON value nests deeper than `max` (stops as soon as it does). */
export function valueNestsDeeper(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max <= 0) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (valueNestsDeeper(v, max - 1)) return true;
  return false;
}
