// A call's own credentials (`authorization` or `x-api-key` headers, given per call or in the client's
// `headers`) are the ones it runs with: the client's token is not added to it (the server refuses a
// call whose two headers carry different tokens).
import { afterAll, beforeAll, expect, it } from "vitest";
import { principalsToml, tokenOf } from "../../../test/helpers/principals.ts";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, PermissionDeniedError, UnauthenticatedError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS, toml: principalsToml({ name: "ops", permissions: ["admin"] }, { name: "app" }) });
});
afterAll(() => server?.stop());

for (const transport of ["grpc-js", "connect"] as const) {
  it(`a per-call x-api-key is not overridden by the client's token (${transport})`, async () => {
    const client = createScriptEngineClient({ transport, address: transport === "grpc-js" ? server.grpc : server.http, token: tokenOf("ops"), retry: false });
    try {
      await client.compile("export default () => 1", { scriptId: `s-${transport}` });
      // app lacks scripts:delete: the call runs as app, not as the client's ops.
      await expect(client.delete(`s-${transport}`, { headers: { "x-api-key": tokenOf("app") } })).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(client.health({ headers: { "x-api-key": "not-a-token-0123456789" } })).rejects.toBeInstanceOf(UnauthenticatedError);
      // A per-call authorization already won; without either the token speaks.
      await expect(client.delete(`s-${transport}`, { headers: { authorization: `Bearer ${tokenOf("app")}` } })).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(await client.delete(`s-${transport}`)).toBe(1); // no call as app deleted it
    } finally {
      client.close();
    }
  });

  it(`an x-api-key in the client's headers is not joined by its token (${transport})`, async () => {
    const address = transport === "grpc-js" ? server.grpc : server.http;
    // It was: both sent, two different tokens, every call UNAUTHENTICATED (as an authorization there already won).
    const client = createScriptEngineClient({ transport, address, token: tokenOf("ops"), headers: { "x-api-key": tokenOf("app") }, retry: false });
    try {
      await expect(client.delete(`none-${transport}`)).rejects.toBeInstanceOf(PermissionDeniedError);
    } finally {
      client.close();
    }
  });
}
