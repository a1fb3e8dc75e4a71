// A run stopped by a limit returns no result: its error's executionOutput has the end of what it
// printed (the server's ExecutionOutput detail), read alike on every transport.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, ScriptEngineError, TimeoutError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
});
afterAll(() => server?.stop());

it.each(["grpc-js", "grpc-http2", "connect", "connect-json", "grpc-web"] as const)("a timed-out run's error carries the output tail over %s", async (transport) => {
  const client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });
  try {
    const err = await client.run(`console.log("step 1"); console.error("slow"); for (;;) {}`, undefined, { context: { timeout: { nanos: 500_000_000 } }, timeoutMs: 20_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, String(err)).toBeInstanceOf(TimeoutError);
    const out = (err as ScriptEngineError).executionOutput;
    expect(out && { stdout: out.stdoutTail, stderr: out.stderrTail, bytes: out.stdoutBytes, cut: out.stdoutCut }).toEqual({ stdout: "step 1\n", stderr: "slow\n", bytes: 7n, cut: false });
    // Another error has none.
    const other = await client.scripts.getScript({ scriptId: "nope" }).catch((e: unknown) => e);
    expect((other as ScriptEngineError).executionOutput).toBeUndefined();
  } finally {
    client.close();
  }
});
