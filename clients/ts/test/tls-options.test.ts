// `tls` asks for an encrypted connection; an http:// address asks for plaintext. The address's scheme
// used to win on the HTTP transports, so the token went out in the clear to a plaintext server: the
// contradiction is now refused when the client is created, on every transport.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScriptEngineClient, InvalidArgumentError } from "../src/index.ts";
import { TRANSPORTS } from "./support.ts";

// A plaintext HTTP listener: nothing must reach it, least of all the token.
let listener: Server;
let port = 0;
const seen: string[] = [];
beforeAll(async () => {
  listener = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => listener?.close());

for (const transport of TRANSPORTS) {
  it(`tls with an http:// address is refused at creation, nothing sent (${transport})`, async () => {
    for (const tls of [true, { ca: "" }] as const) {
      for (const scheme of ["http", "HTTP"]) {
        const make = () => createScriptEngineClient({ transport, tls, address: `${scheme}://127.0.0.1:${port}`, token: "secret", retry: false });
        let client: ReturnType<typeof make> | undefined;
        try {
          client = make();
          await client.scripts.getConfig({}, { timeoutMs: 2000 }).catch(() => {});
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidArgumentError);
          // grpc-js takes no URL at all (host:port of the gRPC port): refused as one, before tls is looked at.
          expect((e as Error).message).toMatch(transport === "grpc-js" ? /is a URL, but the grpc-js transport takes host:port/ : /tls is set but address "http:\/\/|tls is set but address "HTTP:\/\//);
        } finally {
          client?.close();
        }
        expect(client, `created with tls ${JSON.stringify(tls)} and ${scheme}://`).toBeUndefined();
      }
    }
    expect(seen).toEqual([]);
  });
}

it("tls with https:// or host:port, and plaintext with http://, are still accepted", () => {
  for (const transport of TRANSPORTS.filter((t) => t !== "grpc-js")) {
    createScriptEngineClient({ transport, tls: true, address: "https://127.0.0.1:1" }).close();
    createScriptEngineClient({ transport, tls: true, address: "127.0.0.1:1" }).close();
    createScriptEngineClient({ transport, tls: false, address: "http://127.0.0.1:1" }).close();
    createScriptEngineClient({ transport, address: "http://127.0.0.1:1" }).close();
  }
  createScriptEngineClient({ tls: true, address: "127.0.0.1:1" }).close();
});
