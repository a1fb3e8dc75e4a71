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
      if (code !== undefined) process.exit(code);
      code = exit;
      noteInterrupted();
      stopping.abort();
      if (liveViews === 0) process.exit(code);
    });
  }
}
