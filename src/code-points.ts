// Lengths in characters as the contract counts them: Unicode code points (an emoji is one, though
// two UTF-16 units), so a bound reads the same in every client language.
/// <reference lib="es2024.string" />

/**
 * Whether `s` has more than `max` characters, counted as code points: without spreading a huge
 * string, and stopping at max + 1.
 */
export function longerThan(s: string, max: number): boolean {
  if (s.length <= max) return false;
  if (s.length > 2 * max) return true;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point; a lone surrogate counts as one too (as [...s] does).
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    if (++n > max) return true;
  }
  return false;
}

/** The first `max` characters of `s` (code points): a cut never leaves half a surrogate pair. */
export function firstCodePoints(s: string, max: number): string {
  if (!longerThan(s, max)) return s;
  let i = 0;
  for (let n = 0; n < max; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return s.slice(0, i);
}

/**
 * `text` kept to `max` characters (code points), well-formed (a lone surrogate is U+FFFD, which
 * proto3 JSON clients accept), a cut saying how much went as events.proto's clip does:
 * "… [N more characters cut]".
 */
export function clipCodePoints(text: string, max: number): string {
  text = text.toWellFormed();
  const end = firstCodePoints(text, max).length;
  if (end === text.length) return text;
  let cut = 0;
  for (let i = end; i < text.length; i++, cut++) if ((text.charCodeAt(i) & 0xfc00) === 0xd800) i++;
  // A copy, not a slice: V8's slice of a long string keeps the whole original alive.
  const head = Buffer.from(text.slice(0, end), "utf16le").toString("utf16le");
  return `${head}… [${cut} more characters cut]`;
}
