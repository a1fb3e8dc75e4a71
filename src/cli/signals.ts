// SIGINT (Ctrl-C) and SIGTERM end a command with the conventional 128 + signal number, 130 and 143.
// Without handlers Node died by the signal (a parent reading the status saw no exit code), and
// the live views, which handle them to stop cleanly, exited 0 as if nothing had stopped them.
import { EXIT, noteInterrupted } from "./exit.ts";

const stopping = new AbortController();
/** Aborted on the first SIGINT or SIGTERM. */
export const userStop: AbortSignal = stopping.signal;

let code: number | undefined;
/** 130 or 143 once a signal came, for the command's exit. */
export const interruptionCode = (): number | undefined => code;

let liveViews = 0;
/** A live view (events, metrics --watch) stops on userStop by itself; the others end at once. */
export function holdForLiveView(): () => void {
  liveViews++;
  return () => void liveViews--;
}

const restorers = new Set<() => void>();
/**
 * `restore` runs if a signal ends the command at once, where `finally` blocks never run: a
 * progress bar hides the cursor and turns line wrap off, and left the operator's terminal so.
 * Returns its release, for when the command restored the terminal itself.
 */
export function restoreOnExit(restore: () => void): () => void {
  restorers.add(restore);
  return () => void restorers.delete(restore);
}

function leave(exitCode: number): never {
  for (const restore of restorers) {
    try {
      restore();
    } catch {
      /* the exit matters more than one terminal setting */
    }
  }
  process.exit(exitCode);
}

/** For the commands (not `serve`, which has its own). */
let handling = false;
export function handleSignals(): void {
  if (handling) return;
  handling = true;
  for (const [signal, exit] of [
    ["SIGINT", EXIT.INTERRUPTED],
    ["SIGTERM", EXIT.TERMINATED],
  ] as const) {
    process.on(signal, () => {
      // A second signal, or nothing that stops by itself: leave now. The closed connection is
      // the call's cancellation, as it was when the signal killed the process.
      if (code !== undefined) leave(code);
      code = exit;
      noteInterrupted();
      stopping.abort();
      if (liveViews === 0) leave(code);
    });
  }
}
