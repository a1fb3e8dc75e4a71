// A server certificate that fails verification is a connection failure on every transport:
// UNAVAILABLE, as grpc-js reports it. The HTTP transports used to give INTERNAL for the OpenSSL
// verify codes that name no CERT (UNABLE_TO_VERIFY_LEAF_SIGNATURE: the usual wrong-CA result).
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../../../test/helpers/certs.ts";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, toScriptEngineError, UnavailableError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

// Node's "X509 certificate error codes" (tls docs), and its own hostname check.
const VERIFY_CODES = [
  "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_CRL", "UNABLE_TO_DECRYPT_CERT_SIGNATURE", "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "CERT_SIGNATURE_FAILURE", "CRL_SIGNATURE_FAILURE", "CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID", "CRL_HAS_EXPIRED", "ERROR_IN_CERT_NOT_BEFORE_FIELD", "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD", "ERROR_IN_CRL_NEXT_UPDATE_FIELD", "OUT_OF_MEM", "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED", "INVALID_CA", "PATH_LENGTH_EXCEEDED", "INVALID_PURPOSE", "CERT_UNTRUSTED", "CERT_REJECTED", "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
];

describe("a certificate that fails verification", () => {
  it.each(VERIFY_CODES)("%s, as connect-node reports it (INTERNAL with the Node error as cause), is UNAVAILABLE", (code) => {
    const cause = Object.assign(new Error(`verify failed: ${code}`), { code });
    const err = toScriptEngineError(new ConnectError(cause.message, Code.Internal, undefined, undefined, cause));
    expect([err.constructor.name, err.code]).toEqual([UnavailableError.name, Code.Unavailable]);
  });

  it("a code of another kind stays INTERNAL", () => {
    const cause = Object.assign(new Error("bad"), { code: "ERR_INVALID_ARG_TYPE" });
    expect(toScriptEngineError(new ConnectError("bad", Code.Internal, undefined, undefined, cause)).code).toBe(Code.Internal);
  });

  describe("against a real TLS server", () => {
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

    it.each(["connect", "grpc-web", "grpc-http2"] as const)("%s trusting another CA fails UNAVAILABLE, the verify code as cause", async (transport) => {
      const client = createScriptEngineClient({ address: server.http, transport, tls: { ca: other.read(other.caCert) }, retry: false });
      try {
        const err = await client.run("1+1").then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(UnavailableError);
        const codes: unknown[] = [];
        for (let e: unknown = err; e instanceof Error && codes.length < 8; e = e.cause) codes.push((e as { code?: unknown }).code);
        expect(codes).toContain("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      } finally {
        client.close();
      }
    });
  });
});
