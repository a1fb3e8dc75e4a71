// On a door bound to a wildcard address, two connections may come from the same source address
// and port, to two local addresses (here 127.0.0.1 and 127.0.0.2; a host's two IPs). The doors
// used to tell a connection's parts apart by the peer's address and port alone, so the later one
// took the earlier one's place: a call's stream was cut by the other connection's handshake
// deadline, that one was never closed by it, and at shutdown the earlier one was forgotten.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { freePort } from "../helpers/ports.ts";

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

const WILDCARD = ["--grpc-address", "0.0.0.0:0", "--http-address", "0.0.0.0:0"];
// Without credentials the doors bind loopback only.
const TOKEN = "0123456789abcdef0123";
const PRINCIPAL = `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\npermissions = ["admin"]\n`;

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));

/** A TCP connection from 127.0.0.1:`from` to `host`:`port`. */
async function connectFrom(from: number, host: string, port: number, allowHalfOpen = false): Promise<net.Socket> {
  const socket = net.connect({ host, port, localAddress: "127.0.0.1", localPort: from, allowHalfOpen });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

/** From "shutdown requested" to "stopped", by the server's own clock. */
function shutdownMs(logs: string): number {
  const at = (msg: string) => Date.parse(JSON.parse(logs.split("\n").find((l) => l.includes(`"msg":"${msg}"`))!).time);
  return at("stopped") - at("shutdown requested");
}

/** Milliseconds from now until `socket` closes, or Infinity if it is still open after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<number> {
  const t0 = Date.now();
  if (socket.destroyed) return Promise.resolve(0);
  return Promise.race([
    new Promise<number>((resolve) => socket.once("close", () => resolve(Date.now() - t0))),
    new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), ms)),
  ]);
}

describe("connections from one source port to two local addresses of a wildcard door", () => {
  let server: TestServer | undefined;
  const sockets: net.Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.stop();
    server = undefined;
  });

  it("tls, grpc door: a call on one is not cut by the other's handshake deadline, which still closes the other", { timeout: 30_000 }, async () => {
    const IDLE_MS = 2000;
    server = await startServer({ toml: `[server]\nidle_timeout = "2s"\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n${PRINCIPAL}`, args: WILDCARD });
    const port = portOf(server.grpc);
    const from = await freePort();
    const first = await connectFrom(from, "127.0.0.1", port);
    const second = await connectFrom(from, "127.0.0.2", port); // silent: no ClientHello
    sockets.push(first, second);
    // Both accepted before the first one's handshake.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const secure = tls.connect({ socket: first, servername: "localhost", ca: certs.read(certs.caCert), ALPNProtocols: ["h2"] });
    secure.on("error", () => {});
    await new Promise((resolve) => secure.once("secureConnect", resolve));
    const session = http2.connect("https://localhost", { createConnection: () => secure });
    session.on("error", () => {});
    try {
      const watch = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${TOKEN}` });
      watch.on("error", () => {});
      watch.end(Buffer.alloc(5)); // an empty HealthCheckRequest
      await new Promise((resolve) => watch.once("data", resolve));
      let watchClosed = false;
      watch.once("close", () => (watchClosed = true));
      // The silent one is closed by its own deadline (idle_timeout from its accept) ...
      expect(await closedWithin(second, IDLE_MS + 1500)).toBeLessThan(IDLE_MS + 1500);
      // ... and the one carrying a call is left alone past it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(watchClosed).toBe(false);
      expect(first.destroyed).toBe(false);
      watch.close();
    } finally {
      session.destroy();
    }
  });

  for (const door of ["grpc", "http"] as const) {
    it(`plaintext, ${door} door: both silent connections end at once at SIGTERM, not after the last bytes' 2 s`, { timeout: 30_000 }, async () => {
      server = await startServer({ toml: `[server]\nshutdown_grace = "20s"\n${PRINCIPAL}`, args: WILDCARD });
      const port = portOf(server[door]);
      const from = await freePort();
      // Peers that neither speak nor end their side (a port scanner, a half-open client): only the
      // server closing a connection ends it.
      sockets.push(await connectFrom(from, "127.0.0.1", port, true), await connectFrom(from, "127.0.0.2", port, true));
      for (const s of sockets) s.resume();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await server.stop()).toBe(0);
      expect(shutdownMs(server.logs())).toBeLessThan(1500);
    });
  }
});
