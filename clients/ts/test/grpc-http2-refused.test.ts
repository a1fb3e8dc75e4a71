// grpc-http2: a connection the server refuses at the TLS layer tears the HTTP/2 session down before
// any response, and connect-node closed the pending stream as CANCEL (CancelledError, most of the
// time) though the caller cancelled nothing. It is UNAVAILABLE; the caller's own abort stays CANCELLED.
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../../../test/helpers/certs.ts";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { CancelledError, createScriptEngineClient, type TlsOptions } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

let certs: TestCerts;
let rogue: TestCerts; // another CA's client certificate
let tlsServer: TestServer;
let mtlsServer: TestServer;
beforeAll(async () => {
  certs = makeCerts();
  rogue = makeCerts();
  const toml = `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n`;
  [tlsServer, mtlsServer] = await Promise.all([
    startServer({ args: SERVER_ARGS, toml }),
    startServer({ args: SERVER_ARGS, toml: `${toml}tls_client_ca_file = "${certs.caCert}"\n` }),
  ]);
});
afterAll(async () => {
  await Promise.all([tlsServer?.stop(), mtlsServer?.stop()]);
});

/** The error classes of `tries` fresh clients' calls. */
async function classes(address: () => string, tls: () => TlsOptions | undefined, tries = 10): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < tries; i++) {
    const client = createScriptEngineClient({ address: address(), transport: "grpc-http2", tls: tls(), retry: false });
    seen.push(await client.run("1+1").then(() => "ok", (e: unknown) => (e as Error).constructor.name));
    client.close();
  }
  return seen;
}

describe("grpc-http2 refused at the TLS layer", () => {
  it("a plaintext client on the TLS port: UnavailableError every time", async () => {
    expect(await classes(() => tlsServer.http, () => undefined)).toEqual(Array(10).fill("UnavailableError"));
  });

  it("an mTLS client certificate from another CA: UnavailableError every time", async () => {
    const tls = () => ({ ca: certs.read(certs.caCert), cert: rogue.read(rogue.clientCert), key: rogue.read(rogue.clientKey) });
    expect(await classes(() => mtlsServer.http, tls)).toEqual(Array(10).fill("UnavailableError"));
  });

  it("the caller's own abort before any response is still CancelledError", async () => {
    // A listener that accepts and never answers: the call is waiting for headers when aborted.
    const silent = createServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const client = createScriptEngineClient({ address: `127.0.0.1:${(silent.address() as AddressInfo).port}`, transport: "grpc-http2", retry: false });
    try {
      const err = await client.run("1+1", undefined, { signal: AbortSignal.timeout(300) }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CancelledError);
    } finally {
      client.close();
      silent.close();
    }
  });

  it("a trusted client certificate still works", async () => {
    const tls = () => ({ ca: certs.read(certs.caCert), cert: certs.read(certs.clientCert), key: certs.read(certs.clientKey) });
    expect(await classes(() => mtlsServer.http, tls, 1)).toEqual(["ok"]);
  });
});
