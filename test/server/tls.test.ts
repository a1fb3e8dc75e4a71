// TLS on both ports when a certificate is configured; with a client CA, mutual TLS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { createGrpcJsTransport } from "../helpers/grpc-js-transport.ts";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServerExpectingExit, startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

describe("TLS", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("serves gRPC over TLS on the main port", async () => {
    const client = createClient(ScriptService, createGrpcJsTransport(server.grpc, { credentials: grpc.credentials.createSsl(certs.read(certs.caCert)) }));
    expect((await client.healthCheck({})).health?.status).toBe(1);
  });

  it("serves Connect over HTTPS (HTTP/1.1 and HTTP/2) on the HTTP port", async () => {
    const ca = certs.read(certs.caCert);
    for (const httpVersion of ["1.1", "2"] as const) {
      const transport = createConnectTransport({ baseUrl: `https://${server.http}`, httpVersion, nodeOptions: { ca } });
      expect((await createClient(ScriptService, transport).healthCheck({})).health?.status).toBe(1);
    }
  });

  it("refuses plaintext on both ports", async () => {
    const plainGrpc = createClient(ScriptService, createGrpcJsTransport(server.grpc));
    await expect(plainGrpc.healthCheck({}, { timeoutMs: 3000 })).rejects.toThrow();
    const plainHttp = createClient(ScriptService, createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1" }));
    await expect(plainHttp.healthCheck({}, { timeoutMs: 3000 })).rejects.toThrow();
  });
});

describe("mutual TLS", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.caCert}"\n`,
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("accepts a client presenting a certificate from the client CA, on both ports", async () => {
    const ca = certs.read(certs.caCert);
    const cert = certs.read(certs.clientCert);
    const key = certs.read(certs.clientKey);
    const viaGrpc = createClient(ScriptService, createGrpcJsTransport(server.grpc, { credentials: grpc.credentials.createSsl(ca, key, cert) }));
    expect((await viaGrpc.healthCheck({})).health?.status).toBe(1);
    const viaHttp = createClient(ScriptService, createGrpcTransport({ baseUrl: `https://${server.http}`, nodeOptions: { ca, cert, key } }));
    expect((await viaHttp.healthCheck({})).health?.status).toBe(1);
  });

  it("refuses a client without a certificate, on both ports", async () => {
    const ca = certs.read(certs.caCert);
    const viaGrpc = createClient(ScriptService, createGrpcJsTransport(server.grpc, { credentials: grpc.credentials.createSsl(ca) }));
    await expect(viaGrpc.healthCheck({}, { timeoutMs: 3000 })).rejects.toThrow();
    const viaHttp = createClient(ScriptService, createConnectTransport({ baseUrl: `https://${server.http}`, httpVersion: "1.1", nodeOptions: { ca } }));
    await expect(viaHttp.healthCheck({}, { timeoutMs: 3000 })).rejects.toThrow();
  });
});

describe("TLS material that cannot work", () => {
  it("stops the server before it starts anything, exit 2 with one line naming the key", async () => {
    const garbage = join(certs.dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    const cases: [string, string, RegExp][] = [
      [`tls_cert_file = "${join(certs.dir, "missing.crt")}"\ntls_key_file = "${certs.serverKey}"`, "server.tls_cert_file", /cannot read .*missing\.crt/],
      [`tls_cert_file = "${garbage}"\ntls_key_file = "${certs.serverKey}"`, "server.tls_cert_file", /holds no PEM certificate/],
      [`tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${garbage}"`, "server.tls_key_file", /holds no PEM private key/],
      [`tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.clientKey}"`, "server.tls_key_file", /is not the key of the certificate/],
      [`tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${garbage}"`, "server.tls_client_ca_file", /holds no PEM certificate/],
    ];
    for (const [tls, key, why] of cases) {
      const dir = mkdtempSync(join(tmpdir(), "se-tls-bad-"));
      writeFileSync(join(dir, "config.toml"), `[server]\n${tls}\n`);
      const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", join(dir, "data"), "--config", join(dir, "config.toml")]);
      const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
      expect([key, code, lines.length]).toEqual([key, 2, 1]);
      expect(lines[0]).toContain(`scriptengine: config: ${key}: `);
      expect(lines[0]).toMatch(why);
      expect(existsSync(join(dir, "data"))).toBe(false); // nothing was started, not even the store
    }
  });
});
