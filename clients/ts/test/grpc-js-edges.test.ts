// Where grpc-js behaved unlike the Connect transports: an abort's own reason was lost ("Cancelled on
// client"), a unary response's trailers always came empty, and half a client certificate pair was a
// plain Error (the HTTP transports only failed at the first call).
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, createScriptEngineClient, InvalidArgumentError } from "../src/index.ts";

const none = () => Buffer.alloc(0);
const method = (path: string, responseStream: boolean) => ({ path, requestStream: false, responseStream, requestSerialize: none, requestDeserialize: none, responseSerialize: none, responseDeserialize: none });

// GetConfig answers with a trailer; HealthCheck and Subscribe never answer.
let server: grpc.Server;
let address = "";
beforeAll(async () => {
  server = new grpc.Server();
  server.addService(
    {
      GetConfig: method("/scriptengine.v1.ScriptService/GetConfig", false),
      HealthCheck: method("/scriptengine.v1.ScriptService/HealthCheck", false),
      Subscribe: method("/scriptengine.v1.EventService/Subscribe", true),
    },
    {
      GetConfig: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        const trailer = new grpc.Metadata();
        trailer.set("x-trailer", "kept");
        callback(null, {}, trailer);
      },
      HealthCheck: () => {},
      Subscribe: () => {},
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  address = `127.0.0.1:${port}`;
});
afterAll(() => server?.forceShutdown());

describe("grpc-js", () => {
  it("a unary response's trailers reach the caller", async () => {
    const client = createScriptEngineClient({ address });
    try {
      let trailer: Headers | undefined;
      await client.scripts.getConfig({}, { onTrailer: (t) => (trailer = t) });
      expect(trailer?.get("x-trailer")).toBe("kept");
    } finally {
      client.close();
    }
  });

  it("an abort's reason is the error's message and cause, unary and stream", async () => {
    const client = createScriptEngineClient({ address });
    try {
      const reason = new Error("my reason");
      const unary = new AbortController();
      const call = client.scripts.healthCheck({}, { signal: unary.signal }).then(() => undefined, (e: unknown) => e);
      setTimeout(() => unary.abort(reason), 100);
      const stream = new AbortController();
      const read = (async () => {
        for await (const _ of client.events.subscribe({}, { signal: stream.signal }));
      })().then(() => undefined, (e: unknown) => e);
      setTimeout(() => stream.abort(reason), 100);
      for (const err of [await call, await read]) {
        expect(err).toBeInstanceOf(CancelledError);
        expect((err as CancelledError).rawMessage).toBe("my reason");
        expect((err as CancelledError).cause).toBe(reason);
      }
      // Aborted before the call: the same.
      const early = await client.scripts.healthCheck({}, { signal: AbortSignal.abort(reason) }).then(() => undefined, (e: unknown) => e);
      expect([early, (early as Error).cause]).toEqual([expect.any(CancelledError), reason]);
    } finally {
      client.close();
    }
  });
});

for (const transport of ["grpc-js", "connect", "grpc-web", "grpc-http2"] as const) {
  it(`half a client certificate pair is InvalidArgumentError at creation (${transport})`, () => {
    for (const [tls, message] of [
      [{ cert: "-----BEGIN CERTIFICATE-----\n" }, "tls.cert without tls.key"],
      [{ key: "-----BEGIN PRIVATE KEY-----\n" }, "tls.key without tls.cert"],
    ] as const) {
      let err: unknown;
      try {
        createScriptEngineClient({ transport, tls, address: "127.0.0.1:1" }).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(message);
    }
  });
}
