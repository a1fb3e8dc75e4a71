// Peers that misbehave at the TCP level, before or after any call: the server neither dies nor
// keeps their sockets. A reset while the HTTP door still sniffs the protocol was an 'error' event
// nobody listened to (an uncaught exception: the process exited); a started HTTP/2 connection
// closed for idleness was only half-closed, held for as long as its peer kept its side open.
import * as net from "node:net";
import * as tls from "node:tls";
import { readdirSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { makeCerts } from "../helpers/certs.ts";

let server: TestServer;
let tlsServer: TestServer;
const certs = makeCerts();
beforeAll(async () => {
  [server, tlsServer] = await Promise.all([
    startServer({ toml: '[server]\nidle_timeout = "1s"\n' }),
    startServer({ toml: `[server]\nidle_timeout = "1s"\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.stop(), tlsServer.stop()]);
});

/** The server process's open sockets. */
function sockets(of: TestServer = server): number {
  const dir = `/proc/${of.proc.pid}/fd`;
  return readdirSync(dir).filter((fd) => {
    try {
      return readlinkSync(`${dir}/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;
}

/** The server's open sockets once the count has not moved for half a second. */
async function settledSockets(of: TestServer): Promise<number> {
  let last = -1;
  return until("the server's socket count settles", async () => {
    const now = sockets(of);
    if (now === last) return now + 1; // truthy even for 0
    last = now;
    await new Promise((r) => setTimeout(r, 500));
    return 0;
  }).then((n) => n - 1);
}

const alive = () => server.proc.exitCode === null && server.proc.signalCode === null;

describe("hostile peers", () => {
  it("a connection reset while the HTTP door reads its first bytes closes that socket only", { timeout: 30_000 }, async () => {
    const [host, port] = server.http.split(":");
    for (const first of ["", "P"]) {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const s = net.connect(Number(port), host, () => {
            if (first) s.write(first);
            setTimeout(() => {
              s.resetAndDestroy();
              resolve();
            }, 150);
          });
          s.on("error", () => {});
        });
      }
    }
    // The uncaught error came a moment after the reset: give it the time to, then ask the server.
    await new Promise((r) => setTimeout(r, 1500));
    expect(alive(), server.logs().split("\n").filter((l) => l.includes("ECONNRESET")).join("\n")).toBe(true);
    const res = await fetch(`http://${server.http}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(200);
  });

  for (const mode of ["plaintext", "tls"] as const) {
    for (const door of ["grpc", "http"] as const) {
      it(`${door} door, ${mode}: a started connection gone idle is closed at idle_timeout, though its peer never closes its side`, { timeout: 30_000 }, async () => {
        const target = mode === "tls" ? tlsServer : server;
        const [host, port] = target[door].split(":");
        // What the server holds without these peers, once the sockets of earlier tests are gone.
        const base = await settledSockets(target);
        const peers: net.Socket[] = [];
        let heard = 0;
        // The HTTP/2 preface, an empty SETTINGS and a SETTINGS ACK: started, then silent, never ending.
        const hello = Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0])]);
        try {
          for (let i = 0; i < 5; i++) {
            const raw = net.connect({ host, port: Number(port), allowHalfOpen: true });
            const s = mode === "tls" ? tls.connect({ socket: raw, ALPNProtocols: ["h2"], ca: certs.read(certs.caCert) }, () => s.write(hello)) : raw.once("connect", () => raw.write(hello));
            s.on("error", () => {});
            s.once("data", () => heard++);
            s.resume();
            peers.push(s);
          }
          // The server took each (its SETTINGS came back): without the fix they stay held.
          await until("the server has answered the 5 connections", () => heard === 5, { seen: () => heard });
          // idle_timeout is 1 s: the door's GOAWAY, then the socket itself within about a second more.
          await until("the server has closed every idle connection", () => sockets(target) <= base, { timeoutMs: 8_000, seen: () => sockets(target) - base });
          expect(peers.every((s) => !s.destroyed)).toBe(true); // the peers never closed theirs
        } finally {
          for (const s of peers) s.destroy();
        }
      });
    }
  }
});
