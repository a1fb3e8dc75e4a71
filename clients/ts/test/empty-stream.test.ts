// A server stream that ends with no message comes back trailers-only (a status, no response
// headers). grpc-js then emits no 'metadata', and its 'end' only once someone reads: the grpc-js
// transport waited for response headers before reading, so an empty MigrateDirectory (an empty
// directory, or one with no tool) never ended nor threw. Every transport must end it, OK or error.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, ScriptEngineError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

let server: TestServer;
beforeAll(async () => {
  const legacy = mkdtempSync(join(tmpdir(), "scriptengine-ts-empty-"));
  mkdirSync(join(legacy, "empty"));
  mkdirSync(join(legacy, "notools"));
  writeFileSync(join(legacy, "notools", "README.md"), "no tool here\n");
  server = await startServer({ args: [...SERVER_ARGS, "--set", `tools.legacy_root=${legacy}`] });
});
afterAll(() => server?.stop());

/** The stream's messages, or its error; undefined if it had not settled within 5 s. */
async function drain(stream: AsyncIterable<unknown>): Promise<{ messages: number } | { error: unknown } | undefined> {
  const settled = (async () => {
    let messages = 0;
    for await (const _ of stream) messages++;
    return { messages };
  })().catch((error: unknown) => ({ error }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 5000)));
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const transport of ["grpc-js", "grpc-http2", "connect", "grpc-web"] as const) {
  it(`a stream that ends with no message ends, OK or with its error (${transport})`, async () => {
    const client = createScriptEngineClient({ transport, address: transport === "grpc-js" ? server.grpc : server.http });
    try {
      for (const directory of ["empty", "notools"]) {
        expect(await drain(client.migrations.migrateDirectory({ directory, config: {}, recursive: false })), directory).toEqual({ messages: 0 });
      }
      const missing = await drain(client.migrations.migrateDirectory({ directory: "missing", config: {}, recursive: false }));
      expect(missing, "missing").toEqual({ error: expect.any(ScriptEngineError) });
    } finally {
      client.close();
    }
  }, 30_000);
}
