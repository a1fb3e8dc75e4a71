// --profile FILE: checked before the script runs (a run whose profile cannot be saved would be
// wasted, its side effects done), written after the result is shown (a write that still fails
// must not hide the script's output).
import { accessSync, constants, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CliError, EXIT } from "./exit.ts";

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Throws a usage error unless FILE can be created or overwritten. */
export function checkProfilePath(file: string): void {
  if (file === "") throw new CliError("--profile needs a file name");
  let exists = true;
  try {
    if (statSync(file).isDirectory()) throw new CliError(`cannot write --profile ${file}: it is a directory`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new CliError(`cannot write --profile ${file}: ${codeOf(e)}`);
    exists = false;
  }
  try {
    accessSync(exists ? file : dirname(resolve(file)), constants.W_OK);
  } catch (e) {
    throw new CliError(`cannot write --profile ${file}: ${codeOf(e)}${exists ? "" : " (its directory)"}`);
  }
}

/** Writes the profile; on failure, the line to print and the exit code (the script has run). */
export function saveProfile(file: string, profile: string | undefined): { line: string; exitCode: number } | undefined {
  if (!profile) return { line: "the server returned no CPU profile", exitCode: EXIT.INTERNAL };
  try {
    writeFileSync(file, profile);
    return undefined;
  } catch (e) {
    return { line: `the script ran, but its CPU profile could not be written to ${file}: ${codeOf(e)}`, exitCode: EXIT.USAGE };
  }
}
