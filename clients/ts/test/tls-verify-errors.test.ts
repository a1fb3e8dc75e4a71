// A server certificate that fails verification is a connection failure on every transport:
// UNAVAILABLE, as grpc-js reports it. The HTTP transports used to give INTERNAL for the OpenSSL
// verify codes that name no CERT (UNABLE_TO_VERIFY_LEAF_SIGNATURE: the usual wrong-CA result).
// Each failure is provoked for real, so a code Node reports that the client does not know fails here.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../../../test/helpers/certs.ts";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, toScriptEngineError, UnavailableError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const TRANSPORTS = ["connect", "grpc-web", "grpc-http2"] as const;

/** The codes along an error's cause chain. */
function causeCodes(err: unknown): unknown[] {
  const codes: unknown[] = [];
  for (let e: unknown = err; e instanceof Error && codes.length < 8; e = e.cause) codes.push((e as { code?: unknown }).code);
  return codes;
}

/** One call to `address` trusting `ca`: it must fail UnavailableError with `code` in its causes. */
async function expectUnavailable(address: string, transport: (typeof TRANSPORTS)[number], ca: Buffer, code: string) {
  const client = createScriptEngineClient({ address, transport, tls: { ca }, retry: false });
  try {
    const err = await client.run("1+1").then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(causeCodes(err)).toContain(code);
  } finally {
    client.close();
  }
}

describe("a certificate that fails verification", () => {
  it("a code of another kind stays INTERNAL", () => {
    const cause = Object.assign(new Error("bad"), { code: "ERR_INVALID_ARG_TYPE" });
    expect(toScriptEngineError(new ConnectError("bad", Code.Internal, undefined, undefined, cause)).code).toBe(Code.Internal);
  });

  describe("against the server, trusting another CA", () => {
    let certs: TestCerts;
    let other: TestCerts;
    let server: TestServer;
    beforeAll(async () => {
      certs = makeCerts();
      other = makeCerts();
      server = await startServer({ args: SERVER_ARGS, toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it.each(TRANSPORTS)("%s fails UNAVAILABLE, UNABLE_TO_VERIFY_LEAF_SIGNATURE as cause", async (transport) => {
      await expectUnavailable(server.http, transport, other.read(other.caCert), "UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    });
  });

  // The server refuses to start with an expired certificate, so these are plain TLS listeners:
  // the client fails in the handshake, before any HTTP, whoever listens.
  describe("against TLS listeners with a bad certificate", () => {
    let certs: TestCerts;
    const listeners: Http2SecureServer[] = [];
    const address: Record<string, string> = {};

    /** A certificate for `key`'s CSR signed by the test CA with these x509 arguments and extensions. */
    function signed(name: string, ext: string, ...x509: string[]): string {
      const f = (s: string) => `${certs.dir}/${name}.${s}`;
      const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs.dir, stdio: "pipe" });
      writeFileSync(f("ext"), ext);
      ssl("req", "-new", "-key", certs.serverKey, "-out", f("csr"), "-subj", "/CN=localhost");
      ssl("x509", "-req", "-in", f("csr"), "-CA", certs.caCert, "-CAkey", `${certs.dir}/ca.key`, "-CAcreateserial", "-out", f("crt"), "-extfile", f("ext"), ...x509);
      return f("crt");
    }

    async function listen(name: string, cert: string) {
      const s = createSecureServer({ cert: readFileSync(cert), key: readFileSync(certs.serverKey), allowHTTP1: true });
      s.on("secureConnection", (socket) => socket.on("error", () => {}));
      listeners.push(s);
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      address[name] = `127.0.0.1:${(s.address() as AddressInfo).port}`;
    }

    beforeAll(async () => {
      certs = makeCerts();
      const san = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
      // -days -1: not after is a day before not before (now), so the certificate has expired.
      await listen("expired", signed("expired", san, "-days", "-1"));
      await listen("hostname", signed("hostname", "subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n", "-days", "2"));
      const self = `${certs.dir}/self.crt`;
      execFileSync("openssl", ["req", "-x509", "-new", "-key", certs.serverKey, "-out", self, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "pipe" });
      await listen("self-signed", self);
    });
    afterAll(() => {
      for (const s of listeners) s.close();
    });

    const cases = [
      ["expired", "CERT_HAS_EXPIRED"],
      ["hostname", "ERR_TLS_CERT_ALTNAME_INVALID"],
      ["self-signed", "DEPTH_ZERO_SELF_SIGNED_CERT"],
    ] as const;
    describe.each(cases)("%s (%s)", (name, code) => {
      it.each(TRANSPORTS)("%s fails UNAVAILABLE with the verify code as cause", async (transport) => {
        await expectUnavailable(address[name]!, transport, certs.read(certs.caCert), code);
      });
    });
  });
});
