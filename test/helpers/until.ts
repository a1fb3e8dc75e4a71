// Waiting for a real condition instead of sleeping and assuming it: "start a call, sleep 200 ms,
// the call is running" breaks as soon as the machine is slow. These poll what the engine itself
// reports, with a deadline generous enough for a loaded CI box and an error that says what never
// happened and what was seen instead.
import type { CallOptions, Client } from "@connectrpc/connect";
import type { PerformanceMetrics } from "../../gen/ts/scriptengine/v1/script_pb.js";
import type { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";

/** Long enough for a cold worker start on two busy cores; a test that needs it is still bounded. */
export const UNTIL_MS = 15_000;

type Truthy<T> = Exclude<T, false | 0 | 0n | "" | null | undefined>;

/**
 * Polls `check` until it returns something truthy and returns that. After `timeoutMs` it throws
 * "timed out after N ms waiting until <what>", with `seen()` (the last state) when given.
 */
export async function until<T>(what: string, check: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number; seen?: () => unknown } = {}): Promise<Truthy<T>> {
  const timeoutMs = options.timeoutMs ?? UNTIL_MS;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > end) {
      const seen = options.seen ? `; last seen: ${JSON.stringify(options.seen(), (_k, x) => (typeof x === "bigint" ? Number(x) : x))}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}

/**
 * Polls the server's GetMetrics until `ok` holds, e.g. `(m) => m.busyIsolates === 1n` for "one
 * execution has started on a worker" (queued or compiling ones do not count) or `queueLength`.
 */
export async function untilMetrics(scripts: Client<typeof ScriptService>, what: string, ok: (m: PerformanceMetrics) => boolean, call?: CallOptions): Promise<PerformanceMetrics> {
  let last: PerformanceMetrics | undefined;
  return until(
    what,
    async () => {
      last = (await scripts.getMetrics({}, call)).metrics;
      return last && ok(last) ? last : undefined;
    },
    { seen: () => last && { busyIsolates: last.busyIsolates, queueLength: last.queueLength, poolSize: last.poolSize } },
  );
}

/** Settles every held call, ignoring how, so one failed assertion leaves nothing running into the next test. */
export async function settle(held: Promise<unknown>[]): Promise<void> {
  await Promise.all(held.map((p) => p.catch(() => undefined)));
}
