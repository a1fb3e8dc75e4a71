// Reading what the user gives: script files (or stdin) and durations.
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { MAX_TIMER_MS, parseDuration } from "../config/load.ts";
import { CliError } from "./exit.ts";

/** The longest timer Node keeps: a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
export { MAX_TIMER_MS };

/** Parses "30s", "500ms", "2m"; a bare number is milliseconds. At most `maxMs`. */
export function durationMs(text: string, flag: string, maxMs: number = MAX_TIMER_MS): number {
  const ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined || ms <= 0) throw new CliError(`${flag} expects a duration such as 5s or 500ms, got ${JSON.stringify(text)}`);
  if (!(ms <= maxMs)) throw new CliError(`${flag} must be at most ${maxMs} ms (about ${Math.floor(maxMs / 86_400_000)} days), got ${JSON.stringify(text)}`);
  return ms;
}

/** A whole number in 0..max given as text (proto uint32/uint64 flags); bigint keeps uint64 exact. */
export function unsignedArg(text: string, flag: string, max: bigint): bigint {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} expects a whole number, got ${JSON.stringify(text)}`);
  const v = BigInt(text);
  if (v > max) throw new CliError(`${flag} must be at most ${max}, got ${text}`);
  return v;
}

export function readSource(file: string): { source: string; name: string; typescript: boolean } {
  let source: string;
  try {
    source = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const ext = extname(file).toLowerCase();
  return { source, name: file === "-" ? "stdin.js" : basename(file), typescript: ext === ".ts" || ext === ".mts" || ext === ".cts" };
}

