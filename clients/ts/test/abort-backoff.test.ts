// An abort during a retry's backoff ends the call CancelledError with the reason as an abort in
// flight does: a custom reason is its message and its cause, a string one too (it was "the operation
// was aborted"). The abort comes from onRetry, just before the backoff: no timing involved.
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { CancelledError, ScriptEngineClient } from "../src/index.ts";

/** A transport whose every call fails UNAVAILABLE (retried: GetConfig is idempotent; its backoff, 5 to 10 s, is within the 30 s deadline). */
const unavailable = { unary: async () => Promise.reject(new ConnectError("down", Code.Unavailable)) } as unknown as Transport;

it.each([
  ["a string", "shutting down", "shutting down"],
  ["a number", 42, "42"],
  ["an Error", new Error("stopping"), "stopping"],
])("a reason that is %s", async (_name, reason, message) => {
  const ac = new AbortController();
  const client = new ScriptEngineClient(unavailable, { retry: { initialBackoffMs: 10_000, maxBackoffMs: 10_000 }, onRetry: () => ac.abort(reason) });
  const err = await client.scripts.getConfig({}, { signal: ac.signal }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CancelledError);
  expect((err as CancelledError).rawMessage).toBe(message);
  expect((err as CancelledError).cause).toBe(reason);
});
