// Lengths in characters as the contract counts them: Unicode code points (an emoji is one, though
// two UTF-16 units), so a bound reads the same in every client language.

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
