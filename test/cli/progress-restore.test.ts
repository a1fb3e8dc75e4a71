// `migrate DIR/` on a terminal draws a progress bar that hides the cursor and turns line wrap off.
// Ctrl-C or SIGTERM ended the command at once (process.exit), so the bar's restore was never
// written and the operator's shell was left without a cursor or line wrap. No pty here: a child
// draws the bar on a stand-in terminal (its stdout) with the CLI's signal handling, then is signalled.
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/server.ts";

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const WRAP_OFF = "\x1b[?7l";
const WRAP_ON = "\x1b[?7h";

const child = (signal: string) => `
import { Writable } from "node:stream";
import { writeSync } from "node:fs";
const { handleSignals } = await import(${JSON.stringify(pathToFileURL(join(ROOT, "src/cli/signals.ts")).href)});
const { progressBar } = await import(${JSON.stringify(pathToFileURL(join(ROOT, "src/cli/progress.ts")).href)});
const terminal = Object.assign(new Writable({ write(chunk, _enc, done) { writeSync(1, chunk); done(); } }), { isTTY: true, columns: 80 });
handleSignals();
const bar = progressBar(terminal);
bar.update(1, 4, "busy3");
setInterval(() => {}, 1000);
process.kill(process.pid, ${JSON.stringify(signal)});
`;

function run(signal: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--input-type=module", "-e", child(signal)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error(`did not exit: ${JSON.stringify(out)}`))), 15_000);
    proc.once("close", (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

describe("a signal during the progress bar", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s exits %i with the cursor shown and line wrap back on", async (signal, code) => {
    const r = await run(signal);
    expect(r.code).toBe(code);
    expect(r.out).toContain("busy3"); // the bar was drawn
    for (const [off, on] of [
      [HIDE_CURSOR, SHOW_CURSOR],
      [WRAP_OFF, WRAP_ON],
    ]) {
      expect(r.out.indexOf(off)).toBeGreaterThanOrEqual(0);
      expect(r.out.lastIndexOf(on)).toBeGreaterThan(r.out.indexOf(off));
    }
  });
});
