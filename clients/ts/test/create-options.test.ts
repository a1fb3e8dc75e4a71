// What createScriptEngineClient is given is checked when the client is built, alike on every transport:
// an empty address is unset (the default, as the CLI reads an empty SE_ADDRESS) where grpc-js threw a
// plain Error and Connect looked up a host named ""; a misspelt transport name is refused where it
// silently meant Connect JSON; a client certificate that cannot be loaded is refused where the HTTP
// transports failed every call with a retried UnavailableError ("PEM routines::no start line"); an
// http(s):// URL given to grpc-js, which took it for a host name and retried every call, is refused.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../../../test/helpers/certs.ts";
import { Code, ConnectError } from "@connectrpc/connect";
import { createScriptEngineClient, InvalidArgumentError, toScriptEngineError, UnavailableError, type ConnectOptions } from "../src/index.ts";
import { thrown, TRANSPORTS } from "./support.ts";

/** How one call ends: its error's type and message, with the client's own retries off. */
async function outcome(options: ConnectOptions): Promise<string> {
  const client = createScriptEngineClient({ ...options, retry: false });
  try {
    await client.scripts.getConfig({}, { timeoutMs: 3000 });
    return "ok";
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as InvalidArgumentError).rawMessage ?? (e as Error).message}`;
  } finally {
    client.close();
  }
}

describe("an empty address", () => {
  it.each(TRANSPORTS)("is the default over %s", async (transport) => {
    const empty = await outcome({ transport, address: "" });
    expect(empty).not.toMatch(/parse target|ENOTFOUND/);
    expect(empty).toBe(await outcome({ transport }));
  });

  it("with tls over https:// is not taken for a plaintext URL", () => {
    createScriptEngineClient({ transport: "connect", address: "", tls: true }).close();
  });
});

describe("a transport name", () => {
  it.each(["grpcjs", "GRPC-JS", "connect_json", "", "http"])("%j that is not one is refused, listing the names", (name) => {
    const err = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport: name as "grpc-js" }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).rawMessage).toBe(`transport must be one of grpc-js, connect, connect-json, grpc-web, grpc-http2 (or a Connect Transport), not ${JSON.stringify(name)}`);
  });
});

describe("a URL address", () => {
  // grpc-js read it as a DNS name: every call a retried UnavailableError "Name resolution failed".
  it.each(["http://127.0.0.1:1", "https://127.0.0.1:1", "HTTP://localhost:1/"])("%s is refused over grpc-js (the default), with a hint", (address) => {
    for (const tls of [undefined, true]) {
      const err = thrown(() => createScriptEngineClient({ address, tls }));
      expect(err, String(tls)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).rawMessage).toBe(
        `address ${JSON.stringify(address)} is a URL, but the grpc-js transport takes host:port of the gRPC port (with tls for TLS): ` +
          `give host:port, or a transport that takes a URL of the HTTP port ("connect", "connect-json", "grpc-web" or "grpc-http2")`,
      );
    }
  });

  it.each(TRANSPORTS.filter((t) => t !== "grpc-js"))("is taken over %s", (transport) => {
    createScriptEngineClient({ address: "http://127.0.0.1:1", transport }).close();
  });
});

describe("a client certificate", () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });

  it.each(TRANSPORTS)("that is not PEM is refused when the client is built over %s", (transport) => {
    for (const tls of [{ cert: "not a pem", key: "not a pem" }, { cert: Buffer.from("not a pem"), key: Buffer.from("not a pem") }]) {
      const err = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, tls }));
      expect(err, JSON.stringify(tls)).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).rawMessage).toMatch(/^tls: the client certificate and key cannot be loaded: .*no start line/);
    }
  });

  it.each(TRANSPORTS)("with a key of another certificate is refused when the client is built over %s", (transport) => {
    const tls = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.serverKey) };
    const err = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, tls }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).rawMessage).toMatch(/^tls: the client certificate and key cannot be loaded: .*key values mismatch/);
  });

  it.each(TRANSPORTS)("that loads is taken over %s", (transport) => {
    const tls = { ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
    createScriptEngineClient({ address: "127.0.0.1:1", transport, tls }).close();
  });
});

it("OpenSSL's own failure (material that does not load) is no connection failure to retry", () => {
  // What a transport built by the caller, with a bad certificate, fails each call with.
  const cause = Object.assign(new Error("error:0480006C:PEM routines::no start line"), { code: "ERR_OSSL_PEM_NO_START_LINE" });
  const err = toScriptEngineError(new ConnectError(cause.message, Code.Internal, undefined, undefined, cause));
  expect(err).not.toBeInstanceOf(UnavailableError);
  expect(err.code).toBe(Code.Internal);
});
