// Cuts text to a byte budget measured as JSON: a tool's result reaches the script as JSON, capped
// by its UTF-8 size (max_tool_payload_bytes, engine/pool.ts handleTool), and JSON can be 6 times
// the text (a control character is written \u0000) or 3 times the bytes it was decoded from (an
// invalid byte decodes to U+FFFD). Size a result by its envelope first, the text left empty:
//   budget = cap - Buffer.byteLength(JSON.stringify({ ...rest, text: "" }))
// then put fitJsonText(text, budget).text in it (fitTextResult does both).
import { ToolError } from "./tool-error.ts";

/** UTF-8 bytes JSON.stringify writes for the code unit `c`, not a surrogate, inside a string. */
function escapedBytes(c: number): number {
  if (c >= 0x800) return 3;
  if (c >= 0x80) return 2;
  if (c === 0x22 || c === 0x5c) return 2; // \" and \\
  if (c >= 0x20) return 1;
  return c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6; // \n and the like, else \u00XX
}

/**
 * The longest prefix of `text` whose JSON string, quotes left out, takes at most `maxBytes` bytes
 * of UTF-8, cut between code points; `truncated` when that is shorter than `text`. One pass.
 */
export function fitJsonText(text: string, maxBytes: number): { text: string; bytes: number; truncated: boolean } {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is one code point, 4 bytes, kept whole or left out; a lone half is \udXXX.
    const pair = (c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const n = pair ? 4 : (c & 0xf800) === 0xd800 ? 6 : escapedBytes(c);
    if (bytes + n > maxBytes) return { text: text.slice(0, i), bytes, truncated: true };
    bytes += n;
    if (pair) i++;
  }
  return { text, bytes, truncated: false };
}

/**
 * `head` with `text` under `field` and a `truncated` flag, as much of the text as lets the whole
 * fit `cap` bytes of JSON; `what` names the tool in the error when `head` alone does not fit.
 */
export function fitTextResult<H extends Record<string, unknown>>(what: string, head: H, field: string, text: string, truncated: boolean, cap: number): H & Record<string, unknown> {
  // Sized with truncated: false, the longer of its two values.
  const envelope = Buffer.byteLength(JSON.stringify({ ...head, [field]: "", truncated: false }));
  if (envelope > cap) throw new ToolError(`${what}: the result's fields alone exceed ${cap} bytes`);
  const fit = fitJsonText(text, cap - envelope);
  return { ...head, [field]: fit.text, truncated: truncated || fit.truncated };
}
