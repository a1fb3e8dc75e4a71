// The CLI over TLS: --ca trusts a private CA (implying --tls); without it the server's
// certificate is refused, in one line with the unavailable exit code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { cli } from "./helpers.ts";

let certs: TestCerts;
let server: TestServer;
beforeAll(async () => {
  certs = makeCerts();
  server = await startServer({ toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
});
afterAll(async () => {
  await server.stop();
});

describe("scriptengine over TLS", () => {
  it("health with --ca succeeds on both transports", async () => {
    const grpc = await cli(["--address", server.grpc, "--ca", certs.caCert, "--json", "health"]);
    expect(grpc.code).toBe(0);
    expect(JSON.parse(grpc.stdout).status).toMatch(/HEALTHY/);
    const connect = await cli(["--address", `https://${server.http}`, "--transport", "connect", "--ca", certs.caCert, "--json", "health"]);
    expect(connect.code).toBe(0);
  });

  it("without the CA the certificate is refused: exit 3 with one line", async () => {
    const r = await cli(["--address", server.grpc, "--tls", "health"]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
