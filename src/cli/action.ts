// Commander ignores what an action returns; actions written with `action()` return their exit code.
import type { Command } from "commander";
import { connect, type CallWait, type GlobalOptions } from "./connection.ts";
import { holdForLiveView, userStop } from "./signals.ts";
import { stdoutGone } from "./output.ts";
import type { ScriptEngineClient } from "../../clients/ts/src/index.ts";

let code = 0;
export const lastExitCode = () => code;

/** Wraps an action: its resolved number (or 0) becomes the process exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    code = (await fn(...args)) ?? 0;
  };
}

/** The command's own options merged with the program's (connection, --json). */
export function optionsOf<T>(cmd: Command): T & GlobalOptions {
  return cmd.optsWithGlobals() as T & GlobalOptions;
}

/** Runs `fn` with a client, closing it afterwards. */
export async function withClient<T>(o: GlobalOptions, fn: (client: ScriptEngineClient) => Promise<T>, extra?: CallWait): Promise<T> {
  const { client } = connect(o, extra);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** Aborts on SIGINT/SIGTERM, or when stdout takes no more (for live views: metrics --watch, events). */
export function interrupted(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  const release = holdForLiveView();
  userStop.addEventListener("abort", stop, { once: true });
  stdoutGone.addEventListener("abort", stop, { once: true });
  if (userStop.aborted || stdoutGone.aborted) stop();
  return {
    signal: ac.signal,
    dispose: () => {
      release();
      userStop.removeEventListener("abort", stop);
      stdoutGone.removeEventListener("abort", stop);
    },
  };
}
