// Processes a test watches: the children of a process, read from /proc (the engine's worker
// processes of a server), whether a process is still there, and servers reaped with the test.
import type { ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU time (user + system) process `pid` has used, in ms (clock ticks of 10 ms); 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Whether a process `pid` exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills `proc` if this test process ends first. A test that times out never reaches the `finally`
 * that stops its server, and vitest ends the test process with SIGTERM, which runs no `exit`
 * handler: the server lived on as an orphan (holding a core on a two-core CI machine).
 */
export function reapWithThisProcess(proc: ChildProcess): void {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  if (hooked) return;
  hooked = true;
  const reap = () => { for (const p of live) p.kill("SIGKILL"); };
  process.once("exit", reap);
  process.once("SIGTERM", () => { reap(); process.exit(143); });
}
const live = new Set<ChildProcess>();
let hooked = false;
