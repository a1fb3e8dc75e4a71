// A run stopped by a limit returns no result, only an error; the server sends the end of what the
// script printed with it (an ExecutionOutput detail), and it is shown after the error line: what
// the script printed last is what tells why it timed out.
import { ConnectError } from "@connectrpc/connect";
import { ScriptEngineError, toScriptEngineError } from "../../clients/ts/src/index.ts";
import { count, printableLines } from "./output.ts";

/** The lines to print after an error's line: each stream's tail under a heading, or "". */
export function outputTailText(err: unknown): string {
  // (A ScriptEngineError subclass does not pass for a ConnectError: connect checks its name.)
  if (!(err instanceof ScriptEngineError || err instanceof ConnectError)) return "";
  const out = toScriptEngineError(err).executionOutput;
  if (!out) return "";
  const part = (name: string, tail: string, bytes: bigint, cut: boolean) => {
    if (tail === "") return "";
    const size = cut ? `its last ${Buffer.byteLength(tail)} of ${count(bytes, "byte")}` : `all ${count(bytes, "byte")}`;
    const text = printableLines(tail);
    return `scriptengine: the script's ${name} before it stopped (${size}):\n${text}${text.endsWith("\n") ? "" : "\n"}`;
  };
  return part("stdout", out.stdoutTail, out.stdoutBytes, out.stdoutCut) + part("stderr", out.stderrTail, out.stderrBytes, out.stderrCut);
}
