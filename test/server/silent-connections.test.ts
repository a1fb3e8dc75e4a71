// A connection that never starts a call (a load balancer's TCP check, a port scanner, a half-open
// client) must neither hold shutdown nor outlive server.idle_timeout. One silent TCP connection
// used to hold SIGTERM for shutdown_grace + 3 s on either door, with and without TLS; under TLS,
// one that sent no ClientHello was held 120 s (Node's handshake timeout), an HTTP/1.1 one that
// sent no request 62 s, and one trickling its headers ~85 s.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as net from "node:net";
import * as tls from "node:tls";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});

const tlsKeys = () => `tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n`;

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

async function silentSocket(address: string): Promise<net.Socket> {
  const { host, port } = hostPort(address);
  const socket = net.connect(port, host);
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  return socket;
}

async function tlsSocket(address: string, alpn: string[]): Promise<tls.TLSSocket> {
  const { host, port } = hostPort(address);
  const socket = tls.connect({ host, port, ca: certs.read(certs.caCert), ALPNProtocols: alpn });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("secureConnect", resolve));
  return socket;
}

/** Milliseconds from now until the server closes `socket`; never reads, so the client stays silent. */
function closedAfter(socket: net.Socket): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve) => socket.once("close", () => resolve(Date.now() - t0)));
}

/** Milliseconds until `socket` closes, or Infinity when it is still open after `byMs`. */
function closedWithin(socket: net.Socket, byMs: number): Promise<number> {
  return Promise.race([closedAfter(socket), new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), byMs))]);
}

/** Expects the server to close `socket` at about `idleMs` from now: not before idleMs - 500, by `byMs`. */
async function expectClosedAt(socket: net.Socket, idleMs: number, byMs: number): Promise<void> {
  const ms = await closedWithin(socket, byMs);
  expect(ms).toBeGreaterThan(idleMs - 500);
  expect(ms).toBeLessThan(byMs);
}

describe("shutdown with a silent connection open", () => {
  let server: TestServer | undefined;
  let socket: net.Socket | undefined;
  afterEach(async () => {
    socket?.destroy();
    if (server?.proc.exitCode === null) server.proc.kill("SIGKILL");
    await server?.stop();
    server = undefined;
  });

  for (const mode of ["plaintext", "tls"] as const) {
    for (const door of ["grpc", "http"] as const) {
      it(`${mode}, ${door} door: SIGTERM exits at once, not after shutdown_grace`, { timeout: 40_000 }, async () => {
        server = await startServer({ toml: `[server]\nshutdown_grace = "20s"\n${mode === "tls" ? tlsKeys() : ""}` });
        socket = await silentSocket(server[door]);
        // Accepted (and, on a plaintext gRPC door, given an HTTP/2 session) before the signal.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const t0 = Date.now();
        const exited = server.stop();
        const within = await Promise.race([exited.then(() => Date.now() - t0), new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 3000))]);
        expect(within).toBeLessThan(3000);
        expect(await exited).toBe(0);
      });
    }
  }

  it("tls, both doors: a connection past its handshake that sends nothing does not hold SIGTERM either", { timeout: 40_000 }, async () => {
    server = await startServer({ toml: `[server]\nshutdown_grace = "20s"\n${tlsKeys()}` });
    const sockets = [await tlsSocket(server.grpc, ["h2"]), await tlsSocket(server.http, ["h2"]), await tlsSocket(server.http, ["http/1.1"])];
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const t0 = Date.now();
      const exited = server.stop();
      const within = await Promise.race([exited.then(() => Date.now() - t0), new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 3000))]);
      expect(within).toBeLessThan(3000);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe("plaintext: server.idle_timeout applies before the HTTP/2 preface", () => {
  // In plaintext Node makes the HTTP/2 session as the connection is accepted, so grpc-js's idle
  // timeout only sent GOAWAY and ended the server's side: a peer that kept its own side open held
  // the socket for good. The gRPC door closes a connection that sends no HTTP/2 frame by then.
  const IDLE_MS = 2000;
  const BY_MS = IDLE_MS + 1500;
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ toml: `[server]\nidle_timeout = "2s"\n` });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("grpc door: a silent connection whose peer never ends its side is closed at idle_timeout", { timeout: 20_000 }, async () => {
    const { host, port } = hostPort(server.grpc);
    const socket = net.connect({ host, port, allowHalfOpen: true });
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    // It reads (the server's SETTINGS, then its end) but says nothing. Once the server has ended its
    // side, keep writing: only a socket the server closed refuses it.
    socket.resume();
    socket.once("end", () => {
      const poke = setInterval(() => socket.writable && socket.write("x"), 100);
      socket.once("close", () => clearInterval(poke));
    });
    try {
      await expectClosedAt(socket, IDLE_MS, BY_MS);
    } finally {
      socket.destroy();
    }
  });
});

describe("TLS: server.idle_timeout applies before the first call", () => {
  // Node's own limits are 120 s (handshake), ~60 s (headers) and 5 s (keep-alive): a close by
  // IDLE + margin can only be the door's.
  const IDLE_MS = 2000;
  const BY_MS = IDLE_MS + 1500;
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ toml: `[server]\nidle_timeout = "2s"\n${tlsKeys()}` });
  });
  afterAll(async () => {
    await server.stop();
  });

  for (const door of ["grpc", "http"] as const) {
    it(`${door} door: a TCP connection that never sends a ClientHello is closed at idle_timeout`, { timeout: 20_000 }, async () => {
      const socket = await silentSocket(server[door]);
      try {
        await expectClosedAt(socket, IDLE_MS, BY_MS);
      } finally {
        socket.destroy();
      }
    });
  }

  for (const alpn of [["http/1.1"], []]) {
    it(`http door: HTTP/1.1 over TLS (ALPN ${alpn.join() || "none"}) that sends no request is closed at idle_timeout`, { timeout: 20_000 }, async () => {
      const socket = await tlsSocket(server.http, alpn);
      try {
        await expectClosedAt(socket, IDLE_MS, BY_MS);
      } finally {
        socket.destroy();
      }
    });
  }

  it("http door: HTTP/1.1 over TLS trickling its headers is closed at idle_timeout", { timeout: 20_000 }, async () => {
    const socket = await tlsSocket(server.http, ["http/1.1"]);
    socket.write("POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: localhost\r\n");
    const trickle = setInterval(() => socket.writable && socket.write(`x-slow-${Date.now()}: 1\r\n`), 300);
    try {
      const ms = await closedWithin(socket, BY_MS);
      expect(ms).toBeLessThan(BY_MS);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it("http door: HTTP/1.1 over TLS, idle after a response, is closed at idle_timeout", { timeout: 20_000 }, async () => {
    const socket = await tlsSocket(server.http, ["http/1.1"]);
    try {
      const answered = new Promise((resolve) => socket.once("data", resolve));
      socket.write("POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
      await answered;
      const ms = await closedWithin(socket, BY_MS);
      expect(ms).toBeLessThan(BY_MS);
    } finally {
      socket.destroy();
    }
  });
});
