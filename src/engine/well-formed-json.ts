// A result's JSON as the API can carry it: a lone surrogate in a string or a key (a script's value
// may hold one) is U+FFFD, as binary protobuf writes it; proto3 JSON clients refuse the whole result
// otherwise. Checked on the text, so a result with none is parsed as before, walked once.
/// <reference lib="es2024.string" />

// JSON.stringify writes a lone surrogate as an escape and a pair as itself.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether the JSON text may hold a lone surrogate (a false alarm costs only a slower parse). */
export const mayHoldLoneSurrogates = (json: string): boolean => SURROGATE_ESCAPE.test(json) || !json.isWellFormed();

/** A JSON.parse reviver making every string and key well-formed. */
export function wellFormedJson(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.every((k) => k.isWellFormed())) return value;
  // fromEntries defines each key, so "__proto__" stays a key; keys that now coincide keep the last value.
  return Object.fromEntries(keys.map((k) => [k.toWellFormed(), (value as Record<string, unknown>)[k]]));
}
