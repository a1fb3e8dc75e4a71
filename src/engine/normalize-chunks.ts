/**
 * Where the prelude may cut a long string for String.prototype.normalize.
 *
 * V8 loses a termination request that arrives while ICU normalises a long string (from ~64 Ki code
 * units): a loop of normalize() ran past its CPU limit to the wall limit, where disposing the isolate
 * crashed the worker. The prelude hands ICU pieces of at most NORMALIZE_MAX_RUN code units instead,
 * so the script's own loop checks for termination between them.
 *
 * A piece may end only before a code unit listed here. Each is (or, a high surrogate, starts) a code
 * point whose canonical and compatibility decompositions begin with a character of combining class 0
 * that is the second half of no canonical composition. Nothing after it reorders or composes with
 * what came before it, so every form normalises the pieces to exactly what it makes of the whole.
 * test/engine/normalize-guard.test.ts checks that against the ICU in use, code point by code point.
 */

/** Inclusive UTF-16 code unit ranges, flat: [lo, hi, lo, hi, ...]. */
export const NORMALIZE_BREAKS: readonly number[] = [
  0x0000, 0x02ff, // ASCII, Latin-1, Latin Extended-A/B, IPA, spacing modifier letters
  0x0391, 0x03a9, 0x03b1, 0x03c9, // basic Greek letters
  0x0410, 0x044f, // basic Cyrillic letters
  0x05d0, 0x05ea, // Hebrew letters
  0x0621, 0x064a, // Arabic letters
  0x0905, 0x0939, // Devanagari vowels and consonants
  0x0e01, 0x0e30, // Thai consonants and leading vowels
  0x2000, 0x206f, // general punctuation (spaces, dashes, quotes)
  0x3000, 0x3003, // ideographic space, comma, full stop
  0x3041, 0x3096, 0x30a1, 0x30fa, // kana
  0x3400, 0x4dbf, 0x4e00, 0x9fff, // CJK ideographs
  0xac00, 0xd7a3, // Hangul syllables
  0xd83c, 0xd83e, // high surrogates of U+1F000..U+1FBFF (emoji); alone, a starter too
  0xff01, 0xff5e, // fullwidth ASCII
];

/** Strings up to this long go to the builtin whole (measured: termination still lands on time). */
export const NORMALIZE_MAX_RUN = 8192;
/** A longer string is cut at the first break from this many code units into each piece. */
export const NORMALIZE_PIECE = 4096;
