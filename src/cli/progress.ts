// The progress bar of `migrate DIR/` on a terminal. While it is drawn the cursor is hidden and line
// wrap is off; stop() turns both back on, on every way out, a signal's included (see signals.ts).
import cliProgress from "cli-progress";
import { restoreOnExit } from "./signals.ts";

export interface ProgressBar {
  /** Draws `done` of `total`, naming the tool just finished. */
  update(done: number, total: number, tool: string): void;
  /** Clears the bar and restores the terminal; safe to call more than once. */
  stop(): void;
}

export function progressBar(stream: NodeJS.WritableStream): ProgressBar {
  const bar = new cliProgress.SingleBar({ format: "migrating {bar} {value}/{total} {tool}", stream, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  const release = restoreOnExit(() => bar.stop());
  return {
    update(done, total, tool) {
      if (!started || bar.getTotal() !== total) bar.start(total, done, { tool });
      started = true;
      bar.update(done, { tool });
    },
    stop() {
      bar.stop();
      release();
    },
  };
}
