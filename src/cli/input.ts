// Reading what the user gives: script files (or stdin) and durations.
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseDuration } from "../config/load.ts";
import { CliError } from "./exit.ts";

/** Parses "30s", "500ms", "2m"; a bare number is milliseconds. */
export function durationMs(text: string, flag: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : parseDuration(text);
  if (ms === undefined || ms <= 0) throw new CliError(`${flag} expects a duration such as 5s or 500ms, got ${JSON.stringify(text)}`);
  return ms;
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

