// The doors cut connections and calls whose peer holds them without using them (silent, trickling
// headers or a body): each cut used to go unlogged. Now each kind is one warn line per door naming
// the peer, at most one a minute: a burst of cuts is one line, not one per cut.
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";
import { makeCerts } from "../helpers/certs.ts";

const server = serverForTests({ toml: '[server]\nidle_timeout = "1s"\n' });

type Line = { level: string; msg: string; door?: string; peer?: string; cut?: string };
const cutLines = (door: string, cut: string): Line[] =>
  server.logs().split("\n").filter((l) => l.includes('"cut"')).map((l) => JSON.parse(l) as Line).filter((l) => l.door === door && l.cut === cut);

/** Opens a connection that sends `bytes` (or nothing) and never more; resolves its local port once the server has closed it. */
async function cutConnection(address: string, bytes?: string): Promise<number> {
  const colon = address.lastIndexOf(":");
  const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
  socket.on("error", () => {});
  try {
    await new Promise((resolve) => socket.once("connect", resolve));
    const port = socket.localPort!;
    if (bytes) socket.write(bytes);
    socket.resume();
    const closed = await Promise.race([new Promise((r) => socket.once("close", () => r(true))), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    expect(closed, "the server closed the connection").toBe(true);
    return port;
  } finally {
    socket.destroy();
  }
}

/** Opens a gRPC call and never sends its body; resolves the local port once the server has ended the call. */
async function callWithoutBody(address: string): Promise<number> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    await new Promise((resolve) => session.once("connect", resolve));
    const port = session.socket.localPort!;
    const st = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/ExecuteScript", "content-type": "application/grpc", te: "trailers" });
    st.on("error", () => {});
    st.resume();
    // Its status comes in trailers, or in the headers of a trailers-only answer.
    const status = (r: (v: boolean) => void) => (h: http2.IncomingHttpHeaders) => h["grpc-status"] !== undefined && r(true);
    const ended = await Promise.race([new Promise<boolean>((r) => (st.on("response", status(r)), st.on("trailers", status(r)))), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    expect(ended, "the server ended the call").toBe(true);
    return port;
  } finally {
    session.destroy();
  }
}

/** Waits for the one line of `cut` on `door` naming the peer 127.0.0.1:`port`. */
async function loggedFor(door: string, cut: string, port: number): Promise<Line> {
  return until(`a ${cut} line for ${door} peer port ${port}`, () => cutLines(door, cut).find((l) => l.peer === `127.0.0.1:${port}`), { seen: () => cutLines(door, cut) });
}

const PARTIAL_HEADERS = "POST /scriptengine.v1.ScriptService/GetConfig HTTP/1.1\r\nHost: 127.0.0.1\r\n";
const NO_BODY = "POST /scriptengine.v1.ScriptService/GetConfig HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n";

describe("a door's cuts are logged, one line per kind", () => {
  // Another kind's line, waited for after a burst, shows the burst's lines would have been written by then.
  const doors = [
    { door: "http", address: () => server.http, other: { cut: "headers", run: () => cutConnection(server.http, PARTIAL_HEADERS) } },
    { door: "grpc", address: () => server.grpc, other: { cut: "body", run: () => callWithoutBody(server.grpc) } },
  ];
  for (const { door, address, other } of doors) {
    it(`${door} door: a silent connection's cut is one warn line naming its peer; a burst of them adds none`, { timeout: 60_000 }, async () => {
      const port = await cutConnection(address());
      const line = await loggedFor(door, "silent", port);
      expect(line).toMatchObject({ level: "warn", msg: expect.stringContaining("connection cut") });
      await Promise.all(Array.from({ length: 5 }, () => cutConnection(address())));
      await loggedFor(door, other.cut, await other.run());
      expect(cutLines(door, "silent")).toHaveLength(1);
    });
  }

  it("http door: a one-message body that never comes is one line naming its peer", { timeout: 30_000 }, async () => {
    const port = await cutConnection(server.http, NO_BODY);
    expect(await loggedFor("http", "body", port)).toMatchObject({ level: "warn", msg: expect.stringContaining("request body") });
  });
});

describe("a connection that is not cut for its peer", () => {
  const own = serverForTests({ toml: '[server]\nidle_timeout = "1s"\n' });
  const lines = (cut: string) => own.logs().split("\n").filter((l) => l.includes(`"cut":"${cut}"`));

  it("http door: a kept-alive connection left idle after its answer is closed unlogged", { timeout: 30_000 }, async () => {
    await cutConnection(own.http, `${NO_BODY}{}`);
    // Anything logged for it would come before this later cut's line.
    await cutConnection(own.http);
    await until("the silent connection's line", () => lines("silent").length > 0);
    expect(lines("headers")).toEqual([]);
  });
});

describe("over TLS, a connection whose handshake never ends", () => {
  const certs = makeCerts();
  const secure = serverForTests({ toml: `[server]\nidle_timeout = "1s"\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
  const lines = (door: string) => secure.logs().split("\n").filter((l) => l.includes('"cut":"silent"')).map((l) => JSON.parse(l) as Line).filter((l) => l.door === door);

  // Node's own handshake timeout cut it unlogged on the HTTP door: by then the socket no longer knew its peer.
  for (const door of ["http", "grpc"] as const) {
    it(`${door} door: its cut is a line naming its peer`, { timeout: 30_000 }, async () => {
      const port = await cutConnection(door === "http" ? secure.http : secure.grpc);
      await until(`a silent line for ${door} peer port ${port}`, () => lines(door).find((l) => l.peer === `127.0.0.1:${port}`), { seen: () => lines(door) });
    });
  }
});

describe("over TLS, an HTTP/1.1 connection that never sends a request", () => {
  const certs = makeCerts();
  // A server of its own: the line above would throttle this one.
  const secure = serverForTests({ toml: `[server]\nidle_timeout = "1s"\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` });
  const lines = (door: string) => secure.logs().split("\n").filter((l) => l.includes('"cut":"silent"')).map((l) => JSON.parse(l) as Line).filter((l) => l.door === door);

  // Its headers deadline cut it unlogged, as if it were a kept-alive connection left idle after an answer.
  it("http door: its cut after the handshake is a line naming its peer", { timeout: 30_000 }, async () => {
    const colon = secure.http.lastIndexOf(":");
    const socket = tls.connect({ host: "127.0.0.1", port: Number(secure.http.slice(colon + 1)), ca: certs.read(certs.caCert), ALPNProtocols: ["http/1.1"] });
    socket.on("error", () => {});
    try {
      await new Promise((resolve) => socket.once("secureConnect", resolve));
      const port = socket.localPort!;
      socket.resume();
      await new Promise((resolve) => socket.once("close", resolve));
      await until(`a silent line for http peer port ${port}`, () => lines("http").find((l) => l.peer === `127.0.0.1:${port}`), { seen: () => lines("http") });
    } finally {
      socket.destroy();
    }
  });
});
