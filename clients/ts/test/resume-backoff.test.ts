// subscribe() and watch() wait between resumes as the client's `retry` says (as Go and Python do),
// not a fixed 100 ms…2 s. Observed through the wait they ask setTimeout for, not a clock: with a
// 10-minute backoff the loop sits waiting, where the fixed one failed twice and gave up at once.
import { afterEach, expect, it, vi } from "vitest";
import { createScriptEngineClient } from "../src/index.ts";
import { freePort } from "./support.ts";

const BACKOFF_MS = 600_000;

afterEach(() => void vi.restoreAllMocks());

it.each(["subscribe", "watch"] as const)("%s() backs off by the client's retry settings between resumes", async (kind) => {
  // Nothing listens there: every stream fails UNAVAILABLE at once.
  const client = createScriptEngineClient({ address: `127.0.0.1:${await freePort()}`, retry: { initialBackoffMs: BACKOFF_MS, maxBackoffMs: BACKOFF_MS } });
  const timers = vi.spyOn(globalThis, "setTimeout");
  // Full jitter: the first wait is between half the initial backoff and all of it.
  const waiting = () => timers.mock.calls.some(([, ms]) => typeof ms === "number" && ms >= BACKOFF_MS / 2 && ms <= BACKOFF_MS);
  const abort = new AbortController();
  const options = { signal: abort.signal, maxReconnects: 1 };
  let settled = false;
  const outcome = (async () => {
    for await (const _ of kind === "subscribe" ? client.subscribe(options) : client.watch(options));
  })().then(
    () => "ended quietly",
    (e: unknown) => e,
  ).finally(() => (settled = true));
  try {
    for (let i = 0; i < 200 && !waiting() && !settled; i++) await new Promise((r) => setTimeout(r, 25));
    expect(waiting()).toBe(true);
    abort.abort();
    expect(await outcome).toBe("ended quietly");
  } finally {
    abort.abort();
    client.close();
  }
});
