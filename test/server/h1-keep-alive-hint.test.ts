// The HTTP port's HTTP/1.1 answers advertise how long an idle connection is kept
// (`Keep-Alive: timeout=N`), and Node's agent (the TS SDK's Connect transport) reuses a socket for
// that long less a second. The door closes an idle one after server.idle_timeout (its headers
// deadline), but advertised Node's default 5 s whatever it was: with idle_timeout = 2s a call
// could go out on a socket the server was closing and fail `write EPIPE` (a RunScript, not
// retried, lost). The hint now never promises longer than the door keeps the connection.
import * as http from "node:http";
import * as https from "node:https";
import { afterEach, expect, it } from "vitest";
import { makeCerts } from "../helpers/certs.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** The Keep-Alive header of GET /health over a kept-alive HTTP/1.1 connection (TLS when `ca` is given). */
function keepAliveOf(address: string, ca?: Buffer): Promise<unknown> {
  const agent = ca ? new https.Agent({ keepAlive: true, ca, servername: "localhost" }) : new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const get = (ca ? https : http).get(`${ca ? "https" : "http"}://${address}/health`, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.headers["keep-alive"]));
    });
    get.on("error", reject);
  }).finally(() => agent.destroy());
}

it("advertises no longer a keep-alive than server.idle_timeout, in plaintext and over TLS", { timeout: 60_000 }, async () => {
  server = await startServer({ args: ["--set", "server.idle_timeout=2s"] });
  expect(await keepAliveOf(server.http)).toBe("timeout=2");
  await server.stop();
  const certs = makeCerts();
  server = await startServer({ toml: `[server]\nidle_timeout = "2s"\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
  expect(await keepAliveOf(server.http, certs.read(certs.caCert))).toBe("timeout=2");
});

it("keeps Node's 5 s when idle_timeout is longer", { timeout: 30_000 }, async () => {
  server = await startServer();
  expect(await keepAliveOf(server.http)).toBe("timeout=5");
});
