// A client certificate the HTTP port refuses for not verifying (another CA) is announced with the
// peer's address:port: Node destroys such a connection before tlsClientError, whose TLS socket then
// knows no address, and the warn line said "peer":"unknown".
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

let certs: TestCerts;
let server: TestServer;

beforeAll(async () => {
  certs = makeCerts();
  // A client certificate from a CA the server does not know.
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "stranger.key", "-out", "stranger.crt", "-days", "2", "-subj", "/CN=stranger"], { cwd: certs.dir, stdio: "pipe" });
  server = await startServer({
    toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.caCert}"\n[discovery]\nenabled = false\n`,
  });
});

afterAll(async () => {
  await server?.stop();
});

/** A TLS connection to the HTTP port presenting `cert`; resolves with its local port once the server has closed it. */
function connectWith(cert: string, key: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port: Number(server.http.split(":")[1]), servername: "localhost", ca: certs.read(certs.caCert), cert: certs.read(cert), key: certs.read(key), ALPNProtocols: ["h2"] });
    let port = 0;
    socket.on("connect", () => (port = socket.localPort!));
    socket.on("error", () => {});
    socket.on("close", () => resolve(port));
  });
}

it("names the peer of a certificate from another CA in the warn line (SecurityViolation takes the same peer)", async () => {
  const port = await connectWith(join(certs.dir, "stranger.crt"), join(certs.dir, "stranger.key"));
  expect(port).toBeGreaterThan(0);
  const line = await until("the refusal's warn line", () => server.logs().split("\n").find((l) => l.includes("calls refused for missing or invalid credentials")));
  expect(JSON.parse(line)).toMatchObject({ level: "warn", latest: expect.stringMatching(/^TLS handshake: client certificate refused/), peer: `127.0.0.1:${port}` });
});
