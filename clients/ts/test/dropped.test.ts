// The HTTP transports report a connection that failed or dropped under codes of their own (ABORTED
// "aborted" for a reset, INTERNAL for a parser or TLS error); the SDK reads them as UNAVAILABLE, as
// grpc-js reports them: a subscription resumes when its server is killed and another takes its
// address, and a call to a port that does not speak HTTP fails UNAVAILABLE.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { ServiceEvent } from "../../../gen/ts/scriptengine/v1/events_pb.js";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, UnavailableError } from "../src/index.ts";
import { freePort, SERVER_ARGS } from "./support.ts";

const executionIdOf = (r: IteratorResult<ServiceEvent>) =>
  r.value?.event.case === "scriptExecuted" ? r.value.event.value.executionId : `done=${r.done}`;

for (const transport of ["connect", "grpc-web"] as const) {
  it(`a ${transport} subscription resumes when its server is killed (SIGKILL) and restarted on the same address and data dir`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-ts-kill-"));
    const http = `127.0.0.1:${await freePort()}`;
    const args = [...SERVER_ARGS, "--http-address", http];
    let current: TestServer | undefined = await startServer({ args, dataDir });
    const client = createScriptEngineClient({ transport, address: http });
    const abort = new AbortController();
    let opened!: () => void;
    const started = new Promise<void>((resolve) => (opened = resolve));
    const it = client.subscribe({ eventTypes: ["script_executed"], signal: abort.signal, onStarted: () => opened(), onLost: () => {} })[Symbol.asyncIterator]();
    try {
      const first = it.next();
      await started;
      await client.run("1", undefined, { context: { executionId: "before-kill" } });
      expect(executionIdOf(await first)).toBe("before-kill");
      const pending = it.next().then(executionIdOf, (e: unknown) => e);
      await current.stop("SIGKILL");
      current = await startServer({ args, dataDir });
      // run() is not retried: wait for the new server first.
      for (let attempt = 1; ; attempt++) {
        try {
          await client.run("2", undefined, { context: { executionId: "after-restart" } });
          break;
        } catch (e) {
          if (!(e instanceof UnavailableError) || attempt >= 10) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(await pending).toBe("after-restart");
    } finally {
      abort.abort();
      await it.return?.();
      client.close();
      await current?.stop();
    }
  }, 30_000);
}

it("an HTTP transport pointed at the gRPC port fails UNAVAILABLE (was INTERNAL: Parse Error)", async () => {
  const server = await startServer({ args: SERVER_ARGS });
  const client = createScriptEngineClient({ transport: "connect", address: server.grpc, retry: false });
  try {
    const err = await client.scripts.getMetrics({}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).reason).toBe("");
  } finally {
    client.close();
    await server.stop();
  }
});
