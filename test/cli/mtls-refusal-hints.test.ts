// An mTLS server's refusals say what to do, in one line (exit 3), not OpenSSL's text: no client
// certificate ("tlsv13 alert certificate required: …/rec_layer_s3.c:918: SSL alert number 116"),
// or one from a CA the server does not trust ("Failed to connect", "read ECONNRESET").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { cli } from "./helpers.ts";

let certs: TestCerts;
let other: TestCerts;
let server: TestServer;
beforeAll(async () => {
  certs = makeCerts();
  other = makeCerts();
  server = await startServer({
    toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.caCert}"\n`,
  });
});
afterAll(async () => {
  await server.stop();
});

const addressFor = (transport: string) => (transport === "grpc-js" ? server.grpc : server.http);

describe("mTLS refusals", () => {
  it.each(["grpc-js", "connect", "grpc-http2"])("no client certificate, over %s: add --cert and --key", async (transport) => {
    const r = await cli(["--address", addressFor(transport), "--transport", transport, "--ca", certs.caCert, "health"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `scriptengine: UNAVAILABLE: cannot reach ${addressFor(transport)}: the TLS handshake failed: the server requires a client certificate (add --cert FILE --key FILE, or SE_CERT, SE_KEY)\n`,
    );
  });

  it.each(["grpc-js", "connect", "grpc-http2"])("a client certificate of another CA, over %s: says the certificate may be why", async (transport) => {
    const r = await cli(["--address", addressFor(transport), "--transport", transport, "--ca", certs.caCert, "--cert", other.clientCert, "--key", other.clientKey, "health"]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/client certificate.*(is it signed by a CA the server trusts\?)/);
    expect(r.stderr).not.toMatch(/SSL routines|openssl/);
  });
});
