// Reading what the user gives: script files (or stdin) and durations.
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { MAX_TIMER_MS, maxDurationText, parseDuration } from "../config/load.ts";
import { CliError } from "./exit.ts";

/** The longest timer Node keeps: a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
export { MAX_TIMER_MS };

/** Parses "30s", "500ms", "2m"; a bare number is milliseconds. At most `maxMs`. */
export function durationMs(text: string, flag: string, maxMs: number = MAX_TIMER_MS): number {
  const ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined) throw new CliError(`${flag} expects a duration such as 5s or 500ms, got ${JSON.stringify(text)}`);
  // "0s" is a duration, just not one a deadline or an interval can be.
  if (ms <= 0) {
    // Durations are whole milliseconds: "0.4ms" rounds to none, though it is no zero.
    if (/[1-9]/.test(text)) throw new CliError(`${flag} must be at least 1ms (durations are whole milliseconds), got ${JSON.stringify(text)}`);
    throw new CliError(`${flag} must be a positive duration such as 5s or 500ms, got ${JSON.stringify(text)}`);
  }
  if (!(ms <= maxMs)) throw new CliError(`${flag} must be at most ${maxDurationText(maxMs)}, got ${JSON.stringify(text)}`);
  return ms;
}

/** A whole number in 0..max given as text (proto uint32/uint64 flags); bigint keeps uint64 exact. */
export function unsignedArg(text: string, flag: string, max: bigint): bigint {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} expects a whole number, got ${JSON.stringify(text)}`);
  const v = BigInt(text);
  if (v > max) throw new CliError(`${flag} must be at most ${max}, got ${text}`);
  return v;
}

/** Where the first byte that does not start or continue a valid UTF-8 sequence is, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (more === 0) return i;
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (i + 1 >= b.length || b[i + 1]! < lo || b[i + 1]! > hi) return i;
    for (let k = 2; k <= more; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return -1;
}

export function readSource(file: string): { source: string; name: string; typescript: boolean } {
  let bytes: Buffer;
  try {
    bytes = file === "-" ? readFileSync(0) : readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Decoding would put U+FFFD for bytes that are not UTF-8 (a Latin-1 "é"): the script run or
  // stored would differ from the file, silently. A BOM is valid UTF-8 and kept.
  const at = firstInvalidUtf8(bytes);
  if (at >= 0) {
    const line = bytes.subarray(0, at).filter((c) => c === 0x0a).length + 1;
    throw new CliError(`${file === "-" ? "stdin" : file} is not valid UTF-8: byte 0x${bytes[at]!.toString(16).padStart(2, "0")} at offset ${at} (line ${line})`);
  }
  const ext = extname(file).toLowerCase();
  return { source: bytes.toString("utf8"), name: file === "-" ? "stdin.js" : basename(file), typescript: ext === ".ts" || ext === ".mts" || ext === ".cts" };
}

/** A number literal's value in one spelling (sign, significant digits, exponent): "1.50e2" → "15e2". */
function canonical(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return literal;
  const all = m[2]! + (m[3] ?? "");
  const lead = all.search(/[1-9]/);
  if (lead < 0) return "0";
  return `${m[1]}${all.slice(lead).replace(/0+$/, "")}e${Number(m[4] ?? 0) + m[2]!.length - lead - 1}`;
}

/**
 * A JSON.parse reviver that refuses number literals a JSON number (a double) would round past
 * ±(2^53 - 1): 12345678901234567890 became 12345678901234567000, silently (an id or a uint64 from
 * elsewhere), and so did 12345678901234567890.0 and 1.2345678901234567891e19. Integer literals must
 * be safe integers; other spellings (1e20) pass when the double holds every digit written. (A literal
 * past a double's range, 1e400, is Infinity, which the SDK refuses when it converts the arguments.)
 */
export function exactIntegers(flag: string) {
  return function (this: unknown, key: string, value: unknown, context?: { source?: string }): unknown {
    const source = context?.source;
    if (typeof value !== "number" || source === undefined || !Number.isFinite(value)) return value;
    const where = Array.isArray(this) ? `[${key}]` : JSON.stringify(key);
    if (/^-?\d+$/.test(source) ? !Number.isSafeInteger(value) : Math.abs(value) > Number.MAX_SAFE_INTEGER && canonical(source) !== canonical(String(value))) {
      throw new CliError(`${flag} ${where}: ${source} is beyond ±(2^53 - 1), where a JSON number does not hold integers exactly; pass it as a string ("${source}")`);
    }
    return value;
  };
}
